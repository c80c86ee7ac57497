// AgentImpl: kills, and the end of an executor's life (registration
// timeout, shutdown, exit). An executor's tasks are reported terminal by the
// agent only after everything in its session is dead: a dead executor never
// leaves a task process running, and no task is reported dead while it
// runs.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/process_tree.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {

bool AgentImpl::HasLiveTaskOtherThan(const ExecutorRecord& executor,
                                     const std::string& task_id) const {
  for (const std::string& other : executor.task_ids) {
    if (other == task_id) continue;
    auto it = tasks_.find(Key(executor.framework_id, other));
    if (it != tasks_.end() && !it->second.terminal_reported &&
        !IsTerminalState(it->second.task.state()))
      return true;
  }
  return false;
}

void AgentImpl::OnKillTask(const internal::MasterMessage::KillTask& kill) {
  DCHECK(loop_.IsInLoopThread());
  const std::string& framework_id = kill.framework_id().value();
  const std::string& task_id = kill.task_id().value();
  auto task_it = tasks_.find(Key(framework_id, task_id));
  if (task_it == tasks_.end()) {
    LOG(WARNING) << "Asked to kill unknown task_id=" << task_id << " framework_id=" << framework_id;
    return;
  }
  TaskRecord& task = task_it->second;
  if (task.terminal_reported || IsTerminalState(task.task.state())) return;
  Key key(framework_id, task.task.executor_id().value());
  auto it = executors_.find(key);
  if (it == executors_.end()) {
    GenerateUpdate(framework_id, key.second, task_id, v1::TASK_KILLED,
                   v1::TaskStatus::REASON_UNSPECIFIED, "Killed; its executor was gone");
    return;
  }
  ExecutorRecord& executor = it->second;
  v1::KillPolicy policy =
      kill.has_kill_policy() ? kill.kill_policy() : task.task.info().kill_policy();
  bool queued = false;
  for (auto q = executor.queued.begin(); q != executor.queued.end(); ++q) {
    if (q->task_id().value() == task_id) {
      executor.queued.erase(q);
      queued = true;
      break;
    }
  }
  if (executor.builtin && !queued) {
    KillCommandTask(key, KillGrace(policy));
    return;
  }
  bool subscribed = executor.stream && !executor.stream->closing() && !executor.exited;
  if (!queued && subscribed) {
    LOG(INFO) << "Killing task_id=" << task_id << " through executor_id=" << key.second;
    v1::ExecutorEvent event;
    event.set_type(v1::ExecutorEvent::KILL);
    *event.mutable_kill()->mutable_task_id() = kill.task_id();
    *event.mutable_kill()->mutable_kill_policy() = policy;
    executor.stream->Send(std::move(event));
    return;
  }
  bool others_alive = HasLiveTaskOtherThan(executor, task_id);
  if (queued) {
    // The executor never got the task: nothing of it runs.
    LOG(INFO) << "Killing task_id=" << task_id << " before its executor started it";
    GenerateUpdate(framework_id, key.second, task_id, v1::TASK_KILLED,
                   v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                   "Killed before the executor started it");
    if (!others_alive && executor.phase == ExecutorRecord::Phase::kLaunching) {
      executor.exit_state = v1::TASK_KILLED;
      KillExecutorTree(executor, SIGKILL);
    }
    return;
  }
  // The executor has (or may have) the task but is not subscribed right now
  // (it is starting, or has not re-subscribed since an agent restart). The
  // task may be running: it is reported KILLED only once it is dead.
  executor.pending_kills[task_id] = policy;
  if (others_alive) {
    LOG(INFO) << "Will kill task_id=" << task_id << " when executor_id=" << key.second
              << " subscribes";
    // If it never does, the registration timeout kills it (and reports
    // this task KILLED).
    if (executor.registration_timer == 0) {
      executor.registration_timer = loop_.RunAfter(options_.executor_registration_timeout,
                                                   [this, key] { OnRegistrationTimeout(key); });
    }
    return;
  }
  LOG(INFO) << "Killing task_id=" << task_id << ": its executor_id=" << key.second
            << " is not subscribed and has nothing else to run; killing its process tree";
  executor.exit_state = v1::TASK_KILLED;
  executor.exit_reason = v1::TaskStatus::REASON_EXECUTOR_TERMINATED;
  executor.exit_message =
      "Killed by its framework while its executor was not subscribed: the executor's process "
      "tree was killed";
  KillExecutorTree(executor, SIGKILL);
}

