// Health checks of command tasks (real agent, real agora-shim, real task
// and check processes, a fake master): TCP, HTTP and COMMAND checks, the
// healthy flag reported only on change, the kill after consecutive
// failures, a timed-out check's process killed; and the kill policy's grace
// overridden per kill call.
#include <pwd.h>

#include <filesystem>

#include "agent_cluster_fixture.hpp"
#include "gmock/gmock.h"
#include "tests/support/http_get.hpp"
#include "tests/support/promtool.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

// Check timing small enough for tests: first check at once, then every
// 0.2 s, a grace period that is over almost at once.
void FastTiming(v1::HealthCheck* check, uint32_t failures) {
  check->set_delay_seconds(0.05);
  check->set_interval_seconds(0.2);
  check->set_timeout_seconds(2);
  check->set_grace_period_seconds(0.01);
  check->set_consecutive_failures(failures);
}

class HealthCheckTest : public AgentClusterTest {
 protected:
  std::string Sandbox(const std::string& task_id) {
    return dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest";  // The newest run.
  }

  // The RUNNING updates of `task_id` that carry a health verdict.
  std::vector<v1::TaskStatus> HealthUpdates(const std::string& task_id) {
    std::lock_guard<std::mutex> lock(master_.mu());
    std::vector<v1::TaskStatus> found;
    for (const auto& update : master_.UpdatesFor(task_id))
      if (update.has_healthy()) found.push_back(update);
    return found;
  }

  bool WaitForHealth(const std::string& task_id, bool healthy) {
    return master_.WaitFor([&] {
      for (const auto& update : master_.UpdatesFor(task_id))
        if (update.has_healthy() && update.healthy() == healthy) return true;
      return false;
    });
  }

  // Lines of the task's stdout that contain `text`.
  size_t StdoutLines(const std::string& task_id, const std::string& text) {
    std::string out = ReadWholeFile(Sandbox(task_id) + "/stdout");
    size_t count = 0;
    for (size_t at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) count++;
    return count;
  }
};

// A listener that prints one line per accepted connection.
std::string Listener(int port) {
  return absl::StrCat(
      "exec /usr/bin/python3 -u -c \"import socket\n"
      "s = socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind(('127.0.0.1', ",
      port,
      "))\n"
      "s.listen(16)\n"
      "while True:\n"
      "    c, _ = s.accept()\n"
      "    print('accepted')\n"
      "    c.close()\n\"");
}

std::string HttpServer(int port) {
  return absl::StrCat("exec /usr/bin/python3 -m http.server ", port, " --bind 127.0.0.1");
}

TEST_F(HealthCheckTest, FailingCommandCheckKillsTheTaskWithTheHealthReason) {
  StartAgent(Options());
  MasterMessage run = RunCommand("failing", "sleep 100");
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_shell(true);
  check->mutable_command()->set_value("test -f ready");
  FastTiming(check, 2);
  ASSERT_TRUE(master_.Send(run));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("failing");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_EQ(last.reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_FAILED);
  EXPECT_EQ(last.message(),
            "Health check failed 2 times in a row: command 'test -f ready' exited with status 1");
  // The first counted failure made it unhealthy before the kill.
  std::vector<v1::TaskStatus> health = HealthUpdates("failing");
  ASSERT_EQ(health.size(), 1u);
  EXPECT_FALSE(health[0].healthy());
  EXPECT_EQ(health[0].state(), v1::TASK_RUNNING);
  EXPECT_THAT(health[0].message(), HasSubstr("command 'test -f ready' exited with status 1"));
}

TEST_F(HealthCheckTest, PassingTcpCheckReportsHealthyExactlyOnce) {
  StartAgent(Options());
  int port = FreePort();
  MasterMessage run = RunCommand("listener", Listener(port));
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::TCP);
  check->mutable_tcp()->set_port(port);
  // Failures while the listener starts fall in the grace period.
  FastTiming(check, 3);
  check->set_grace_period_seconds(10);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForHealth("listener", true));
  // Several more checks pass...
  ASSERT_TRUE(Eventually([&] { return StdoutLines("listener", "accepted") >= 5; }));
  // ...and say nothing new.
  std::vector<v1::TaskStatus> health = HealthUpdates("listener");
  ASSERT_EQ(health.size(), 1u);
  EXPECT_TRUE(health[0].healthy());
  EXPECT_EQ(health[0].state(), v1::TASK_RUNNING);
  EXPECT_EQ(health[0].source(), v1::TaskStatus::SOURCE_EXECUTOR);

  ASSERT_TRUE(master_.Send(KillMessage("listener")));
  EXPECT_EQ(WaitForTerminal("listener").back().state(), v1::TASK_KILLED);
}

