// AgentImpl: health checks of command tasks (TaskInfo.health_check on a
// task the agent runs itself). One HealthChecker per running task, on the
// loop; TCP and HTTP probes run on the loop's io_context, COMMAND checks
// through the HealthCommandRunner. A change of health is a TASK_RUNNING
// update (source EXECUTOR) with has_healthy set, through the reliable update
// path; enough consecutive failures kill the task with its kill policy, and
// its terminal update becomes TASK_FAILED with
// REASON_TASK_HEALTH_CHECK_FAILED (DescribeCommandEnd).
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/health_probes.hpp"
#include "common/metrics.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

constexpr const char* kCheckTypes[] = {"command", "tcp", "http"};

// The `type` label of the health metrics.
std::string HealthCheckTypeLabel(v1::HealthCheck::Type type) {
  switch (type) {
    case v1::HealthCheck::COMMAND:
      return "command";
    case v1::HealthCheck::TCP:
      return "tcp";
    case v1::HealthCheck::HTTP:
      return "http";
    default:
      return "unknown";
  }
}

}  // namespace

void AgentImpl::AddHealthMetrics(MetricsText* metrics) const {
  for (const char* type : kCheckTypes) {
    auto count = [type](const std::map<std::string, uint64_t>& counts) {
      auto it = counts.find(type);
      return static_cast<double>(it == counts.end() ? 0 : it->second);
    };
    metrics->Counter("agora_agent_health_checks_total",
                     "Health checks of command tasks run, by type of check",
                     count(health_checks_run_), {{"type", type}});
    metrics->Counter("agora_agent_health_checks_failed_total",
                     "Health checks of command tasks that failed (timed out included), by type",
                     count(health_checks_failed_), {{"type", type}});
  }
  int unhealthy = 0;
  for (const auto& [key, task] : tasks_) {
    const v1::TaskStatus& status = task.task.status();
    if (!IsTerminalState(task.task.state()) && status.has_healthy() && !status.healthy())
      unhealthy++;
  }
  metrics->Gauge("agora_agent_tasks_unhealthy",
                 "Running tasks whose latest health verdict is unhealthy", unhealthy);
}

void AgentImpl::StartHealthChecks(const Key& key) {
  auto task = tasks_.find(key);
  auto executor = executors_.find(key);
  if (task == tasks_.end() || executor == executors_.end()) return;
  const v1::TaskInfo& info = task->second.task.info();
  if (!info.has_health_check() || executor->second.health || executor->second.kill_requested)
    return;
  // After a restart the health the framework last heard of is kept: a task
  // reported healthy is not reported healthy again.
  std::optional<bool> known;
  const v1::TaskStatus& latest = task->second.task.status();
  if (latest.has_healthy()) known = latest.healthy();
  HealthPolicy policy(HealthSettings::From(info.health_check()), loop_.Now(), known);
  LOG(INFO) << "Health checks of task_id=" << key.second << ": "
            << DescribeHealthCheck(info.health_check()) << " from "
            << absl::FormatDuration(policy.settings().delay) << " on, every "
            << absl::FormatDuration(policy.settings().interval);
  executor->second.health = std::make_shared<HealthChecker>(
      loop_, std::move(policy),
      [this, key](absl::Duration timeout, ProbeDone done) {
        RunHealthCheck(key, timeout, std::move(done));
      },
      [this, key](const HealthDecision& decision) { OnHealthDecision(key, decision); });
  executor->second.health->Start();
}

void AgentImpl::RunHealthCheck(const Key& key, absl::Duration timeout, ProbeDone done) {
  auto task = tasks_.find(key);
  auto executor = executors_.find(key);
  if (task == tasks_.end() || executor == executors_.end()) return;
  const v1::HealthCheck& check = task->second.task.info().health_check();
  // Counted for /metrics when the result comes (on the loop).
  done = [this, type = HealthCheckTypeLabel(check.type()),
          done = std::move(done)](HealthResult result) {
    health_checks_run_[type]++;
    if (!result.ok) health_checks_failed_[type]++;
    done(std::move(result));
  };
  switch (check.type()) {
    case v1::HealthCheck::TCP:
      ProbeTcp(loop_.io_context(), check.tcp().port(), timeout, std::move(done));
      return;
    case v1::HealthCheck::HTTP:
      ProbeHttp(loop_.io_context(), check.http(), timeout, std::move(done));
      return;
    case v1::HealthCheck::COMMAND: {
      HealthCommand command;
      command.shell_command = ShellCommandOf(check.command());
      // The task's own environment, then the check's.
      command.env = ShimLaunchSpec(key, executor->second).env;
      for (const auto& var : check.command().environment().variables())
        command.env.push_back(var.name() + "=" + var.value());
      command.working_dir = executor->second.sandbox;
      command.user = CommandTaskUser(key);
      command.allow_root = options_.allow_root_tasks;
      command.what = DescribeHealthCheck(check);
      if (!health_commands_)
        health_commands_ = std::make_unique<HealthCommandRunner>(loop_, *launcher_);
      health_commands_->Run(std::move(command), timeout, std::move(done));
      return;
    }
    default:
      // Refused by the master's validation; a task from an older master.
      done(HealthResult{false, DescribeHealthCheck(check)});
      return;
  }
}

void AgentImpl::OnHealthDecision(const Key& key, const HealthDecision& decision) {
  auto task = tasks_.find(key);
  auto executor = executors_.find(key);
  if (task == tasks_.end() || executor == executors_.end()) return;
  if (executor->second.kill_requested || executor->second.exited || task->second.terminal_reported)
    return;
  if (decision.kill) {
    LOG(WARNING) << "Killing task_id=" << key.second << ": " << decision.message;
    executor->second.health_failure = decision.message;
    // Checkpointed before the kill starts (same key: the SIGTERM is queued
    // behind the write), so a restarted agent still knows why it killed.
    std::string path = TaskHealthFailurePath(options_.work_dir, key.first, key.second, key.second);
    std::string message = decision.message;
    Persist({IoKey(key.first, key.second), path,
             [path, message] { return WriteFileAtomically(path, message); }});
    KillCommandTask(key, KillGrace(task->second.task.info().kill_policy()));
    return;
  }
  bool healthy = *decision.report;
  LOG(INFO) << "Task task_id=" << key.second << " is " << (healthy ? "healthy" : "unhealthy")
            << (healthy ? "" : ": ") << decision.message;
  v1::TaskStatus status =
      NewStatus(key.second, key.second, v1::TASK_RUNNING, v1::TaskStatus::SOURCE_EXECUTOR,
                v1::TaskStatus::REASON_UNSPECIFIED, decision.message);
  status.set_has_healthy(true);
  status.set_healthy(healthy);
  HandleUpdate(key.first, key.second, std::move(status), [](const absl::Status&) {});
}

}  // namespace agora::agent
