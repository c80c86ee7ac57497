// AgentImpl: what the operator API (operator_service.cpp) reads on the
// loop -- health, the agent's state, its live containers, and which sandbox
// a file request names (live tasks, then the completed-task history).
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/sandbox_dirs.hpp"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

double EpochSeconds(absl::Time time) { return absl::ToDoubleSeconds(time - absl::UnixEpoch()); }

// Adds `resources` to `sum`; resources that do not parse are left out (they
// were validated by the master when the task was launched).
void AddResources(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                  Resources* sum) {
  absl::StatusOr<Resources> parsed = Resources::FromProto(resources);
  if (parsed.ok()) *sum += *parsed;
}

}  // namespace

std::map<std::string, std::string> AgentOptions::ToFlags() const {
  auto seconds = [](absl::Duration d) { return absl::FormatDuration(d); };
  return {
      {"master", master},
      {"work_dir", work_dir},
      {"resources", resources},
      {"attributes", attributes},
      {"hostname", hostname},
      {"ip", ip},
      {"port", std::to_string(port)},
      {"http_port", std::to_string(http_port)},
      {"command_executor", command_executor == CommandExecutor::kBuiltin ? "builtin" : "process"},
      {"executor_registration_timeout", seconds(executor_registration_timeout)},
      {"max_concurrent_launches", std::to_string(max_concurrent_launches)},
      {"max_queued_launches", std::to_string(max_queued_launches)},
      {"executor_shutdown_grace_period", seconds(executor_shutdown_grace_period)},
      {"recover", recover == RecoverMode::kReconnect ? "reconnect" : "cleanup"},
      {"status_update_retry_min", seconds(status_update_retry_min)},
      {"status_update_retry_max", seconds(status_update_retry_max)},
      {"heartbeat_interval", seconds(heartbeat_interval)},
      {"gc_delay", seconds(gc_delay)},
      {"gc_disk_headroom", absl::StrCat(gc_disk_headroom)},
      {"disk_watch_interval", seconds(disk_watch_interval)},
      {"container_log_max_size", absl::StrCat(container_log_max_size)},
      {"container_log_max_files", absl::StrCat(container_log_max_files)},
      {"switch_user", switch_user ? "true" : "false"},
      {"allow_root_tasks", allow_root_tasks ? "true" : "false"},
  };
}

v1::GetHealthResponse AgentImpl::OperatorHealth() {
  DCHECK(loop_.IsInLoopThread());
  v1::GetHealthResponse health;
  health.set_healthy(checkpoint_error_.ok());
  if (registered_) health.set_leader_address(master_address_);
  return health;
}

v1::AgentState AgentImpl::OperatorState() {
  DCHECK(loop_.IsInLoopThread());
  v1::AgentState state;
  *state.mutable_info() = info_;
  if (!agent_id_.empty()) state.mutable_info()->mutable_id()->set_value(agent_id_);
  state.mutable_version()->set_version(AGORA_VERSION_STRING);
  state.set_master_address(master_address_);
  state.set_registered(registered_);
  state.set_start_time(EpochSeconds(start_time_));
  *state.mutable_total() = info_.resources();

  std::map<std::string, v1::AgentFrameworkState> frameworks;
  std::map<Key, v1::ExecutorState> executors;
  auto framework_of = [&](const std::string& framework_id) -> v1::AgentFrameworkState& {
    v1::AgentFrameworkState& framework = frameworks[framework_id];
    if (!framework.has_info()) {
      auto known = frameworks_.find(framework_id);
      if (known != frameworks_.end()) {
        *framework.mutable_info() = known->second;
      } else {
        framework.mutable_info()->mutable_id()->set_value(framework_id);
      }
    }
    return framework;
  };
  // An executor the agent no longer runs: its ids and sandbox.
  auto gone_executor = [&](const Key& key, const std::string& sandbox) -> v1::ExecutorState& {
    auto [it, created] = executors.try_emplace(key);
    if (created) {
      it->second.mutable_info()->mutable_executor_id()->set_value(key.second);
      it->second.mutable_info()->mutable_framework_id()->set_value(key.first);
      it->second.set_sandbox(sandbox);
      it->second.set_status(v1::ExecutorState::TERMINATED);
    }
    return it->second;
  };

  auto status_of = [](const ExecutorRecord& executor) {
    if (executor.exited) return v1::ExecutorState::TERMINATING;  // Its session is being killed.
    switch (executor.phase) {
      case ExecutorRecord::Phase::kLaunching:
        return v1::ExecutorState::LAUNCHING;
      case ExecutorRecord::Phase::kRunning:
        return v1::ExecutorState::RUNNING;
      case ExecutorRecord::Phase::kTerminating:
        break;
    }
    return v1::ExecutorState::TERMINATING;
  };
  Resources allocated;
  for (const auto& [key, executor] : executors_) {
    v1::ExecutorState& out = executors[key];
    *out.mutable_info() = executor.info;
    out.mutable_container_id()->set_value(executor.container_id);
    out.set_sandbox(executor.sandbox);
    out.set_pid(executor.pid);
    out.set_status(status_of(executor));
    AddResources(executor.info.resources(), &allocated);
  }
  for (const auto& [key, record] : tasks_) {
    v1::Task task = record.task;
    if (!agent_id_.empty()) task.mutable_agent_id()->set_value(agent_id_);
    Key executor_key(key.first, task.executor_id().value());
    v1::ExecutorState& out =
        executors.count(executor_key) != 0
            ? executors[executor_key]
            : gone_executor(executor_key,
                            !record.sandbox.empty()
                                ? record.sandbox
                                : SandboxPath(options_.work_dir, key.first, executor_key.second));
    if (IsTerminalState(task.state())) {
      *out.add_completed_tasks() = std::move(task);
    } else {
      AddResources(task.resources(), &allocated);
      *out.add_tasks() = std::move(task);
    }
  }
  for (const CompletedTasks::Executor& completed : completed_.executors()) {
    Key key(completed.framework_id, completed.executor_id);
    v1::ExecutorState& out =
        executors.count(key) != 0 ? executors[key] : gone_executor(key, completed.sandbox);
    for (const v1::Task& task : completed.tasks) *out.add_completed_tasks() = task;
  }
  for (auto& [key, executor] : executors)
    *framework_of(key.first).add_executors() = std::move(executor);
  for (auto& [id, framework] : frameworks) *state.add_frameworks() = std::move(framework);
  *state.mutable_allocated() = allocated.ToProto();
  return state;
}