TEST_F(HealthCheckTest, PassingHttpCheckReportsHealthyAndAFailingOneUnhealthy) {
  StartAgent(Options());
  int port = FreePort();
  // http.server serves the sandbox: /ready answers 200 while the file exists.
  MasterMessage run = RunCommand("web", "touch ready; " + HttpServer(port));
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::HTTP);
  check->mutable_http()->set_port(port);
  check->mutable_http()->set_path("/ready");
  FastTiming(check, 1000);  // Never killed here.
  check->set_grace_period_seconds(10);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForHealth("web", true));

  ASSERT_EQ(::unlink((Sandbox("web") + "/ready").c_str()), 0);
  ASSERT_TRUE(WaitForHealth("web", false));
  std::vector<v1::TaskStatus> health = HealthUpdates("web");
  ASSERT_EQ(health.size(), 2u);
  EXPECT_TRUE(health[0].healthy());
  EXPECT_FALSE(health[1].healthy());
  EXPECT_EQ(
      health[1].message(),
      absl::StrCat("Health check failed: HTTP GET http://127.0.0.1:", port, "/ready answered 404"));

  ASSERT_TRUE(master_.Send(KillMessage("web")));
  EXPECT_EQ(WaitForTerminal("web").back().state(), v1::TASK_KILLED);
}

TEST_F(HealthCheckTest, TimedOutCommandCheckIsAFailureAndItsProcessIsKilled) {
  StartAgent(Options());
  MasterMessage run = RunCommand("slow", "sleep 100");
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_shell(true);
  // Runs in the sandbox; its child `sleep` is in its process group too.
  check->mutable_command()->set_value("sleep 100 & echo $! > check.pid; wait");
  FastTiming(check, 1);
  check->set_timeout_seconds(0.3);
  ASSERT_TRUE(master_.Send(run));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("slow");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FAILED);
  EXPECT_EQ(updates.back().reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_FAILED);
  EXPECT_EQ(updates.back().message(),
            "Health check failed: command 'sleep 100 & echo $! > check.pid; wait' timed out "
            "after 300ms");
  pid_t sleeper = SandboxPid("slow", "check.pid");
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(Eventually([&] { return !Alive(sleeper); }));
}

TEST_F(HealthCheckTest, CommandCheckRunsAsTheTasksUserInItsSandboxWithItsEnvironment) {
  if (geteuid() != 0) GTEST_SKIP() << "--switch_user needs an agent running as root";
  if (getpwnam("nobody") == nullptr) GTEST_SKIP() << "no user 'nobody' here";
  AgentOptions options = Options();
  options.switch_user = true;
  StartAgent(options);
  MasterMessage run = RunCommand("as-nobody", "sleep 100");
  v1::TaskInfo* task = run.mutable_run_tasks()->mutable_tasks(0);
  task->mutable_command()->set_user("nobody");
  auto* var = task->mutable_command()->mutable_environment()->add_variables();
  var->set_name("GREETING");
  var->set_value("hello");
  v1::HealthCheck* check = task->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_shell(true);
  // Healthy only as nobody, in the sandbox, with the task's variable.
  check->mutable_command()->set_value(
      "test \"$(id -un)\" = nobody && test \"$PWD\" = \"$AGORA_SANDBOX\" && "
      "test \"$GREETING\" = hello");
  FastTiming(check, 1);
  check->set_grace_period_seconds(10);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForHealth("as-nobody", true));
  ASSERT_TRUE(master_.Send(KillMessage("as-nobody")));
  EXPECT_EQ(WaitForTerminal("as-nobody").back().state(), v1::TASK_KILLED);
}

TEST_F(HealthCheckTest, ChecksResumeAfterAnAgentRestartWithoutReportingHealthyAgain) {
  AgentOptions options = Options();
  StartAgent(options);
  int port = FreePort();
  MasterMessage run = RunCommand("survivor", "touch ready; " + HttpServer(port));
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::HTTP);
  check->mutable_http()->set_port(port);
  check->mutable_http()->set_path("/ready");
  FastTiming(check, 1000);
  check->set_grace_period_seconds(10);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForHealth("survivor", true));

  agent_->Stop();  // As a crash would: the task keeps running.
  agent_.reset();
  // http.server logs every request on stderr.
  auto requests = [&] {
    std::string log = ReadWholeFile(Sandbox("survivor") + "/stderr");
    size_t count = 0;
    for (size_t at = log.find("GET /ready"); at != std::string::npos;
         at = log.find("GET /ready", at + 1))
      count++;
    return count;
  };
  size_t before = requests();
  StartAgent(options);
  ASSERT_TRUE(Eventually([&] { return requests() >= before + 3; }));
  EXPECT_EQ(HealthUpdates("survivor").size(), 1u);

  ASSERT_EQ(::unlink((Sandbox("survivor") + "/ready").c_str()), 0);
  ASSERT_TRUE(WaitForHealth("survivor", false));
  ASSERT_TRUE(master_.Send(KillMessage("survivor")));
  EXPECT_EQ(WaitForTerminal("survivor").back().state(), v1::TASK_KILLED);
}

