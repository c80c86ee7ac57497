// SimAgent: the simulated executor (tasks launched, finished and killed)
// and the status updates it sends through the StatusUpdateManager.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "sim/sim_agent.hpp"

namespace agora::sim {
namespace {

// A launched task's record takes ~2 KB (its TaskInfo is copied twice over:
// in `info` and in its own fields); blocks grow from there.
google::protobuf::ArenaOptions RecordArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 2048;
  options.max_block_size = 8192;
  return options;
}

}  // namespace

SimAgent::TaskRecord::TaskRecord()
    : arena(RecordArenaOptions()),
      task(*google::protobuf::Arena::CreateMessage<v1::Task>(&arena)) {}

double SimAgent::NowSeconds() const {
  return absl::ToDoubleSeconds(loop_->Now() - absl::UnixEpoch());
}

void SimAgent::OnRunTasks(const internal::MasterMessage::RunTasks& run) {
  const std::string& framework_id = run.framework_info().id().value();
  if (framework_id.empty()) return;
  frameworks_[framework_id] = run.framework_info();
  bool custom = !run.executor_info().executor_id().value().empty();
  // The tasks launched here share one finish timer (one deadline).
  std::vector<Key> launched;
  std::vector<TaskRecord*> timed;
  for (const v1::TaskInfo& info : run.tasks()) {
    if (info.task_id().value().empty()) continue;
    auto [slot, added] = tasks_.try_emplace(Key(framework_id, info.task_id().value()));
    if (!added) continue;
    const Key& key = slot->first;
    if (options_.on_task_arrived) options_.on_task_arrived(key.second);
    TaskRecord& record = slot->second;
    v1::Task& task = record.task;
    task.set_name(info.name());
    *task.mutable_task_id() = info.task_id();
    task.mutable_framework_id()->set_value(framework_id);
    task.mutable_executor_id()->set_value(custom ? run.executor_info().executor_id().value()
                                                 : info.task_id().value());
    *task.mutable_agent_id() = info_.id();
    *task.mutable_resources() = info.resources();
    *task.mutable_labels() = info.labels();
    *task.mutable_info() = info;
    auto [executor_slot, new_executor] =
        executors_.try_emplace(Key(framework_id, task.executor_id().value()));
    ++executor_slot->second.tasks;
    if (new_executor) {
      const Key& executor_key = executor_slot->first;
      v1::ExecutorInfo& executor = executor_slot->second.info;
      executor = run.executor_info();
      if (!custom) {
        // The real agent's command executor for this task.
        executor.set_type(v1::ExecutorInfo::DEFAULT);
        executor.mutable_executor_id()->set_value(executor_key.second);
        executor.set_name(absl::StrCat("Command Executor (Task: ", key.second, ")"));
        executor.mutable_command()->set_value("sim-executor");
      } else if (executor.type() == v1::ExecutorInfo::TYPE_UNSPECIFIED) {
        executor.set_type(v1::ExecutorInfo::CUSTOM);
      }
      executor.mutable_framework_id()->set_value(framework_id);
    }
    Transition(key, record, v1::TASK_RUNNING);
    if (options_.task_duration > absl::ZeroDuration()) {
      launched.push_back(key);
      timed.push_back(&record);
    }
  }
  if (launched.empty()) return;
  std::weak_ptr<bool> alive = alive_;
  auto id = std::make_shared<TimerId>(0);
  const TimerId timer =
      loop_->RunAfter(options_.task_duration, [this, alive, id, keys = std::move(launched)] {
        if (!alive.expired()) FinishTasks(*id, keys);
      });
  *id = timer;
  // Node map: the records stay put while later tasks are inserted.
  for (TaskRecord* record : timed) record->finish_timer = timer;
}

void SimAgent::FinishTasks(TimerId timer, const std::vector<Key>& keys) {
  for (const Key& key : keys) {
    auto it = tasks_.find(key);
    // Not this timer's task: forgotten, or forgotten and launched again.
    if (it == tasks_.end() || it->second.finish_timer != timer) continue;
    it->second.finish_timer = 0;
    if (!IsTerminalState(it->second.task.state())) Transition(key, it->second, v1::TASK_FINISHED);
  }
}

void SimAgent::KillTasks(const std::function<bool(const Key&, const v1::Task&)>& match) {
  for (auto& [key, record] : tasks_) {
    if (IsTerminalState(record.task.state()) || !match(key, record.task)) continue;
    // The finish timer is shared with the other tasks of its RUN_TASKS: it
    // stays, and skips this task once terminal.
    Transition(key, record, v1::TASK_KILLED);
  }
}

void SimAgent::Transition(const Key& key, TaskRecord& record, v1::TaskState state) {
  record.task.set_state(state);
  v1::TaskStatus status;
  *status.mutable_task_id() = record.task.task_id();
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  *status.mutable_agent_id() = info_.id();
  *status.mutable_executor_id() = record.task.executor_id();
  status.set_uuid(NewUuidBytes());
  status.set_timestamp(NowSeconds());
  updates_->Update(record.task.framework_id(), status);
}

void SimAgent::Forward(const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
                       v1::TaskState latest) {
  if (!link_ || !registered_) return;
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::STATUS_UPDATE);
  *message.mutable_status_update()->mutable_framework_id() = framework_id;
  v1::TaskStatus* forwarded = message.mutable_status_update()->mutable_status();
  *forwarded = status;
  // Statuses are made with the agent's id; one kept from before a
  // re-registration may lack it.
  if (forwarded->agent_id().value() != info_.id().value()) {
    *forwarded->mutable_agent_id() = info_.id();
  }
  message.mutable_status_update()->set_latest_state(latest);
  link_->Send(std::move(message));
}

void SimAgent::OnAcknowledge(const internal::MasterMessage::Acknowledge& ack) {
  const std::string& framework_id = ack.framework_id().value();
  const std::string& task_id = ack.task_id().value();
  if (!updates_->Acknowledge(framework_id, task_id, ack.uuid()).ok()) return;
  auto it = tasks_.find(KeyView(framework_id, task_id));
  // A finished task is forgotten once its last update is acknowledged.
  if (it != tasks_.end() && IsTerminalState(it->second.task.state()) &&
      updates_->Pending(framework_id, task_id) == 0) {
    auto executor = executors_.find(KeyView(framework_id, it->second.task.executor_id().value()));
    tasks_.erase(it);
    // The executor goes with its last task.
    if (executor != executors_.end() && --executor->second.tasks == 0) executors_.erase(executor);
  }
}

}  // namespace agora::sim
