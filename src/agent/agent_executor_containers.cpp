// AgentImpl: custom executors (and `--command_executor=process`'s
// agora-executor) in containers. They are started through agora-shim like
// command tasks (LaunchExecutor): the shim leads the executor's session,
// joins its cgroups before the executor's first instruction (under cgroups
// isolation), rotates its stdout/stderr (--container_log_max_size) and runs
// it as the framework's user (--switch_user). The executor's `pid` is its
// shim's; the executor's own end is read from the shim's status file.
//
// The container's limits are the executor's resources plus those of its
// live tasks, rewritten when a task joins (OnRunTasks) or leaves
// (ApplyUpdate). A task the executor reports TASK_FAILED after the kernel
// OOM-killed a process of the container is reported with
// REASON_CONTAINER_LIMITATION_MEMORY; so are its unfinished tasks when the
// executor itself ends after an OOM kill. At the executor's end its cgroup
// is killed as a whole (nothing that left the session survives) and removed.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/executor_container.hpp"
#include "agent/task_user.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {

LaunchSpec AgentImpl::ExecutorShimSpec(const Key& key, const ExecutorRecord& executor) const {
  LaunchSpec direct = ExecutorLaunchSpec(key, executor);
  LaunchSpec spec = ShimSpec(executor.sandbox, ExecutorShellCommand(direct.program, direct.argv));
  // The shim passes its environment on to the executor.
  spec.env = std::move(direct.env);
  return spec;
}

std::optional<std::string> AgentImpl::ExecutorUser(const Key& key) const {
  return SwitchedUser(key.first, executors_.at(key).info.command());
}

ContainerLimits AgentImpl::ExecutorLimits(const Key& key) const {
  const ExecutorRecord& executor = executors_.at(key);
  std::vector<const google::protobuf::RepeatedPtrField<v1::Resource>*> tasks;
  for (const std::string& task_id : executor.task_ids) {
    auto task = tasks_.find(Key(key.first, task_id));
    if (task == tasks_.end() || task->second.terminal_reported ||
        IsTerminalState(task->second.task.state()))
      continue;
    tasks.push_back(&task->second.task.resources());
  }
  return ExecutorContainerLimits(executor.info.resources(), tasks);
}

void AgentImpl::UpdateExecutorLimits(const Key& key) {
  auto it = executors_.find(key);
  if (it == executors_.end() || isolator_ == nullptr) return;
  ExecutorRecord& executor = it->second;
  // Before its launch the limits are written with its cgroups.
  if (!executor.in_cgroup || executor.exited || executor.container_id.empty()) return;
  ContainerLimits limits = ExecutorLimits(key);
  if (limits.cpus == executor.limits.cpus && limits.mem_mib == executor.limits.mem_mib) return;
  executor.limits = limits;
  LOG(INFO) << "Limits of executor_id=" << key.second << " framework_id=" << key.first
            << " container_id=" << executor.container_id << " now cpus " << limits.cpus << ", mem "
            << limits.mem_mib << " MiB";
  CgroupsLayout layout = isolator_->layout();
  CpuLimitOptions cpu{options_.cgroups_enable_cfs};
  std::string container_id = executor.container_id;
  // Same key as its launch: written after its cgroups exist.
  io_->Post(IoKey(key.first, key.second), [layout, container_id, limits, cpu] {
    absl::Status updated = UpdateCgroupLimits(layout, container_id, limits, cpu);
    if (!updated.ok() && !absl::IsNotFound(updated))
      LOG(WARNING) << "Cannot update the limits of container_id=" << container_id << ": "
                   << updated;
  });
}

bool AgentImpl::HandleExecutorFailure(const Key& key, const v1::TaskStatus& status,
                                      const ReplyFn& reply) {
  auto it = executors_.find(key);
  if (status.state() != v1::TASK_FAILED || isolator_ == nullptr || it == executors_.end() ||
      !it->second.in_cgroup)
    return false;
  const CgroupsIsolator* isolator = isolator_.get();
  std::string container_id = it->second.container_id;
  auto work = [this, key, status, reply, isolator, container_id] {
    std::optional<MemoryLimitation> memory = isolator->MemoryLimitationOf(container_id);
    loop_.Post([this, key, status = v1::TaskStatus(status), reply, memory]() mutable {
      auto it = executors_.find(key);
      if (memory && it != executors_.end() && memory->oom_kills > it->second.oom_kills_reported) {
        it->second.oom_kills_reported = memory->oom_kills;
        LOG(INFO) << "task_id=" << status.task_id().value() << " of executor_id=" << key.second
                  << " failed after an OOM kill in its container: "
                  << DescribeMemoryLimitation(*memory);
        status.set_reason(v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
        status.set_message(status.message().empty()
                               ? DescribeMemoryLimitation(*memory)
                               : absl::StrCat(DescribeMemoryLimitation(*memory),
                                              " (the executor said: ", status.message(), ")"));
        memory_limitations_++;
      }
      auto task = tasks_.find(Key(key.first, status.task_id().value()));
      if (task == tasks_.end() || task->second.terminal_reported) {
        reply(absl::OkStatus());  // A retry of it won the race.
        return;
      }
      HandleUpdate(key.first, key.second, std::move(status), reply);
    });
  };
  if (!io_->Post(IoKey(key.first, key.second), std::move(work)))
    reply(absl::UnavailableError("agent stopping"));
  return true;
}

AgentImpl::ExecutorContainerEnd AgentImpl::EndExecutorContainer(const CgroupsIsolator* isolator,
                                                                CgroupsRemover* remover,
                                                                const std::string& container_id,
                                                                const std::string& sandbox) {
  ExecutorContainerEnd end;
  if (isolator != nullptr && !container_id.empty()) {
    // Read before the cgroup goes; whatever left the session dies here.
    end.memory = isolator->MemoryLimitationOf(container_id);
    end.killed = isolator->Kill(container_id);
    if (remover != nullptr) remover->Remove(container_id);
  }
  if (sandbox.empty()) return end;
  shim::ShimStatusRead read = shim::ReadShimStatusFile(sandbox + "/.agora-status");
  end.wait_status = ExecutorWaitStatus(read);
  if (read.outcome == shim::ShimStatusRead::kOk && read.status.state == shim::ShimState::kError)
    end.launch_error = read.status.message;
  return end;
}

void AgentImpl::OnExecutorContainerEnded(const Key& key, int wait_status, int killed,
                                         const ExecutorContainerEnd& end) {
  auto it = executors_.find(key);
  if (it == executors_.end()) return;
  ExecutorRecord& executor = it->second;
  if (executor.exit_state != v1::TASK_KILLED) {
    if (end.memory && end.memory->oom_kills > executor.oom_kills_reported) {
      executor.exit_state = v1::TASK_FAILED;
      executor.exit_reason = v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY;
      executor.exit_message = DescribeMemoryLimitation(*end.memory);
      memory_limitations_++;
    } else if (!end.launch_error.empty()) {
      executor.exit_state = v1::TASK_FAILED;
      executor.exit_reason = v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED;
      executor.exit_message = absl::StrCat("Executor launch failed: ", end.launch_error);
    }
  }
  OnExecutorTreeKilled(key, end.wait_status.value_or(wait_status), killed + end.killed);
}

}  // namespace agora::agent
