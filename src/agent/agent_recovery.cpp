// AgentImpl: recovery of checkpointed state after an agent restart.
//
// Reads work_dir/meta: frameworks, executors (with the pid and its start
// time), tasks and each task's update log. Tasks that are finished and fully
// acknowledged are skipped; the others are rebuilt with their latest state,
// and their unacknowledged updates go back into the status update manager
// (to be forwarded once registered). An executor whose process still runs
// (same boot, same pid start time) is watched and given
// --executor_registration_timeout to re-subscribe; the tasks of an executor
// that is gone are failed.
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// Replays one task's update log onto `record`; returns the updates not yet
// acknowledged, oldest first.
std::vector<v1::TaskStatus> ReplayUpdates(const std::vector<internal::StatusUpdateRecord>& log,
                                          v1::Task* task, bool* terminal_reported,
                                          std::set<std::string>* acked_uuids) {
  std::vector<v1::TaskStatus> pending;
  std::set<std::string> seen;
  for (const internal::StatusUpdateRecord& record : log) {
    if (record.type() == internal::StatusUpdateRecord::UPDATE) {
      const v1::TaskStatus& status = record.status();
      if (!seen.insert(status.uuid()).second) continue;
      pending.push_back(status);
      if (!IsTerminalState(task->state()) || IsTerminalState(status.state())) {
        task->set_state(status.state());
        *task->mutable_status() = status;
      }
      if (IsTerminalState(status.state())) *terminal_reported = true;
    } else if (record.type() == internal::StatusUpdateRecord::ACK) {
      acked_uuids->insert(record.uuid());
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (it->uuid() == record.uuid()) {
          pending.erase(it);
          break;
        }
      }
    }
  }
  return pending;
}

}  // namespace

void AgentImpl::Recover() {
  DCHECK(loop_.IsInLoopThread());
  bool rebooted = !checkpointed_boot_id_.empty() && checkpointed_boot_id_ != BootId();
  if (rebooted) LOG(WARNING) << "The machine rebooted since the last run: executors are gone";
  const std::string root = options_.work_dir + "/meta/frameworks";
  size_t recovered_tasks = 0;
  std::vector<Key> gone;
  for (const std::string& framework_id : ListDirectory(root)) {
    internal::FrameworkCheckpoint framework;
    if (ReadMessage(FrameworkCheckpointPath(options_.work_dir, framework_id), &framework).ok()) {
      frameworks_[framework_id] = framework.info();
    }
    for (const std::string& executor_id :
         ListDirectory(absl::StrCat(root, "/", framework_id, "/executors"))) {
      Key key(framework_id, executor_id);
      std::string tasks_dir =
          absl::StrCat(root, "/", framework_id, "/executors/", executor_id, "/tasks");
      std::set<std::string> task_ids;
      for (const std::string& task_id : ListDirectory(tasks_dir)) {
        internal::TaskCheckpoint checkpoint;
        if (!ReadMessage(TaskCheckpointPath(options_.work_dir, framework_id, executor_id, task_id),
                         &checkpoint)
                 .ok())
          continue;
        TaskRecord record;
        record.task = checkpoint.task();
        auto log =
            ReadRecords(TaskUpdatesPath(options_.work_dir, framework_id, executor_id, task_id));
        std::vector<v1::TaskStatus> pending;
        if (log.ok()) {
          pending =
              ReplayUpdates(*log, &record.task, &record.terminal_reported, &record.acked_uuids);
        }
        if (IsTerminalState(record.task.state()) && pending.empty()) continue;
        tasks_[Key(framework_id, task_id)] = std::move(record);
        task_ids.insert(task_id);
        v1::FrameworkID id;
        id.set_value(framework_id);
        for (const v1::TaskStatus& update : pending) updates_->Update(id, update);
        recovered_tasks++;
      }
      if (task_ids.empty()) continue;
      internal::ExecutorCheckpoint checkpoint;
      bool have_checkpoint =
          ReadMessage(ExecutorCheckpointPath(options_.work_dir, framework_id, executor_id),
                      &checkpoint)
              .ok();
      ExecutorRecord& executor = executors_[key];
      executor.framework_id = framework_id;
      executor.info = checkpoint.info();
      executor.info.mutable_executor_id()->set_value(executor_id);
      executor.info.mutable_framework_id()->set_value(framework_id);
      executor.command_executor = executor.info.type() == v1::ExecutorInfo::DEFAULT;
      executor.sandbox = have_checkpoint && !checkpoint.sandbox().empty()
                             ? checkpoint.sandbox()
                             : SandboxPath(options_.work_dir, framework_id, executor_id);
      executor.container_id = checkpoint.container_id().value();
      executor.task_ids = task_ids;
      executor.recovered = true;
      uint64_t ticks = have_checkpoint ? ProcessStartTicks(checkpoint.pid()) : 0;
      bool alive = have_checkpoint && !rebooted && checkpoint.pid() > 0 && ticks != 0 &&
                   ticks == checkpoint.pid_start_ticks();
      if (!alive) {
        gone.push_back(key);
        continue;
      }
      executor.pid = checkpoint.pid();
      executor.phase = ExecutorRecord::Phase::kLaunching;  // Until it re-subscribes.
      reaper_->Watch(executor.pid);
      executor.registration_timer = loop_.RunAfter(options_.executor_registration_timeout,
                                                   [this, key] { OnRegistrationTimeout(key); });
      LOG(INFO) << "Recovered executor_id=" << executor_id << " framework_id=" << framework_id
                << " pid=" << executor.pid << " with " << task_ids.size() << " task(s)";
    }
  }
  for (const Key& key : gone) OnRecoveredExecutorGone(key, rebooted);
  if (recovered_tasks > 0) LOG(INFO) << "Recovered " << recovered_tasks << " task(s)";
}

void AgentImpl::OnRecoveredExecutorGone(const Key& key, bool rebooted) {
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  LOG(WARNING) << "executor_id=" << key.second << " framework_id=" << key.first
               << " did not survive the agent restart";
  std::set<std::string> task_ids = it->second.task_ids;
  for (const std::string& task_id : task_ids) {
    auto task = tasks_.find(Key(key.first, task_id));
    if (task == tasks_.end() || task->second.terminal_reported) continue;
    GenerateUpdate(key.first, key.second, task_id, v1::TASK_FAILED,
                   rebooted ? v1::TaskStatus::REASON_AGENT_RESTARTED
                            : v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                   rebooted ? "The machine rebooted; the executor is gone"
                            : "The executor exited while the agent was down");
  }
  executors_.erase(it);
  for (const std::string& task_id : task_ids) MaybeForgetTask(Key(key.first, task_id));
}

}  // namespace agora::agent
