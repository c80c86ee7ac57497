// AgentImpl: task launch, kill and the executor process life cycle.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"
#include "agent/sandbox_dirs.hpp"
#include "agent/task_user.hpp"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// How long a launch waits for agora-shim to report that the task's process
// exists before RUNNING is reported anyway (a shim starts it in ~1 ms).
constexpr absl::Duration kShimReadyWait = absl::Seconds(10);

v1::Task NewTask(const std::string& framework_id, const std::string& executor_id,
                 const v1::TaskInfo& info) {
  v1::Task task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  task.mutable_framework_id()->set_value(framework_id);
  task.mutable_executor_id()->set_value(executor_id);
  task.set_state(v1::TASK_STAGING);
  *task.mutable_resources() = info.resources();
  *task.mutable_labels() = info.labels();
  *task.mutable_info() = info;
  return task;
}

}  // namespace

void AgentImpl::OnRunTasks(const internal::MasterMessage::RunTasks& run) {
  DCHECK(loop_.IsInLoopThread());
  const std::string& framework_id = run.framework_info().id().value();
  if (framework_id.empty() || run.tasks_size() == 0) {
    LOG(ERROR) << "Ignoring RUN_TASKS without a framework id or tasks";
    return;
  }
  if (!checkpoint_error_.ok()) {
    RefuseLaunch(run);
    return;
  }
  auto known = frameworks_.find(framework_id);
  bool framework_changed =
      known == frameworks_.end() ||
      known->second.SerializeAsString() != run.framework_info().SerializeAsString();
  frameworks_[framework_id] = run.framework_info();
  if (framework_changed) {
    internal::FrameworkCheckpoint checkpoint;
    *checkpoint.mutable_info() = run.framework_info();
    std::string path = FrameworkCheckpointPath(options_.work_dir, framework_id);
    Persist({framework_id, path, [path, checkpoint] { return WriteMessage(path, checkpoint); }});
  }
  bool custom = !run.executor_info().executor_id().value().empty();
  for (const v1::TaskInfo& task : run.tasks()) {
    const std::string& task_id = task.task_id().value();
    Key task_key(framework_id, task_id);
    if (task_id.empty()) {
      LOG(ERROR) << "Ignoring a launch without a task id of framework_id=" << framework_id;
      continue;
    }
    if (tasks_.count(task_key) != 0) {
      RefuseTaskIdInUse(framework_id, task_id);
      continue;
    }
    std::string executor_id = custom ? run.executor_info().executor_id().value() : task_id;
    Key key(framework_id, executor_id);
    LaunchQueue::Admission admission = LaunchQueue::Admission::kStartNow;
    if (executors_.count(key) == 0) {
      admission = launches_.Add(key);
      if (admission == LaunchQueue::Admission::kFull) {
        DropLaunch(framework_id, executor_id, task);
        continue;
      }
    }
    auto [it, created] = executors_.try_emplace(key);
    ExecutorRecord& executor = it->second;
    if (created) {
      executor.framework_id = framework_id;
      if (custom) {
        executor.info = run.executor_info();
        if (executor.info.type() == v1::ExecutorInfo::TYPE_UNSPECIFIED)
          executor.info.set_type(v1::ExecutorInfo::CUSTOM);
      } else {
        executor.command_executor = true;
        executor.builtin = options_.command_executor == AgentOptions::CommandExecutor::kBuiltin;
        executor.info.set_type(v1::ExecutorInfo::DEFAULT);
        executor.info.mutable_executor_id()->set_value(executor_id);
        executor.info.set_name(absl::StrCat("Command Executor (Task: ", task_id, ")"));
        executor.info.mutable_command()->set_value(executor.builtin ? shim_path_ : executor_path_);
      }
      executor.info.mutable_framework_id()->set_value(framework_id);
    }
    TaskRecord record;
    record.task = NewTask(framework_id, executor_id, task);
    record.task.mutable_agent_id()->set_value(agent_id_);
    record.sandbox = executor.sandbox;  // Empty until the executor launches.
    CheckpointTask(record.task);
    tasks_[task_key] = std::move(record);
    executor.task_ids.insert(task_id);
    LOG(INFO) << "Launching task_id=" << task_id << " framework_id=" << framework_id
              << " on executor_id=" << executor_id;
    if (executor.phase == ExecutorRecord::Phase::kRunning && executor.stream &&
        !executor.stream->closing()) {
      v1::ExecutorEvent event;
      event.set_type(v1::ExecutorEvent::LAUNCH);
      *event.mutable_launch()->mutable_task() = task;
      executor.stream->Send(std::move(event));
    } else {
      executor.queued.push_back(task);
    }
    if (!created) {
      UpdateExecutorLimits(key);  // A task joined a running executor's container.
      continue;
    }
    if (admission == LaunchQueue::Admission::kStartNow) {
      LaunchExecutor(key);
    } else {
      VLOG(1) << "Queued the launch of executor_id=" << executor_id
              << " framework_id=" << framework_id << " (" << launches_.in_flight() << " in flight, "
              << launches_.queued() << " queued)";
    }
  }
}

