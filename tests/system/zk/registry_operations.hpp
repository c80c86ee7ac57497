// Registry operations for the ZooKeeper registry's system tests: one record
// or singleton change each, as MasterCore issues them.
#ifndef AGORA_TESTS_SYSTEM_ZK_REGISTRY_OPERATIONS_HPP_
#define AGORA_TESTS_SYSTEM_ZK_REGISTRY_OPERATIONS_HPP_

#include <string>

#include "agora/internal/registry.pb.h"

namespace agora::testing {

inline internal::Operation PutAgent(const std::string& id, const std::string& hostname = "h") {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  op.mutable_agent()->mutable_info()->mutable_id()->set_value(id);
  op.mutable_agent()->mutable_info()->set_hostname(hostname);
  op.mutable_agent()->set_status(internal::AgentRecord::ADMITTED);
  return op;
}
inline internal::Operation RemoveAgent(const std::string& id) {
  internal::Operation op;
  op.set_type(internal::Operation::REMOVE_AGENT);
  op.mutable_agent_id()->set_value(id);
  return op;
}
inline internal::Operation PutFramework(const std::string& id, const std::string& name = "fw") {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_FRAMEWORK);
  op.mutable_framework()->mutable_info()->mutable_id()->set_value(id);
  op.mutable_framework()->mutable_info()->set_name(name);
  op.mutable_framework()->set_registered_time(1234.5);
  return op;
}
inline internal::Operation RemoveFramework(const std::string& id) {
  internal::Operation op;
  op.set_type(internal::Operation::REMOVE_FRAMEWORK);
  op.mutable_framework_id()->set_value(id);
  return op;
}
inline internal::Operation PutQuota(const std::string& role) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_QUOTA);
  op.mutable_quota()->set_role(role);
  return op;
}
inline internal::Operation RemoveQuota(const std::string& role) {
  internal::Operation op;
  op.set_type(internal::Operation::REMOVE_QUOTA);
  op.set_role(role);
  return op;
}
inline internal::Operation PutWeight(const std::string& role, double weight) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_WEIGHT);
  op.mutable_weight()->set_role(role);
  op.mutable_weight()->set_weight(weight);
  return op;
}
inline internal::Operation BumpEpoch() {
  internal::Operation op;
  op.set_type(internal::Operation::BUMP_EPOCH);
  return op;
}

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_ZK_REGISTRY_OPERATIONS_HPP_