TEST_F(HealthCheckTest, AHealthKillInProgressKeepsItsReasonAcrossAnAgentRestart) {
  AgentOptions options = Options();
  StartAgent(options);
  // Ignores SIGTERM; its check fails once it does, which starts the kill.
  MasterMessage run =
      RunCommand("stubborn", "trap '' TERM; touch trapped; while true; do sleep 0.1; done");
  v1::TaskInfo* task = run.mutable_run_tasks()->mutable_tasks(0);
  task->mutable_kill_policy()->set_grace_period_seconds(2);
  v1::HealthCheck* check = task->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_shell(true);
  check->mutable_command()->set_value("! test -f trapped");
  FastTiming(check, 1);
  ASSERT_TRUE(master_.Send(run));
  // The kill's reason is checkpointed before the kill starts.
  const std::string failure =
      dir_ + "/work/meta/frameworks/fw-1/executors/stubborn/tasks/stubborn/health_failure";
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(failure); }));

  agent_->Stop();  // As a crash would, inside the kill's grace period.
  agent_.reset();
  StartAgent(options);
  std::vector<v1::TaskStatus> updates = WaitForTerminal("stubborn");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_EQ(last.reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_FAILED);
  EXPECT_THAT(last.message(), HasSubstr("Health check failed"));
  EXPECT_THAT(last.message(), HasSubstr("command '! test -f trapped' exited with status 1"));
}

TEST_F(HealthCheckTest, HealthMetricsCountChecksByTypeAndUnhealthyTasks) {
  AgentOptions options = Options();
  options.http_port = 0;
  StartAgent(options);
  MasterMessage run = RunCommand("sickly", "sleep 100");
  v1::HealthCheck* check = run.mutable_run_tasks()->mutable_tasks(0)->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_shell(true);
  check->mutable_command()->set_value("exit 1");
  FastTiming(check, 1000);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForHealth("sickly", false));
  std::string metrics;
  ASSERT_TRUE(Eventually([&] {
    metrics = testing::HttpGet(agent_->http_port(), "/metrics");
    return metrics.find("agora_agent_tasks_unhealthy 1") != std::string::npos;
  })) << metrics;
  EXPECT_THAT(metrics, HasSubstr("agora_agent_health_checks_total{type=\"tcp\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("agora_agent_health_checks_failed_total{type=\"http\"} 0"));
  EXPECT_THAT(metrics,
              ::testing::Not(HasSubstr("agora_agent_health_checks_total{type=\"command\"} 0")));
  EXPECT_THAT(
      metrics,
      ::testing::Not(HasSubstr("agora_agent_health_checks_failed_total{type=\"command\"} 0")));
  if (std::string promtool = agora::testing::Promtool(); !promtool.empty()) {
    auto check =
        agora::testing::CheckMetrics(promtool, dir_, "agent", agora::testing::HttpBody(metrics));
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_EQ(check.output, "") << check.output;
  }
  ASSERT_TRUE(master_.Send(KillMessage("sickly")));
  EXPECT_EQ(WaitForTerminal("sickly").back().state(), v1::TASK_KILLED);
}

TEST_F(HealthCheckTest, KillCallGraceOverridesTheTasksKillPolicy) {
  StartAgent(Options());
  MasterMessage run =
      RunCommand("stubborn", "trap '' TERM; touch trapped; while true; do sleep 0.1; done");
  run.mutable_run_tasks()->mutable_tasks(0)->mutable_kill_policy()->set_grace_period_seconds(60);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForState("stubborn", v1::TASK_RUNNING));
  // RUNNING comes once the shell exists, maybe before it ignores SIGTERM.
  ASSERT_TRUE(
      Eventually([&] { return std::filesystem::exists(Sandbox("stubborn") + "/trapped"); }));
  MasterMessage kill = KillMessage("stubborn");
  kill.mutable_kill_task()->mutable_kill_policy()->set_grace_period_seconds(0.3);
  absl::Time killed_at = absl::Now();
  ASSERT_TRUE(master_.Send(kill));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("stubborn");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  // SIGTERM is ignored: the SIGKILL came after the call's 0.3 s, long
  // before the task's 60 s.
  absl::Duration took = absl::Now() - killed_at;
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Seconds(20));
}

}  // namespace
}  // namespace agora::agent
