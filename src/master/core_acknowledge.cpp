// MasterCore: a scheduler's acknowledgements of status updates, one or many
// per call.
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/ids.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

// Bounds the work one call can put on the loop.
constexpr int kMaxAcknowledgementsPerCall = 10000;

// ValidateId with a FieldViolation payload (ValidateId's status carries only
// the "<field>: <reason>" message), so a client can point at the entry.
absl::Status ValidateIdField(const std::string& field, const std::string& value) {
  absl::Status status = ValidateId(field, value);
  if (status.ok()) return status;
  absl::string_view reason = status.message();
  absl::ConsumePrefix(&reason, field + ": ");
  return InvalidField(field, reason);
}

// `prefix` names the entry ("" for the single form, "acknowledgements[i]."
// for a list entry) in the FieldViolation.
absl::Status ValidateAcknowledgement(const std::string& prefix, const v1::AgentID& agent_id,
                                     const v1::TaskID& task_id, const std::string& uuid) {
  if (auto s = ValidateIdField(prefix + "agent_id", agent_id.value()); !s.ok()) return s;
  if (auto s = ValidateIdField(prefix + "task_id", task_id.value()); !s.ok()) return s;
  if (uuid.empty()) {
    return InvalidField(prefix + "uuid",
                        "required (updates without a uuid need no acknowledgement)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MasterCore::Acknowledge(const v1::AcknowledgeRequest& request) {
  CountMessage("scheduler_acknowledge");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  // The single form is present when any of its fields is, or when the list
  // is empty (an empty request fails as the single form always did).
  const bool single = request.has_agent_id() || request.has_task_id() || !request.uuid().empty() ||
                      request.acknowledgements().empty();
  if (request.acknowledgements_size() > kMaxAcknowledgementsPerCall) {
    return InvalidField("acknowledgements",
                        absl::StrCat("at most ", kMaxAcknowledgementsPerCall, " per call, got ",
                                     request.acknowledgements_size()));
  }
  if (single) {
    auto s = ValidateAcknowledgement("", request.agent_id(), request.task_id(), request.uuid());
    if (!s.ok()) return s;
  }
  for (int i = 0; i < request.acknowledgements_size(); ++i) {
    const auto& ack = request.acknowledgements(i);
    auto s = ValidateAcknowledgement(IndexedField("acknowledgements", i) + ".", ack.agent_id(),
                                     ack.task_id(), ack.uuid());
    if (!s.ok()) return s;
  }
  const std::string& framework_id = request.header().framework_id().value();
  if (single) {
    ApplyAcknowledgement(framework_id, request.agent_id(), request.task_id(), request.uuid());
  }
  for (const auto& ack : request.acknowledgements()) {
    ApplyAcknowledgement(framework_id, ack.agent_id(), ack.task_id(), ack.uuid());
  }
  return absl::OkStatus();
}

void MasterCore::ApplyAcknowledgement(const std::string& framework_id, const v1::AgentID& agent_id,
                                      const v1::TaskID& task_id, const std::string& uuid) {
  ++counters_.acknowledgements;
  // Remembered even when the agent is away: a repeat of this update is then
  // answered with this acknowledgement instead of reaching the framework.
  dedup_.OnAcknowledged(framework_id, task_id.value(), uuid);
  tasks_.Acknowledge(framework_id, task_id.value(), uuid);
  auto agent = agents_.find(agent_id.value());
  if (agent == agents_.end() || !agent->second->sink) {
    VLOG(1) << "Acknowledgement for an agent that is not connected agent_id=" << agent_id.value();
    return;
  }
  RelayAcknowledgement(agent_id.value(), framework_id, task_id, uuid);
}

}  // namespace agora::master