void AgentImpl::DropLaunch(const std::string& framework_id, const std::string& executor_id,
                           const v1::TaskInfo& task) {
  const std::string& task_id = task.task_id().value();
  TaskRecord record;
  record.task = NewTask(framework_id, executor_id, task);
  record.task.mutable_agent_id()->set_value(agent_id_);
  tasks_[Key(framework_id, task_id)] = std::move(record);
  launches_dropped_queue_full_++;
  LOG(WARNING) << "Dropping task_id=" << task_id << " framework_id=" << framework_id
               << ": the launch queue is full (" << launches_.queued() << " waiting)";
  // Never started and never checkpointed: safe to launch elsewhere.
  GenerateUpdate(framework_id, executor_id, task_id, v1::TASK_DROPPED,
                 v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                 absl::StrCat("Agent ", agent_id_, " has ", launches_.queued(),
                              " launches waiting to start (--max_queued_launches=",
                              launches_.max_queued(), "); the task was not started"),
                 /*persist=*/false);
}

void AgentImpl::CheckpointTask(const v1::Task& task) {
  internal::TaskCheckpoint checkpoint;
  *checkpoint.mutable_task() = task;
  std::string path = TaskCheckpointPath(options_.work_dir, task.framework_id().value(),
                                        task.executor_id().value(), task.task_id().value());
  // Not held if it fails: the launch behind it is refused instead (see
  // LaunchExecutor), so nothing on disk claims a task that never ran.
  Key key(task.framework_id().value(), task.executor_id().value());
  Persist({IoKey(key.first, key.second), path,
           [path, checkpoint] { return WriteMessage(path, checkpoint); },
           /*hold_on_failure=*/false},
          [this, key](const absl::Status& written) {
            auto it = executors_.find(key);
            if (!written.ok() && it != executors_.end()) it->second.task_checkpoint_failed = true;
          });
}

void AgentImpl::RefuseTaskIdInUse(const std::string& framework_id, const std::string& task_id) {
  const TaskRecord& known = tasks_.at(Key(framework_id, task_id));
  // Never silently: the master would keep the new launch STAGING forever.
  // The answer goes after the old task's pending updates (same stream), so
  // it cannot be mistaken for one of them.
  LOG(WARNING) << "Refusing a launch of task_id=" << task_id << " framework_id=" << framework_id
               << ": a task with this id is still on this agent ("
               << ShortStateName(known.task.state()) << ")";
  // Straight into the task's update stream: the earlier task's record (its
  // state, its own terminal update still to come) is left alone.
  v1::TaskStatus status = NewStatus(
      known.task.executor_id().value(), task_id, v1::TASK_DROPPED, v1::TaskStatus::SOURCE_AGENT,
      v1::TaskStatus::REASON_TASK_INVALID,
      absl::StrCat("Task id ", task_id, " is still in use on agent ", agent_id_,
                   " (an earlier task with this id is ", ShortStateName(known.task.state()),
                   " and not yet fully acknowledged); the task was not started. Launch it "
                   "under a new task id"));
  v1::FrameworkID id;
  id.set_value(framework_id);
  updates_->Update(id, status);
}

std::string AgentImpl::RefusalMessage() const {
  return absl::StrCat("Agent ", agent_id_, " cannot checkpoint (", checkpoint_error_.message(),
                      "); it refuses launches until its work dir is writable again");
}

void AgentImpl::RefuseLaunch(const internal::MasterMessage::RunTasks& run) {
  const std::string& framework_id = run.framework_info().id().value();
  std::string message = RefusalMessage();
  bool custom = !run.executor_info().executor_id().value().empty();
  for (const v1::TaskInfo& task : run.tasks()) {
    const std::string& task_id = task.task_id().value();
    Key task_key(framework_id, task_id);
    if (task_id.empty()) continue;
    if (tasks_.count(task_key) != 0) {
      RefuseTaskIdInUse(framework_id, task_id);
      continue;
    }
    std::string executor_id = custom ? run.executor_info().executor_id().value() : task_id;
    TaskRecord record;
    record.task = NewTask(framework_id, executor_id, task);
    record.task.mutable_agent_id()->set_value(agent_id_);
    tasks_[task_key] = std::move(record);
    launches_refused_++;
    LOG(WARNING) << "Refusing to launch task_id=" << task_id << " framework_id=" << framework_id
                 << ": cannot checkpoint";
    // Never started, so safe to launch elsewhere: DROPPED. Not written (it
    // could not be); forwarded from memory.
    GenerateUpdate(framework_id, executor_id, task_id, v1::TASK_DROPPED,
                   v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, message, /*persist=*/false);
  }
}

