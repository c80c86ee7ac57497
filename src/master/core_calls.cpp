// MasterCore: the scheduler's commands (everything after Subscribe).
#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"
#include "master/task_record.hpp"

namespace agora::master {
namespace {

// Fills the empty `task` from `info`.
void FillTask(const v1::TaskInfo& info, const std::string& framework_id, const std::string& role,
              v1::Task* task) {
  task->set_name(info.name());
  *task->mutable_task_id() = info.task_id();
  task->mutable_framework_id()->set_value(framework_id);
  if (info.has_executor()) {
    *task->mutable_executor_id() = info.executor().executor_id();
  } else {
    // A command task runs under its own command executor named after it.
    task->mutable_executor_id()->set_value(info.task_id().value());
  }
  *task->mutable_agent_id() = info.agent_id();
  task->set_state(v1::TASK_STAGING);
  *task->mutable_resources() = info.resources();
  *task->mutable_labels() = info.labels();
  task->set_role(role);
  *task->mutable_info() = info;
}

v1::Task TaskFromInfo(const v1::TaskInfo& info, const std::string& framework_id,
                      const std::string& role) {
  v1::Task task;
  FillTask(info, framework_id, role, &task);
  return task;
}

}  // namespace

absl::Status MasterCore::Accept(const v1::AcceptRequest& request) {
  CountMessage("scheduler_accept");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  const std::string framework_id = request.header().framework_id().value();
  auto plan = PlanAccept(
      request, framework_id,
      [this](const std::string& id) -> const OfferView* {
        auto it = offers_.find(id);
        return it == offers_.end() ? nullptr : &it->second->view;
      },
      [this, &framework_id](const std::string& task_id) {
        return tasks_.IsLive(framework_id, task_id);
      });
  if (!plan.ok()) {
    ++counters_.invalid_requests;
    VLOG(1) << "Rejected accept framework_id=" << framework_id << ": " << plan.status();
    return plan.status();
  }
  const absl::Time now = loop_->Now();
  const std::string& role = plan->role;
  for (const auto& offer_id : plan->offer_ids) {
    auto it = offers_.find(offer_id);
    loop_->Cancel(it->second->expiry_timer);
    (*caller)->offers.erase(offer_id);
    if (auto agent = agents_.find(plan->agent_id); agent != agents_.end())
      agent->second->offers.erase(offer_id);
    offers_.erase(it);
    ++counters_.offers_accepted;
  }
  if (!plan->agent_id.empty()) {
    Resources unused = plan->offered - plan->used;
    if (!unused.empty()) {
      CheckAllocation(allocation_->Recover(framework_id, plan->agent_id, role, unused,
                                           RefuseDuration(request.filters()), now),
                      "Recover (unused part of an accept)");
    }
  }
  for (const auto& rejected : plan->rejected) {
    v1::Task task = TaskFromInfo(rejected.task, framework_id, role);
    if (!plan->agent_id.empty()) task.mutable_agent_id()->set_value(plan->agent_id);
    if (rejected.state == v1::TASK_DROPPED) {
      ++counters_.tasks_dropped;
    } else {
      ++counters_.tasks_errored;
    }
    LOG(INFO) << "Task " << ShortStateName(rejected.state) << " task_id=" << task.task_id().value()
              << " framework_id=" << framework_id << ": " << rejected.message;
    SendUpdate(framework_id, MasterStatus(task, rejected.state, rejected.reason, rejected.message));
  }
  internal::MasterMessage command_tasks;
  std::map<std::string, internal::MasterMessage> executor_tasks;
  for (auto& info : plan->launches) {
    // Built in place in the record the book keeps (task_record.hpp).
    std::shared_ptr<v1::Task> record = NewTaskRecord();
    FillTask(info, framework_id, role, record.get());
    v1::Task& task = tasks_.Add(std::move(record));
    // In place, in the record's arena (no heap status to copy and free).
    FillMasterStatus(task, v1::TASK_STAGING, v1::TaskStatus::REASON_UNSPECIFIED, "launched",
                     task.mutable_status());
    internal::MasterMessage* message = &command_tasks;
    if (info.has_executor()) {
      message = &executor_tasks[info.executor().executor_id().value()];
      v1::ExecutorInfo* executor = message->mutable_run_tasks()->mutable_executor_info();
      *executor = info.executor();
      executor->mutable_framework_id()->set_value(framework_id);
      if (executor->type() == v1::ExecutorInfo::TYPE_UNSPECIFIED)
        executor->set_type(v1::ExecutorInfo::CUSTOM);
    }
    ++counters_.tasks_launched;
    VLOG(1) << "Launching task_id=" << info.task_id().value() << " framework_id=" << framework_id
            << " agent_id=" << plan->agent_id;
    message->set_type(internal::MasterMessage::RUN_TASKS);
    *message->mutable_run_tasks()->add_tasks() = std::move(info);  // The book holds a copy.
  }
  // The framework's info goes once into each message (not once per task).
  if (command_tasks.run_tasks().tasks_size() > 0) {
    *command_tasks.mutable_run_tasks()->mutable_framework_info() = (*caller)->info;
    SendToAgent(plan->agent_id, std::move(command_tasks));
  }
  for (auto& [executor_id, message] : executor_tasks) {
    *message.mutable_run_tasks()->mutable_framework_info() = (*caller)->info;
    SendToAgent(plan->agent_id, std::move(message));
  }
  RequestAllocation();
  return absl::OkStatus();
}

absl::Status MasterCore::Decline(const v1::DeclineRequest& request) {
  CountMessage("scheduler_decline");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  if (request.offer_ids_size() == 0) return InvalidField("offer_ids", "at least one offer id");
  if (auto s = ValidateNonNegative("filters.refuse_seconds", request.filters().refuse_seconds());
      !s.ok())
    return s;
  const std::string& framework_id = request.header().framework_id().value();
  for (int i = 0; i < request.offer_ids_size(); ++i) {
    const std::string field = IndexedField("offer_ids", i);
    if (auto s = ValidateId(field, request.offer_ids(i).value()); !s.ok()) return s;
    auto it = offers_.find(request.offer_ids(i).value());
    if (it != offers_.end() && it->second->view.framework_id != framework_id) {
      return InvalidField(field, absl::StrCat("offer ", request.offer_ids(i).value(),
                                              " belongs to another framework"));
    }
  }
  const absl::Duration refuse = RefuseDuration(request.filters());
  for (const auto& offer_id : request.offer_ids()) {
    if (!offers_.count(offer_id.value())) continue;  // Already rescinded: nothing to do.
    RemoveOffer(offer_id.value(), /*rescind=*/false, refuse);
    ++counters_.offers_declined;
  }
  RequestAllocation();
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::set<std::string>> CheckRoles(
    const google::protobuf::RepeatedPtrField<std::string>& roles, const v1::FrameworkInfo& info) {
  std::set<std::string> own(info.roles().begin(), info.roles().end());
  std::set<std::string> result;
  for (int i = 0; i < roles.size(); ++i) {
    if (!own.count(roles.Get(i))) {
      return InvalidField(IndexedField("roles", i),
                          absl::StrCat("role ", roles.Get(i), " is not one of the framework's"));
    }
    result.insert(roles.Get(i));
  }
  return result;
}

}  // namespace

absl::Status MasterCore::Revive(const v1::ReviveRequest& request) {
  CountMessage("scheduler_revive");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  auto roles = CheckRoles(request.roles(), (*caller)->info);
  if (!roles.ok()) return roles.status();
  if (roles->empty()) {
    (*caller)->suppressed_roles.clear();
  } else {
    for (const auto& role : *roles) (*caller)->suppressed_roles.erase(role);
  }
  CheckAllocation(allocation_->Revive(request.header().framework_id().value(), *roles), "Revive");
  RequestAllocation();
  return absl::OkStatus();
}

absl::Status MasterCore::Suppress(const v1::SuppressRequest& request) {
  CountMessage("scheduler_suppress");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  auto roles = CheckRoles(request.roles(), (*caller)->info);
  if (!roles.ok()) return roles.status();
  if (roles->empty()) {
    (*caller)->suppressed_roles.insert((*caller)->info.roles().begin(),
                                       (*caller)->info.roles().end());
  } else {
    (*caller)->suppressed_roles.insert(roles->begin(), roles->end());
  }
  CheckAllocation(allocation_->Suppress(request.header().framework_id().value(), *roles),
                  "Suppress");
  return absl::OkStatus();
}

absl::Status MasterCore::Kill(const v1::KillRequest& request) {
  CountMessage("scheduler_kill");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  if (auto s = ValidateId("task_id", request.task_id().value()); !s.ok()) return s;
  if (request.has_agent_id()) {
    if (auto s = ValidateId("agent_id", request.agent_id().value()); !s.ok()) return s;
  }
  if (auto s = ValidateNonNegative("kill_policy.grace_period_seconds",
                                   request.kill_policy().grace_period_seconds());
      !s.ok())
    return s;
  const std::string& framework_id = request.header().framework_id().value();
  internal::MasterMessage message;
  message.set_type(internal::MasterMessage::KILL_TASK);
  auto* kill = message.mutable_kill_task();
  kill->mutable_framework_id()->set_value(framework_id);
  *kill->mutable_task_id() = request.task_id();
  if (request.has_kill_policy()) *kill->mutable_kill_policy() = request.kill_policy();
  // While the task's agent is away the kill is remembered and sent when the
  // agent re-registers still running the task.
  auto send_or_defer = [this, &framework_id, &request, &message](const std::string& agent_id) {
    if (SendToAgent(agent_id, message)) return;
    auto agent = agents_.find(agent_id);
    LOG(INFO) << "Kill of task_id=" << request.task_id().value()
              << " deferred until agent_id=" << agent_id << " re-registers";
    agent->second->pending_kills[{framework_id, request.task_id().value()}] = message;
  };
  v1::Task* task = tasks_.Find(framework_id, request.task_id().value());
  if (task != nullptr && agents_.count(task->agent_id().value())) {
    if (IsTerminalState(task->state())) return absl::OkStatus();
    if (!request.has_kill_policy() && task->info().has_kill_policy())
      *kill->mutable_kill_policy() = task->info().kill_policy();
    send_or_defer(task->agent_id().value());
    return absl::OkStatus();
  }
  if (task != nullptr && IsTerminalState(task->state())) return absl::OkStatus();
  if (request.has_agent_id() && agents_.count(request.agent_id().value())) {
    send_or_defer(request.agent_id().value());
    return absl::OkStatus();
  }
  v1::Task unknown;
  *unknown.mutable_task_id() = request.task_id();
  *unknown.mutable_agent_id() = request.agent_id();
  SendUpdate(framework_id,
             MasterStatus(unknown, v1::TASK_UNKNOWN, v1::TaskStatus::REASON_RECONCILIATION,
                          "kill of a task the master does not know"));
  return absl::OkStatus();
}

absl::Status MasterCore::ShutdownExecutor(const v1::ShutdownRequest& request) {
  CountMessage("scheduler_shutdown");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  if (auto s = ValidateId("executor_id", request.executor_id().value()); !s.ok()) return s;
  if (auto s = ValidateId("agent_id", request.agent_id().value()); !s.ok()) return s;
  if (!agents_.count(request.agent_id().value())) {
    return absl::NotFoundError(absl::StrCat("agent ", request.agent_id().value(), " is not known"));
  }
  internal::MasterMessage message;
  message.set_type(internal::MasterMessage::SHUTDOWN_EXECUTOR);
  *message.mutable_shutdown_executor()->mutable_framework_id() = request.header().framework_id();
  *message.mutable_shutdown_executor()->mutable_executor_id() = request.executor_id();
  if (!SendToAgent(request.agent_id().value(), std::move(message))) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", request.agent_id().value(), " is not connected"));
  }
  return absl::OkStatus();
}