void AgentImpl::ShutdownExecutor(const Key& key, v1::TaskStatus::Reason reason) {
  DCHECK(loop_.IsInLoopThread());
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  ExecutorRecord& executor = it->second;
  executor.exit_state = v1::TASK_KILLED;
  executor.exit_reason = reason;
  executor.exit_message = "Executor shut down";
  if (executor.phase == ExecutorRecord::Phase::kTerminating) return;
  if (executor.builtin) {
    executor.phase = ExecutorRecord::Phase::kTerminating;
    KillCommandTask(key, options_.executor_shutdown_grace_period);
    return;
  }
  bool subscribed = executor.phase == ExecutorRecord::Phase::kRunning && executor.stream &&
                    !executor.stream->closing();
  executor.phase = ExecutorRecord::Phase::kTerminating;
  LOG(INFO) << "Shutting down executor_id=" << key.second << " framework_id=" << key.first;
  if (!subscribed) {
    KillExecutorTree(executor, SIGKILL);
    return;
  }
  v1::ExecutorEvent event;
  event.set_type(v1::ExecutorEvent::SHUTDOWN);
  event.mutable_shutdown()->set_grace_period_seconds(
      absl::ToDoubleSeconds(options_.executor_shutdown_grace_period));
  executor.stream->Send(std::move(event));
  executor.shutdown_timer = loop_.RunAfter(options_.executor_shutdown_grace_period, [this, key] {
    auto it = executors_.find(key);
    if (it == executors_.end()) return;
    it->second.shutdown_timer = 0;
    KillExecutorTree(it->second, SIGKILL);
  });
}

void AgentImpl::KillExecutorTree(ExecutorRecord& executor, int signal) {
  if (executor.exited) return;  // Its session is being killed already.
  if (executor.pid <= 0) {
    Key key(executor.framework_id, executor.info.executor_id().value());
    if (launches_.Cancel(key)) {
      // Still waiting in the launch queue: nothing was started, so nothing
      // is killed; its tasks are reported now (after the caller is done with
      // the record).
      executor.exited = true;
      loop_.Post([this, key] { OnExecutorTreeKilled(key, 0, 0); });
      return;
    }
    executor.kill_when_launched = true;
    return;
  }
  pid_t pid = executor.pid;
  Launcher* launcher = launcher_.get();
  // In a cgroup, SIGKILL reaches what left the session too.
  const CgroupsIsolator* isolator =
      executor.in_cgroup && signal == SIGKILL ? isolator_.get() : nullptr;
  std::string container_id = executor.container_id;
  auto kill = [launcher, pid, signal, isolator, container_id] {
    launcher->KillTree(pid, signal);
    if (isolator != nullptr) isolator->Kill(container_id);
  };
  if (!io_->Post(IoKey(executor.framework_id, executor.info.executor_id().value()), kill)) kill();
}

void AgentImpl::KillAllExecutorsNow() {
  for (auto& [key, executor] : executors_) {
    if (launches_.Cancel(key)) {
      executor.exited = true;  // Never started; never will be.
      continue;
    }
    executor.kill_when_launched = true;
    executor.kill_requested = true;
    executor.exit_state = v1::TASK_KILLED;
    executor.exit_message = "The agent shut down";
    if (executor.pid > 0 && !executor.exited) launcher_->KillTree(executor.pid, SIGKILL);
    if (executor.in_cgroup && isolator_ != nullptr && !executor.exited)
      isolator_->Kill(executor.container_id);
  }
}

void AgentImpl::OnRegistrationTimeout(const Key& key) {
  DCHECK(loop_.IsInLoopThread());
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  ExecutorRecord& executor = it->second;
  executor.registration_timer = 0;
  bool subscribed = executor.stream && !executor.stream->closing();
  if (subscribed || executor.exited || executor.phase == ExecutorRecord::Phase::kTerminating)
    return;
  OnLaunchSlotFreed(key);
  LOG(WARNING) << "executor_id=" << key.second << " framework_id=" << key.first
               << " did not subscribe within " << options_.executor_registration_timeout
               << "; killing its process tree";
  executor.exit_state = v1::TASK_FAILED;
  executor.exit_reason = executor.recovered ? v1::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT
                                            : v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT;
  executor.exit_message =
      absl::StrCat("Executor did not ", executor.recovered ? "re-subscribe" : "subscribe",
                   " within ", absl::FormatDuration(options_.executor_registration_timeout));
  if (executor.pid > 0) {
    KillExecutorTree(executor, SIGKILL);
    return;
  }
  // Recovered without a pid (the agent stopped between writing the
  // executor's checkpoint and recording its pid): find it by its sandbox.
  executor.exited = true;
  std::string sandbox = executor.sandbox;
  auto work = [this, key, sandbox] {
    int killed = KillSandboxSessions(sandbox);
    loop_.Post([this, key, killed] { OnExecutorTreeKilled(key, 0, killed); });
  };
  if (!io_->Post(IoKey(key.first, key.second), std::move(work))) OnExecutorTreeKilled(key, 0, 0);
}

