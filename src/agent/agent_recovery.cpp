// AgentImpl: recovery of checkpointed state after an agent restart.
//
// Applies what LoadCheckpointedState read (and validated) from
// work_dir/meta: frameworks, executors (with the pid and its start time),
// tasks and each task's update log. Tasks are rebuilt with their latest
// state, and their unacknowledged updates go back into the status update
// manager (to be forwarded once registered). An executor whose process
// still runs (same boot, same pid start time) is watched and given
// --executor_registration_timeout to re-subscribe; the session of an
// executor that is gone is killed, then its unfinished tasks are failed.
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"
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

void AgentImpl::Recover(CheckpointedState state) {
  DCHECK(loop_.IsInLoopThread());
  bool rebooted = !checkpointed_boot_id_.empty() && checkpointed_boot_id_ != BootId();
  if (rebooted) LOG(WARNING) << "The machine rebooted since the last run: executors are gone";
  frameworks_ = std::move(state.frameworks);
  size_t recovered_tasks = 0;
  std::vector<Key> gone;
  std::vector<Key> never_launched;
  std::vector<Key> builtin;  // Command tasks of the built-in executor.
  for (RecoveredExecutor& recovered : state.executors) {
    const std::string& framework_id = recovered.framework_id;
    const std::string& executor_id = recovered.executor_id;
    Key key(framework_id, executor_id);
    ExecutorRecord& executor = executors_[key];
    v1::FrameworkID id;
    id.set_value(framework_id);
    for (RecoveredTask& task : recovered.tasks) {
      const std::string task_id = task.task.task_id().value();
      TaskRecord record;
      record.task = std::move(task.task);
      std::vector<v1::TaskStatus> pending =
          ReplayUpdates(task.log, &record.task, &record.terminal_reported, &record.acked_uuids);
      tasks_[Key(framework_id, task_id)] = std::move(record);
      executor.task_ids.insert(task_id);
      // The health checks of a command task had asked for its kill.
      if (!task.health_failure.empty()) executor.health_failure = task.health_failure;
      for (const v1::TaskStatus& update : pending) updates_->Update(id, update);
      recovered_tasks++;
    }
    const internal::ExecutorCheckpoint& checkpoint = recovered.checkpoint;
    executor.framework_id = framework_id;
    executor.info = checkpoint.info();
    executor.info.mutable_executor_id()->set_value(executor_id);
    executor.info.mutable_framework_id()->set_value(framework_id);
    executor.command_executor = executor.info.type() == v1::ExecutorInfo::DEFAULT;
    executor.builtin = checkpoint.builtin();
    executor.sandbox = !checkpoint.sandbox().empty()
                           ? checkpoint.sandbox()
                           : SandboxPath(options_.work_dir, framework_id, executor_id);
    // The run its tasks ran in (none if the executor never launched).
    if (recovered.have_checkpoint) {
      for (const std::string& task_id : executor.task_ids)
        tasks_[Key(framework_id, task_id)].sandbox = executor.sandbox;
    }
    executor.container_id = checkpoint.container_id().value();
    // Started through agora-shim in its cgroups (an executor an older agent
    // started has none: the cgroup operations then find nothing to do).
    executor.in_cgroup = !executor.builtin && isolator_ != nullptr;
    if (executor.in_cgroup) executor.limits = ExecutorLimits(key);
    executor.recovered = true;
    executor.pid = checkpoint.pid();
    executor.start_ticks = checkpoint.pid_start_ticks();
    if (!recovered.have_checkpoint) {
      never_launched.push_back(key);
      continue;
    }
    if (rebooted) {
      gone.push_back(key);
      continue;
    }
    if (executor.builtin) {
      builtin.push_back(key);
      continue;
    }
    executor.phase = ExecutorRecord::Phase::kLaunching;  // Until it re-subscribes.
    if (executor.pid > 0) {
      ProcessStat stat;
      bool alive = ReadProcessStat(executor.pid, &stat) && stat.state != 'Z' &&
                   stat.start_ticks == executor.start_ticks;
      if (!alive) {
        gone.push_back(key);
        continue;
      }
      WatchExecutor(key, executor.pid);
    }
    executor.registration_timer = loop_.RunAfter(options_.executor_registration_timeout,
                                                 [this, key] { OnRegistrationTimeout(key); });
    LOG(INFO) << "Recovered executor_id=" << executor_id << " framework_id=" << framework_id
              << " pid=" << executor.pid << " with " << executor.task_ids.size()
              << " task(s); waiting for it to re-subscribe";
  }
  for (const Key& key : never_launched) {
    ExecutorRecord& executor = executors_.at(key);
    for (const std::string& task_id : executor.task_ids) {
      if (tasks_.at(Key(key.first, task_id)).terminal_reported) continue;
      GenerateUpdate(key.first, key.second, task_id, v1::TASK_DROPPED,
                     v1::TaskStatus::REASON_AGENT_RESTARTED,
                     "The agent restarted before it started the task's executor (the launch "
                     "was queued or starting); the task never ran");
    }
    std::set<std::string> task_ids = executor.task_ids;
    executors_.erase(key);
    for (const std::string& task_id : task_ids) MaybeForgetTask(Key(key.first, task_id));
  }
  for (const Key& key : gone) {
    ExecutorRecord& executor = executors_.at(key);
    executor.exited = true;
    // Without a start time (the executor exited before it could be read) a
    // session id cannot be told from a recycled one: nothing is killed.
    if (rebooted || executor.pid <= 0 || executor.start_ticks == 0) {
      OnRecoveredExecutorGone(key, rebooted);
      continue;
    }
    // Whatever the dead executor left in its session dies before its tasks
    // are reported (the start-time guard skips a recycled session id).
    pid_t pid = executor.pid;
    uint64_t start_ticks = executor.start_ticks;
    const CgroupsIsolator* isolator = executor.in_cgroup ? isolator_.get() : nullptr;
    CgroupsRemover* remover = cgroups_remover_.get();
    std::string container_id = executor.container_id;
    auto work = [this, key, pid, start_ticks, isolator, remover, container_id] {
      int killed = KillSession(pid, start_ticks);
      killed += EndExecutorContainer(isolator, remover, container_id, "").killed;
      loop_.Post([this, key, killed] {
        if (killed > 0) {
          session_processes_killed_ += static_cast<uint64_t>(killed);
          LOG(WARNING) << "Killed " << killed << " process(es) left in the session of "
                       << "executor_id=" << key.second << ", which died while the agent was down";
        }
        OnRecoveredExecutorGone(key, false);
      });
    };
    if (!io_->Post(IoKey(key.first, key.second), std::move(work)))
      OnRecoveredExecutorGone(key, false);
  }
  for (const Key& key : builtin) RecoverCommandTask(key);
  RemoveOrphanCgroups();
  // Finished and acknowledged tasks of executors that are gone.
  std::vector<Key> task_keys;
  for (const auto& [task_key, record] : tasks_) task_keys.push_back(task_key);
  for (const Key& task_key : task_keys) MaybeForgetTask(task_key);
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