absl::Status MasterCore::Reconcile(const v1::ReconcileRequest& request) {
  CountMessage("scheduler_reconcile");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  for (int i = 0; i < request.tasks_size(); ++i) {
    const std::string field = IndexedField("tasks", i);
    if (auto s = ValidateId(SubField(field, "task_id"), request.tasks(i).task_id().value());
        !s.ok())
      return s;
    if (!request.tasks(i).agent_id().value().empty()) {
      if (auto s = ValidateId(SubField(field, "agent_id"), request.tasks(i).agent_id().value());
          !s.ok())
        return s;
    }
  }
  const std::string& framework_id = request.header().framework_id().value();
  auto latest = [this](const v1::Task& task) {
    v1::TaskStatus status =
        task.has_status()
            ? task.status()
            : MasterStatus(task, task.state(), v1::TaskStatus::REASON_UNSPECIFIED, "");
    status.set_state(task.state());
    status.clear_uuid();
    status.set_source(v1::TaskStatus::SOURCE_MASTER);
    status.set_reason(v1::TaskStatus::REASON_RECONCILIATION);
    status.set_timestamp(UnixSeconds(loop_->Now()));
    return status;
  };
  if (request.tasks_size() == 0) {
    for (v1::Task* task : tasks_.ActiveOfFramework(framework_id)) {
      SendUpdate(framework_id, latest(*task));
    }
    return absl::OkStatus();
  }
  for (const auto& entry : request.tasks()) {
    const v1::Task* task = tasks_.Find(framework_id, entry.task_id().value());
    v1::Task probe;
    *probe.mutable_task_id() = entry.task_id();
    *probe.mutable_agent_id() = entry.agent_id();
    const std::string& agent_id = task ? task->agent_id().value() : entry.agent_id().value();
    if (task != nullptr && gone_agents_.count(agent_id)) {
      SendUpdate(framework_id,
                 MasterStatus(*task, v1::TASK_GONE, v1::TaskStatus::REASON_RECONCILIATION,
                              "the agent is gone"));
      continue;
    }
    if (task != nullptr) {
      SendUpdate(framework_id, latest(*task));
      continue;
    }
    // Completed and acknowledged: its terminal state, while the bounded,
    // in-memory history still holds it (what GetTasks lists). Mesos answers
    // TASK_UNKNOWN here; the two views of this master agree instead.
    if (const v1::Task* done = tasks_.FindCompleted(framework_id, entry.task_id().value())) {
      SendUpdate(framework_id, latest(*done));
      continue;
    }
    if (gone_agents_.count(agent_id)) {
      SendUpdate(framework_id,
                 MasterStatus(probe, v1::TASK_GONE, v1::TaskStatus::REASON_RECONCILIATION,
                              "the agent is gone"));
      continue;
    }
    // An agent recovered from the registry may still come back with the
    // task: no answer rather than a wrong one. (A request without the agent
    // id cannot be matched to a recovering agent and gets TASK_UNKNOWN, so
    // schedulers should name the agent.)
    auto agent = agents_.find(agent_id);
    if (agent != agents_.end() && agent->second->recovered) continue;
    if (agent != agents_.end() && !agent->second->reachable) {
      SendUpdate(framework_id,
                 MasterStatus(probe, v1::TASK_UNREACHABLE, v1::TaskStatus::REASON_RECONCILIATION,
                              "the agent is unreachable"));
      continue;
    }
    SendUpdate(framework_id,
               MasterStatus(probe, v1::TASK_UNKNOWN, v1::TaskStatus::REASON_RECONCILIATION,
                            "the master does not know this task"));
  }
  return absl::OkStatus();
}

absl::Status MasterCore::Message(const v1::MessageRequest& request) {
  CountMessage("scheduler_message");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  if (auto s = ValidateId("agent_id", request.agent_id().value()); !s.ok()) return s;
  if (auto s = ValidateId("executor_id", request.executor_id().value()); !s.ok()) return s;
  if (!agents_.count(request.agent_id().value())) {
    return absl::NotFoundError(absl::StrCat("agent ", request.agent_id().value(), " is not known"));
  }
  internal::MasterMessage message;
  message.set_type(internal::MasterMessage::FRAMEWORK_MESSAGE);
  auto* body = message.mutable_framework_message();
  *body->mutable_framework_id() = request.header().framework_id();
  *body->mutable_executor_id() = request.executor_id();
  body->set_data(request.data());
  if (!SendToAgent(request.agent_id().value(), std::move(message))) {
    return absl::FailedPreconditionError(
        absl::StrCat("agent ", request.agent_id().value(), " is not connected"));
  }
  return absl::OkStatus();
}

}  // namespace agora::master