LaunchSpec AgentImpl::ExecutorLaunchSpec(const Key& key, const ExecutorRecord& executor) const {
  LaunchSpec spec;
  const v1::CommandInfo& command = executor.info.command();
  if (executor.command_executor) {
    spec.program = executor_path_;
    spec.argv = {executor_path_};
  } else if (command.shell()) {
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", command.value()};
  } else {
    spec.program = command.value();
    spec.argv.assign(command.arguments().begin(), command.arguments().end());
  }
  spec.env = InheritedEnvironment();
  spec.env.push_back("AGORA_AGENT_ENDPOINT=" + endpoint_for_executors_);
  spec.env.push_back("AGORA_FRAMEWORK_ID=" + key.first);
  spec.env.push_back("AGORA_EXECUTOR_ID=" + key.second);
  spec.env.push_back("AGORA_AGENT_ID=" + agent_id_);
  spec.env.push_back("AGORA_SANDBOX=" + executor.sandbox);
  spec.env.push_back("AGORA_CHECKPOINT=1");
  spec.env.push_back(absl::StrCat("AGORA_EXECUTOR_SHUTDOWN_GRACE_PERIOD=",
                                  absl::ToDoubleSeconds(options_.executor_shutdown_grace_period)));
  for (const auto& var : command.environment().variables())
    spec.env.push_back(var.name() + "=" + var.value());
  spec.working_dir = executor.sandbox;
  spec.stdout_path = executor.sandbox + "/stdout";
  spec.stderr_path = executor.sandbox + "/stderr";
  return spec;
}

void AgentImpl::LaunchExecutor(const Key& key) {
  ExecutorRecord& executor = executors_.at(key);
  // Each launch gets its own run directory, named by its container id.
  executor.container_id = RandomHexId();
  executor.sandbox =
      RunSandboxPath(SandboxPath(options_.work_dir, key.first, key.second), executor.container_id);
  for (const std::string& task_id : executor.task_ids) {
    auto task = tasks_.find(Key(key.first, task_id));
    if (task != tasks_.end()) task->second.sandbox = executor.sandbox;
  }
  // Every container starts through agora-shim: a command task's shim runs
  // the task's command, another executor's its executor
  // (agent_executor_containers.cpp).
  LaunchSpec spec =
      executor.builtin ? ShimLaunchSpec(key, executor) : ExecutorShimSpec(key, executor);

  Launcher* launcher = launcher_.get();
  // --switch_user: the user is looked up (blocking) with the spawn.
  std::optional<std::string> user_name =
      executor.builtin ? CommandTaskUser(key) : ExecutorUser(key);
  v1::CommandInfo command;  // For the user's environment.
  if (user_name)
    command = executor.builtin ? tasks_.at(key).task.info().command() : executor.info.command();
  bool allow_root = options_.allow_root_tasks;
  // Containers run in their own cgroups, created before the shim starts:
  // a command task's limits are its task's, an executor's its own plus its
  // tasks' (rewritten as tasks join and leave).
  executor.in_cgroup = !executor.builtin && isolator_ != nullptr;
  if (executor.in_cgroup) executor.limits = ExecutorLimits(key);
  CommandCgroups cgroups{isolator_.get(), executor.container_id,
                         !isolator_           ? ContainerLimits{}
                         : executor.in_cgroup ? executor.limits
                                              : CommandTaskLimits(key)};
  internal::ExecutorCheckpoint checkpoint;
  *checkpoint.mutable_info() = executor.info;
  checkpoint.mutable_container_id()->set_value(executor.container_id);
  checkpoint.set_sandbox(executor.sandbox);
  checkpoint.set_builtin(executor.builtin);
  std::string checkpoint_path = ExecutorCheckpointPath(options_.work_dir, key.first, key.second);
  bool posted = io_->Post(IoKey(key.first, key.second), [this, launcher, key,
                                                         spec = std::move(spec), checkpoint,
                                                         checkpoint_path, cgroups, user_name,
                                                         command, allow_root]() mutable {
    // Runs after the task checkpoints (same key). The executor file is
    // written before the spawn (pid 0), so a restarted agent knows the
    // executor may exist even if it stopped before recording its pid;
    // if it cannot be written, nothing is spawned: the agent cannot
    // checkpoint and the launch is refused (never run what could not be
    // made durable).
    absl::Status written = WriteMessage(checkpoint_path, checkpoint);
    bool started = false;
    absl::StatusOr<pid_t> pid = [&]() -> absl::StatusOr<pid_t> {
      if (!written.ok()) return absl::UnavailableError(written.message());
      // Also clears the finished marker of an earlier run (sandbox GC).
      if (auto status = PrepareSandbox(spec.working_dir); !status.ok()) return status;
      if (user_name) {
        absl::StatusOr<TaskUser> user = LookUpTaskUser(*user_name, allow_root);
        if (!user.ok()) return user.status();
        ApplyTaskUser(*user, command, &spec);
      }
      if (auto joined = cgroups.Prepare(&spec); !joined.ok()) return joined;
      // RUNNING is reported once the task's process exists (an executor
      // reports its own start).
      absl::StatusOr<pid_t> shim = StartShim(*launcher, spec, kShimReadyWait, &started);
      if (!shim.ok()) cgroups.Destroy();  // No shim, no OnShimExited to remove them.
      return shim;
    }();
    bool hold = written.ok();  // The pid record below must reach the disk.
    uint64_t start_ticks = 0;
    if (pid.ok()) {
      // Where to find the executor after an agent restart.
      // Read even if it already exited (a zombie until reaped).
      ProcessStat stat;
      if (ReadProcessStat(*pid, &stat)) start_ticks = stat.start_ticks;
      checkpoint.set_pid(*pid);
      checkpoint.set_pid_start_ticks(start_ticks);
      // A shim records its own pid and start time in its status file
      // within a millisecond of its start, where a restarted agent looks
      // when the checkpoint has none: one file write per task saved.
      if (!checkpoint.builtin()) written = WriteMessage(checkpoint_path, checkpoint);
    }
    CheckpointWrite write{
        IoKey(key.first, key.second), checkpoint_path,
        [checkpoint_path, checkpoint] { return WriteMessage(checkpoint_path, checkpoint); }, hold};
    loop_.Post([this, key, pid, start_ticks, write, written, started] {
      OnExecutorLaunched(key, pid, start_ticks, write, written, started);
    });
  });
  if (!posted) LOG(WARNING) << "Agent stopping; executor_id=" << key.second << " not launched";
}