void AgentImpl::WatchExecutor(const Key& key, pid_t pid) {
  watched_pids_[pid] = key;
  reaper_->Watch(pid);
}

void AgentImpl::OnChildExited(pid_t pid, int wait_status) {
  DCHECK(loop_.IsInLoopThread());
  auto watched = watched_pids_.find(pid);
  if (watched == watched_pids_.end()) return;
  auto it = executors_.find(watched->second);
  watched_pids_.erase(watched);
  if (it == executors_.end() || it->second.pid != pid || it->second.exited) return;
  Key key = it->first;
  ExecutorRecord& executor = it->second;
  if (executor.builtin) {
    // An adopted shim is not our child: its wait status is not ours to see.
    OnShimExited(key, executor.recovered ? std::nullopt : std::optional<int>(wait_status));
    return;
  }
  executors_exited_++;
  LOG(INFO) << "executor_id=" << key.second << " framework_id=" << key.first << " pid=" << pid
            << " exited with wait status " << wait_status
            << "; killing what is left of its session";
  if (executor.registration_timer != 0) loop_.Cancel(executor.registration_timer);
  if (executor.shutdown_timer != 0) loop_.Cancel(executor.shutdown_timer);
  executor.registration_timer = 0;
  executor.shutdown_timer = 0;
  executor.exited = true;
  OnLaunchSlotFreed(key);
  // Queued behind the executor's pending checkpoint writes (same key), so
  // the updates it sent before dying are applied first.
  uint64_t start_ticks = executor.start_ticks;
  const CgroupsIsolator* isolator = executor.in_cgroup ? isolator_.get() : nullptr;
  CgroupsRemover* remover = cgroups_remover_.get();
  std::string container_id = executor.container_id;
  std::string sandbox = executor.sandbox;
  auto work = [this, key, pid, start_ticks, wait_status, isolator, remover, container_id, sandbox] {
    // Our own child was just reaped, so its session id cannot have been
    // recycled yet; a recovered one carries its checkpointed start time.
    int killed = KillSession(pid, start_ticks);
    // `pid` was the executor's shim: the executor's own end is in its
    // record; what left the session is still in the cgroup and dies here.
    ExecutorContainerEnd end = EndExecutorContainer(isolator, remover, container_id, sandbox);
    loop_.Post([this, key, wait_status, killed, end] {
      OnExecutorContainerEnded(key, wait_status, killed, end);
    });
  };
  if (!io_->Post(IoKey(key.first, key.second), std::move(work)))
    OnExecutorTreeKilled(key, wait_status, 0);
}

void AgentImpl::OnExecutorTreeKilled(const Key& key, int wait_status, int killed) {
  DCHECK(loop_.IsInLoopThread());
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  ExecutorRecord& executor = it->second;
  if (killed > 0) {
    session_processes_killed_ += static_cast<uint64_t>(killed);
    LOG(WARNING) << "Killed " << killed
                 << " process(es) left in the session of executor_id=" << key.second
                 << " framework_id=" << key.first;
  }
  for (const std::string& task_id : executor.task_ids) {
    auto task_it = tasks_.find(Key(key.first, task_id));
    if (task_it == tasks_.end() || task_it->second.terminal_reported ||
        IsTerminalState(task_it->second.task.state()))
      continue;
    if (executor.pending_kills.count(task_id) != 0 && executor.exit_state != v1::TASK_KILLED) {
      GenerateUpdate(key.first, key.second, task_id, v1::TASK_KILLED,
                     v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                     absl::StrCat("Killed by its framework; its executor ended before the kill "
                                  "was delivered (",
                                  executor.exit_message, ")"));
      continue;
    }
    GenerateUpdate(key.first, key.second, task_id, executor.exit_state, executor.exit_reason,
                   executor.exit_message);
  }
  if (!executor.builtin) {  // The built-in executor is no process the framework knows.
    internal::AgentMessage exited;
    exited.set_type(internal::AgentMessage::EXECUTOR_EXITED);
    exited.mutable_executor_exited()->mutable_framework_id()->set_value(key.first);
    exited.mutable_executor_exited()->mutable_executor_id()->set_value(key.second);
    exited.mutable_executor_exited()->set_status(wait_status);
    SendToMaster(std::move(exited));
  }
  if (executor.stream && !executor.stream->closing()) executor.stream->Finish(grpc::Status::OK);
  std::set<std::string> task_ids = executor.task_ids;
  executors_.erase(it);
  for (const std::string& task_id : task_ids) MaybeForgetTask(Key(key.first, task_id));
  launches_.Cancel(key);
  OnLaunchSlotFreed(key);
}

}  // namespace agora::agent
