// Tasks and statuses for the task book's unit tests.
#ifndef AGORA_TESTS_UNIT_MASTER_TASK_BUILDERS_HPP_
#define AGORA_TESTS_UNIT_MASTER_TASK_BUILDERS_HPP_

#include <string>

#include "agora/v1/common.pb.h"

namespace agora::master {

// A STAGING task of `framework` named `id` on `agent`.
inline v1::Task MakeTask(const std::string& framework, const std::string& id,
                         const std::string& agent) {
  v1::Task task;
  task.mutable_framework_id()->set_value(framework);
  task.mutable_task_id()->set_value(id);
  task.mutable_agent_id()->set_value(agent);
  task.set_state(v1::TASK_STAGING);
  return task;
}

// An update of task `id` to `state`, identified by `uuid`.
inline v1::TaskStatus MakeStatus(const std::string& id, v1::TaskState state,
                                 const std::string& uuid) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(id);
  status.set_state(state);
  status.set_uuid(uuid);
  return status;
}

}  // namespace agora::master

#endif  // AGORA_TESTS_UNIT_MASTER_TASK_BUILDERS_HPP_