std::vector<LiveContainer> AgentImpl::OperatorContainers() {
  DCHECK(loop_.IsInLoopThread());
  std::vector<LiveContainer> containers;
  for (const auto& [key, executor] : executors_) {
    if (executor.pid <= 0 || executor.exited) continue;
    Resources limits;
    AddResources(executor.info.resources(), &limits);
    for (const std::string& task_id : executor.task_ids) {
      auto task = tasks_.find(Key(key.first, task_id));
      if (task != tasks_.end() && !IsTerminalState(task->second.task.state()))
        AddResources(task->second.task.resources(), &limits);
    }
    LiveContainer container;
    v1::ContainerStatus& status = container.status;
    status.mutable_container_id()->set_value(executor.container_id);
    status.mutable_framework_id()->set_value(key.first);
    status.mutable_executor_id()->set_value(key.second);
    status.set_pid(executor.pid);
    // Containers run in cgroups when the agent isolates: their usage is
    // read from the cgroup. Under posix isolation a container is confined by
    // nothing but its session: /proc.
    bool in_cgroup = (executor.builtin || executor.in_cgroup) && isolator_ != nullptr;
    status.set_isolation(in_cgroup ? IsolationMode() : "none");
    if (in_cgroup) container.isolator = isolator_.get();
    status.mutable_statistics()->set_cpus_limit(limits.cpus());
    status.mutable_statistics()->set_mem_limit_bytes(
        static_cast<uint64_t>(limits.mem() * 1024 * 1024));
    container.start_ticks = executor.start_ticks;
    containers.push_back(std::move(container));
  }
  return containers;
}

absl::StatusOr<std::string> AgentImpl::OperatorSandbox(const std::string& framework_id,
                                                       const std::string& executor_id,
                                                       const std::string& task_id) {
  DCHECK(loop_.IsInLoopThread());
  // Not launched yet, or forgotten (e.g. before a restart): its newest run
  // may still be on disk (`latest`; an old-layout sandbox is the executor
  // directory itself); reading it answers NOT_FOUND if it is not.
  auto newest_run = [this](const Key& executor_key) {
    std::string executor_dir =
        SandboxPath(options_.work_dir, executor_key.first, executor_key.second);
    struct stat st;
    std::string latest = LatestRunPath(executor_dir);
    return ::lstat(latest.c_str(), &st) == 0 ? latest : executor_dir;
  };
  auto sandbox_of = [this, &newest_run](const Key& executor_key) {
    auto executor = executors_.find(executor_key);
    if (executor != executors_.end() && !executor->second.sandbox.empty())
      return executor->second.sandbox;
    return newest_run(executor_key);
  };
  if (task_id.empty()) {
    Key key(framework_id, executor_id);
    if (executors_.count(key) != 0) return sandbox_of(key);
    if (const auto* completed = completed_.FindExecutor(framework_id, executor_id))
      return completed->sandbox;
    return newest_run(key);
  }
  const TaskRecord* live = nullptr;
  std::set<std::string> frameworks;  // Task ids are unique per framework only.
  for (const auto& [key, record] : tasks_) {
    if (key.second != task_id || (!framework_id.empty() && key.first != framework_id)) continue;
    live = &record;
    frameworks.insert(key.first);
  }
  const CompletedTasks::Executor* completed =
      completed_.FindTask(framework_id, task_id, &frameworks);
  if (frameworks.size() > 1) {
    return InvalidField(
        "framework_id",
        absl::StrCat("task '", task_id, "' exists in several frameworks on this agent; name one"));
  }
  if (live != nullptr) {
    if (!live->sandbox.empty()) return live->sandbox;
    return sandbox_of(Key(live->task.framework_id().value(), live->task.executor_id().value()));
  }
  if (completed != nullptr) return completed->sandbox;
  return FieldError(absl::StatusCode::kNotFound, "task_id",
                    absl::StrCat("no task '", task_id,
                                 "' on this agent (neither running nor in "
                                 "its completed-task history)"));
}

}  // namespace agora::agent
