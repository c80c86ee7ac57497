// AgentImpl: the built-in command executor. A command task (no
// ExecutorInfo) runs without an executor process: the agent starts it
// through agora-shim (the leader of the task's session, its parent, the
// writer of its exit status into `<sandbox>/.agora-status`), reports its
// updates itself (source EXECUTOR: RUNNING once the shim runs, then the
// terminal state from the status file), and applies its kill policy
// (SIGTERM to the task's process group through the shim, SIGKILL of the
// session after the grace period). The task outlives an agent restart: the
// restarted agent adopts the shim (pid and start time checkpointed), or
// reads the status file of a task that ended while it was down.
//
// Under cgroups isolation (agent_isolation.cpp) the task's container cgroup
// holds its whole tree whatever sessions it makes: the kill escalates to it,
// its OOM verdict decides a failed task's reason, and it is removed once the
// task ended.
#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/process_tree.hpp"
#include "agent/task_user.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "shim/shim.hpp"

namespace agora::agent {
namespace {

constexpr char kShimStatusFile[] = "/.agora-status";
// How much of a failed command's stderr goes into its TASK_FAILED message.
constexpr size_t kStderrTailBytes = 512;

}  // namespace

LaunchSpec AgentImpl::ShimSpec(const std::string& sandbox, const std::string& shell_command) const {
  LaunchSpec spec;
  spec.program = shim_path_;
  spec.argv = {shim_path_, "--sandbox=" + sandbox, "--command=" + shell_command};
  spec.working_dir = sandbox;
  if (options_.container_log_max_size > 0) {
    // The shim owns the command's output pipes and rotates the files.
    spec.argv.push_back(absl::StrCat("--log_max_size=", options_.container_log_max_size));
    spec.argv.push_back(absl::StrCat("--log_max_files=", options_.container_log_max_files));
  }
  // The shim's own complaints (it opens the command's files itself).
  spec.stdout_path = sandbox + "/stdout";
  spec.stderr_path = sandbox + "/stderr";
  return spec;
}

LaunchSpec AgentImpl::ShimLaunchSpec(const Key& key, const ExecutorRecord& executor) const {
  const v1::TaskInfo& task = tasks_.at(key).task.info();
  LaunchSpec spec = ShimSpec(executor.sandbox, ShellCommandOf(task.command()));
  spec.env = InheritedEnvironment();
  spec.env.push_back("AGORA_FRAMEWORK_ID=" + key.first);
  spec.env.push_back("AGORA_EXECUTOR_ID=" + key.second);
  spec.env.push_back("AGORA_TASK_ID=" + task.task_id().value());
  spec.env.push_back("AGORA_AGENT_ID=" + agent_id_);
  spec.env.push_back("AGORA_SANDBOX=" + executor.sandbox);
  for (const auto& var : task.command().environment().variables())
    spec.env.push_back(var.name() + "=" + var.value());
  return spec;
}

std::optional<std::string> AgentImpl::SwitchedUser(const std::string& framework_id,
                                                   const v1::CommandInfo& command) const {
  if (!options_.switch_user) return std::nullopt;
  auto framework = frameworks_.find(framework_id);
  return TaskUserName(command,
                      framework != frameworks_.end() ? framework->second : v1::FrameworkInfo());
}

std::optional<std::string> AgentImpl::CommandTaskUser(const Key& key) const {
  return SwitchedUser(key.first, tasks_.at(key).task.info().command());
}

void AgentImpl::SendCommandUpdate(const Key& key, v1::TaskState state,
                                  v1::TaskStatus::Reason reason, const std::string& message,
                                  std::optional<int> wait_status) {
  v1::TaskStatus status =
      NewStatus(key.second, key.second, state, v1::TaskStatus::SOURCE_EXECUTOR, reason, message);
  if (wait_status) {
    status.set_exit_status(*wait_status);
    status.set_has_exit_status(true);
  }
  if (IsTerminalState(state))
    LOG(INFO) << "Task task_id=" << key.second << " is " << ShortStateName(state) << ": "
              << message;
  HandleUpdate(key.first, key.second, std::move(status), [](const absl::Status&) {});
}

void AgentImpl::OnCommandTaskStarted(const Key& key, bool started) {
  ExecutorRecord& executor = executors_.at(key);
  executor.phase = ExecutorRecord::Phase::kRunning;
  executor.queued.clear();
  // The launch held its slot while the shim was being spawned.
  OnLaunchSlotFreed(key);
  if (!started) return;  // The shim's exit reports why (TASK_FAILED).
  SendCommandUpdate(key, v1::TASK_RUNNING, v1::TaskStatus::REASON_UNSPECIFIED, "", std::nullopt);
  StartHealthChecks(key);
}

void AgentImpl::KillCommandTask(const Key& key, absl::Duration grace) {
  ExecutorRecord& executor = executors_.at(key);
  if (executor.exited || executor.kill_requested) return;
  executor.kill_requested = true;
  if (executor.health) executor.health->Stop();
  if (executor.pid <= 0) {
    // Not started yet (queued or being spawned): nothing runs to be asked.
    executor.exit_state = v1::TASK_KILLED;
    executor.exit_message = "Killed before the task started";
    KillExecutorTree(executor, SIGKILL);
    return;
  }
  LOG(INFO) << "Killing task_id=" << key.second << " with a grace period of " << grace;
  pid_t pid = executor.pid;
  uint64_t start_ticks = executor.start_ticks;
  // The shim forwards SIGTERM to the task's process group. A pid adopted
  // after a restart is checked against its start time first.
  io_->Post(IoKey(key.first, key.second), [pid, start_ticks] {
    if (ProcessStartTicks(pid) == start_ticks) ::kill(pid, SIGTERM);
  });
  executor.kill_timer = loop_.RunAfter(grace, [this, key, pid, start_ticks] {
    auto it = executors_.find(key);
    if (it == executors_.end() || it->second.exited) return;
    it->second.kill_timer = 0;
    LOG(WARNING) << "task_id=" << key.second
                 << " outlived its kill grace period; killing its session"
                 << (isolator_ != nullptr ? " and its cgroup" : "");
    // The shim is spared: it records how its task ended, then exits.
    const CgroupsIsolator* isolator = isolator_.get();
    std::string container_id = it->second.container_id;
    io_->Post(IoKey(key.first, key.second), [pid, start_ticks, isolator, container_id] {
      KillSession(pid, start_ticks, /*spare=*/pid);
      if (isolator != nullptr) isolator->Kill(container_id, /*spare=*/pid);
    });
  });
}

void AgentImpl::OnShimExited(const Key& key, std::optional<int> wait_status) {
  ExecutorRecord& executor = executors_.at(key);
  executor.exited = true;
  if (executor.kill_timer != 0) loop_.Cancel(executor.kill_timer);
  executor.kill_timer = 0;
  if (executor.health) executor.health->Stop();
  OnLaunchSlotFreed(key);
  pid_t pid = executor.pid;
  uint64_t start_ticks = executor.start_ticks;
  ShimEnd end;
  end.kill_requested = executor.kill_requested;
  end.health_failure = executor.health_failure;
  end.shim_wait_status = wait_status;
  std::string sandbox = executor.sandbox;
  // A shim that exited normally saw every process of its task gone (it is
  // their subreaper); otherwise the session is searched and killed.
  bool clean =
      wait_status && WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == shim::kShimRecorded;
  // Queued behind the task's checkpoint writes (same key).
  const CgroupsIsolator* isolator = executor.builtin ? isolator_.get() : nullptr;
  CgroupsRemover* remover = cgroups_remover_.get();
  std::string container_id = executor.container_id;
  auto work = [this, key, pid, start_ticks, end, sandbox, clean, isolator, remover,
               container_id]() mutable {
    int killed = 0;
    if (pid > 0 && !clean) killed = KillSession(pid, start_ticks);
    // Read before the cgroup goes; whatever left the session (setsid after
    // a double fork) is still in the cgroup and dies here.
    std::optional<MemoryLimitation> memory;
    if (isolator != nullptr && !container_id.empty()) {
      memory = isolator->MemoryLimitationOf(container_id);
      killed += isolator->Kill(container_id);
      // Empty now; removed in the background (a stopping agent leaves it
      // to the orphan sweep of its next start).
      remover->Remove(container_id);
    }
    if (pid <= 0) {
      // The shim's pid was never recorded: find what runs by its sandbox.
      bool found = false;
      killed = KillSandboxSessions(sandbox, &found);
      end.no_shim_found = !found;
    }
    end.record = shim::ReadShimStatusFile(sandbox + kShimStatusFile);
    CommandEnd result = DescribeCommandEnd(end);
    if (result.state == v1::TASK_FAILED) {
      end.stderr_tail = ReadFileTail(sandbox + "/stderr", kStderrTailBytes);
      result = DescribeCommandEnd(end);
    }
    if (memory && result.state != v1::TASK_KILLED && result.state != v1::TASK_DROPPED) {
      result.state = v1::TASK_FAILED;
      result.reason = v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY;
      result.message = DescribeMemoryLimitation(*memory);
    }
    loop_.Post([this, key, result, killed] { OnCommandTaskEnded(key, result, killed); });
  };
  if (!io_->Post(IoKey(key.first, key.second), std::move(work))) {
    LOG(WARNING) << "Agent stopping; the end of task_id=" << key.second
                 << " is reported after the restart";
  }
}

void AgentImpl::OnCommandTaskEnded(const Key& key, const CommandEnd& end, int killed) {
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  ExecutorRecord& executor = it->second;
  if (killed > 0) {
    session_processes_killed_ += static_cast<uint64_t>(killed);
    LOG(WARNING) << "Killed " << killed << " process(es) task_id=" << key.second
                 << " left in its session";
  }
  auto task = tasks_.find(key);
  if (task != tasks_.end() && !task->second.terminal_reported &&
      !IsTerminalState(task->second.task.state())) {
    v1::TaskStatus::Reason reason = end.reason;
    // A shutdown (framework removed, agent draining) says why it killed.
    if (end.state == v1::TASK_KILLED && executor.phase == ExecutorRecord::Phase::kTerminating)
      reason = executor.exit_reason;
    if (reason == v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY) memory_limitations_++;
    SendCommandUpdate(key, end.state, reason, end.message, end.wait_status);
  }
  executors_exited_++;
  executors_.erase(it);
  MaybeForgetTask(key);
  launches_.Cancel(key);
  OnLaunchSlotFreed(key);
}

void AgentImpl::RecoverCommandTask(const Key& key) {
  ExecutorRecord& executor = executors_.at(key);
  executor.phase = ExecutorRecord::Phase::kRunning;
  if (executor.pid <= 0) {
    // The checkpoint has no pid (it is written before the spawn only): the
    // shim's own record names it.
    shim::ShimStatusRead read = shim::ReadShimStatusFile(executor.sandbox + kShimStatusFile);
    if (read.outcome == shim::ShimStatusRead::kOk) {
      executor.pid = read.status.shim.pid;
      executor.start_ticks = read.status.shim.start_time;
    }
  }
  bool alive = executor.pid > 0 && ProcessStartTicks(executor.pid) == executor.start_ticks;
  LOG(INFO) << "Recovered task_id=" << key.second << " framework_id=" << key.first
            << " (built-in command executor, shim pid=" << executor.pid << ", "
            << (alive ? "running" : "gone") << ")";
  // Its health checks had asked for its kill (checkpointed): it still ends
  // TASK_FAILED with their reason, and a live one is killed again.
  bool health_kill = !executor.health_failure.empty();
  if (!alive) {
    executor.kill_requested = executor.kill_requested || health_kill;
    OnShimExited(key, std::nullopt);
    return;
  }
  WatchExecutor(key, executor.pid);
  auto task = tasks_.find(key);
  if (task != tasks_.end() && task->second.task.state() == v1::TASK_STAGING &&
      !task->second.terminal_reported) {
    // Started just before the agent stopped, RUNNING not yet recorded.
    SendCommandUpdate(key, v1::TASK_RUNNING, v1::TaskStatus::REASON_UNSPECIFIED, "", std::nullopt);
  }
  if (health_kill) {
    LOG(WARNING) << "Killing task_id=" << key.second
                 << " again after the restart: " << executor.health_failure;
    KillCommandTask(key, KillGrace(task != tasks_.end() ? task->second.task.info().kill_policy()
                                                        : v1::KillPolicy()));
    return;
  }
  StartHealthChecks(key);
}

}  // namespace agora::agent
