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

// The prefix that names an entry in a FieldViolation: "" for the single
// form (index -1), "acknowledgements[i]." for a list entry. Built only for
// an entry that is refused: a call carries up to kMaxAcknowledgementsPerCall.
std::string EntryPrefix(int index) {
  return index < 0 ? std::string() : IndexedField("acknowledgements", index) + ".";
}

// True for an entry ValidateAcknowledgement accepts (without building any
// field name).
bool IsValidAcknowledgement(const v1::AgentID& agent_id, const v1::TaskID& task_id,
                            const std::string& uuid) {
  return ValidateId("", agent_id.value()).ok() && ValidateId("", task_id.value()).ok() &&
         !uuid.empty();
}

// `prefix` names the entry (EntryPrefix) in the FieldViolation.
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
  if (single && !IsValidAcknowledgement(request.agent_id(), request.task_id(), request.uuid())) {
    return ValidateAcknowledgement(EntryPrefix(-1), request.agent_id(), request.task_id(),
                                   request.uuid());
  }
  for (int i = 0; i < request.acknowledgements_size(); ++i) {
    const auto& ack = request.acknowledgements(i);
    if (!IsValidAcknowledgement(ack.agent_id(), ack.task_id(), ack.uuid())) {
      return ValidateAcknowledgement(EntryPrefix(i), ack.agent_id(), ack.task_id(), ack.uuid());
    }
  }
  // Entries naming an agent or task the master does not know are skipped;
  // the others are applied (an acknowledgement is idempotent, so there is
  // nothing to undo), and the call answers NOT_FOUND naming the first
  // skipped entry so the scheduler learns of its mistake.
  const std::string& framework_id = request.header().framework_id().value();
  absl::Status first_unknown;
  auto apply = [&](int index, const v1::AgentID& agent_id, const v1::TaskID& task_id,
                   const std::string& uuid) {
    // One lookup of the agent serves the check, the relay and the send.
    auto agent = agents_.find(agent_id.value());
    Agent* known_agent = agent == agents_.end() ? nullptr : agent->second.get();
    absl::Status known = CheckAcknowledged(index, framework_id, agent_id, task_id, known_agent);
    if (!known.ok()) {
      ++counters_.acknowledgements_unknown;
      VLOG(1) << "Ignoring an acknowledgement framework_id=" << framework_id << ": " << known;
      if (first_unknown.ok()) first_unknown = known;
      return;
    }
    ApplyAcknowledgement(framework_id, *known_agent, task_id, uuid);
  };
  if (single) apply(-1, request.agent_id(), request.task_id(), request.uuid());
  for (int i = 0; i < request.acknowledgements_size(); ++i) {
    const auto& ack = request.acknowledgements(i);
    apply(i, ack.agent_id(), ack.task_id(), ack.uuid());
  }
  return first_unknown;
}

absl::Status MasterCore::CheckAcknowledged(int index, const std::string& framework_id,
                                           const v1::AgentID& agent_id, const v1::TaskID& task_id,
                                           const Agent* agent) const {
  if (!gone_agents_.empty() && gone_agents_.count(agent_id.value())) {
    return FieldError(
        absl::StatusCode::kNotFound, EntryPrefix(index) + "agent_id",
        absl::StrCat("agent ", agent_id.value(), " is gone; its updates need no acknowledgement"));
  }
  if (agent == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, EntryPrefix(index) + "agent_id",
                      absl::StrCat("agent ", agent_id.value(), " is not known"));
  }
  // Known: active, or an update of it went out (or was acknowledged)
  // recently, or it is in the completed history (a repeated acknowledgement
  // of its terminal update).
  const std::string& task = task_id.value();
  if (tasks_.Find(framework_id, task) != nullptr || dedup_.Knows(framework_id, task) ||
      tasks_.FindCompleted(framework_id, task) != nullptr) {
    return absl::OkStatus();
  }
  return FieldError(absl::StatusCode::kNotFound, EntryPrefix(index) + "task_id",
                    absl::StrCat("task ", task, " of framework ", framework_id, " is not known"));
}

void MasterCore::ApplyAcknowledgement(const std::string& framework_id, Agent& agent,
                                      const v1::TaskID& task_id, const std::string& uuid) {
  ++counters_.acknowledgements;
  // Remembered even when the agent is away: a repeat of this update is then
  // answered with this acknowledgement instead of reaching the framework.
  dedup_.OnAcknowledged(framework_id, task_id.value(), uuid);
  tasks_.Acknowledge(framework_id, task_id.value(), uuid);
  if (!agent.sink) {
    VLOG(1) << "Acknowledgement for an agent that is not connected agent_id="
            << agent.info.id().value();
    return;
  }
  RelayAcknowledgement(agent, framework_id, task_id, uuid);
}

}  // namespace agora::master
