// MasterCore: the operator's KillTask, and the kill message shared with
// draining (SendKill): a task's kill goes to its agent now, or is remembered
// until the agent re-registers.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

// The agent's kill grace period when a task has no kill policy (see
// KillPolicy in common.proto).
constexpr double kDefaultGraceSeconds = 3;

}  // namespace

void MasterCore::SendKill(const v1::Task& task, double grace, bool cap) {
  const std::string framework_id = task.framework_id().value();
  const std::string agent_id = task.agent_id().value();
  internal::MasterMessage message;
  message.set_type(internal::MasterMessage::KILL_TASK);
  auto* kill = message.mutable_kill_task();
  kill->mutable_framework_id()->set_value(framework_id);
  *kill->mutable_task_id() = task.task_id();
  const double own = task.info().has_kill_policy()
                         ? task.info().kill_policy().grace_period_seconds()
                         : kDefaultGraceSeconds;
  if (grace > 0 && (!cap || grace < own)) {
    kill->mutable_kill_policy()->set_grace_period_seconds(grace);
  } else if (task.info().has_kill_policy()) {
    *kill->mutable_kill_policy() = task.info().kill_policy();
  }
  if (SendToAgent(agent_id, message)) return;
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return;
  // A drain kills again whatever still runs when the agent re-registers
  // (and not at all if it was reactivated meanwhile).
  if (cap && agent->second->draining) return;
  LOG(INFO) << "Kill of task_id=" << task.task_id().value()
            << " deferred until agent_id=" << agent_id << " re-registers";
  agent->second->pending_kills[{framework_id, task.task_id().value()}] = std::move(message);
}

absl::Status MasterCore::KillTask(const v1::KillTaskRequest& request) {
  CountMessage("operator_kill_task");
  const std::string& task_id = request.task_id().value();
  const std::string& wanted = request.framework_id().value();
  if (auto s = ValidateId("task_id", task_id); !s.ok()) return s;
  if (!wanted.empty()) {
    if (auto s = ValidateId("framework_id", wanted); !s.ok()) return s;
  }
  if (auto s = ValidateNonNegative("grace_period_seconds", request.grace_period_seconds()); !s.ok())
    return s;
  std::vector<std::string> owners;
  std::vector<std::string> candidates;
  if (!wanted.empty()) {
    candidates.push_back(wanted);
  } else {
    for (const auto& [id, framework] : frameworks_) candidates.push_back(id);
  }
  for (const auto& framework_id : candidates) {
    if (tasks_.Find(framework_id, task_id) != nullptr) owners.push_back(framework_id);
  }
  if (owners.size() > 1) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "framework_id",
                      absl::StrCat("task ", task_id, " exists in frameworks ",
                                   absl::StrJoin(owners, ", "), "; name one"));
  }
  if (owners.empty()) {
    for (const auto& framework_id : candidates) {
      if (const v1::Task* done = tasks_.FindCompleted(framework_id, task_id)) {
        return FieldError(absl::StatusCode::kNotFound, "task_id",
                          absl::StrCat("task ", task_id, " already ended (",
                                       v1::TaskState_Name(done->state()), ")"));
      }
    }
    return FieldError(absl::StatusCode::kNotFound, "task_id",
                      absl::StrCat("task ", task_id, " is not known",
                                   wanted.empty() ? "" : absl::StrCat(" in framework ", wanted)));
  }
  const v1::Task* task = tasks_.Find(owners[0], task_id);
  if (IsTerminalState(task->state())) {
    return FieldError(
        absl::StatusCode::kNotFound, "task_id",
        absl::StrCat("task ", task_id, " already ended (", v1::TaskState_Name(task->state()), ")"));
  }
  LOG(INFO) << "Operator kill of task_id=" << task_id << " framework_id=" << owners[0];
  SendKill(*task, request.grace_period_seconds(), /*cap=*/false);
  return absl::OkStatus();
}

}  // namespace agora::master