void AgentImpl::OnExecutorLaunched(const Key& key, absl::StatusOr<pid_t> pid, uint64_t start_ticks,
                                   const CheckpointWrite& checkpoint, const absl::Status& written,
                                   bool started) {
  if (!written.ok()) OnCheckpointFailed(checkpoint, written);
  auto it = executors_.find(key);
  if (it == executors_.end()) {
    if (pid.ok()) launcher_->KillTree(*pid, SIGKILL);
    OnLaunchSlotFreed(key);
    return;
  }
  ExecutorRecord& executor = it->second;
  if (!pid.ok()) {
    bool refused = absl::IsUnavailable(pid.status());  // Its checkpoint failed.
    LOG(ERROR) << "Cannot launch executor_id=" << key.second << ": " << pid.status();
    for (const std::string& task_id : executor.task_ids) {
      if (refused) {
        launches_refused_++;
        GenerateUpdate(key.first, key.second, task_id, v1::TASK_DROPPED,
                       v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, RefusalMessage(),
                       /*persist=*/false);
        continue;
      }
      GenerateUpdate(
          key.first, key.second, task_id, v1::TASK_FAILED,
          v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
          absl::StrCat(executor.builtin ? "Task launch failed: " : "Executor launch failed: ",
                       pid.status().message()));
    }
    std::set<std::string> task_ids = executor.task_ids;
    executors_.erase(it);
    for (const std::string& task_id : task_ids) MaybeForgetTask(Key(key.first, task_id));
    OnLaunchSlotFreed(key);
    return;
  }
  executor.pid = *pid;
  executor.start_ticks = start_ticks;
  executors_launched_++;
  WatchExecutor(key, *pid);
  LOG(INFO) << "Started executor_id=" << key.second << " framework_id=" << key.first
            << " pid=" << *pid << " sandbox=" << executor.sandbox;
  if (executor.kill_when_launched) {
    KillExecutorTree(executor, SIGKILL);
    return;
  }
  if (executor.builtin) {
    OnCommandTaskStarted(key, started);
    return;
  }
  if (executor.phase == ExecutorRecord::Phase::kLaunching) {
    // Armed now that the process exists: the time a launch waited in the
    // queue does not count.
    executor.registration_timer = loop_.RunAfter(options_.executor_registration_timeout,
                                                 [this, key] { OnRegistrationTimeout(key); });
  }
}

void AgentImpl::OnFrameworkMessage(const internal::MasterMessage::FrameworkMessage& message) {
  auto it = executors_.find(Key(message.framework_id().value(), message.executor_id().value()));
  if (it == executors_.end() || !it->second.stream || it->second.stream->closing()) {
    LOG(WARNING) << "Dropping a framework message for executor_id=" << message.executor_id().value()
                 << ": not subscribed";
    return;
  }
  v1::ExecutorEvent event;
  event.set_type(v1::ExecutorEvent::MESSAGE);
  event.mutable_message()->set_data(message.data());
  it->second.stream->Send(std::move(event));
}

}  // namespace agora::agent
