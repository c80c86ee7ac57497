// System tests of the agent's launch queue with the real binaries: a burst
// drains through --max_concurrent_launches slots, an agent killed with
// launches still queued reports them DROPPED (never run) after its restart,
// and bad queue flags stop the agent naming the flag.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"
#include "tests/system/fault/fault_support.hpp"

namespace agora::testing {
namespace {

class LaunchQueueFaultTest : public FaultTest {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs(); }

  double AgentMetric(const std::string& series) {
    return MetricValue(HttpGet(cluster_.agent_http_port(0), "/metrics"), series);
  }

  // The terminal updates the framework saw, by task.
  std::map<std::string, std::vector<SeenUpdate>> TerminalUpdates() {
    std::map<std::string, std::vector<SeenUpdate>> terminal;
    for (const SeenUpdate& update : framework_->Updates()) {
      if (update.state == "TASK_FINISHED" || update.state == "TASK_FAILED" ||
          update.state == "TASK_KILLED" || update.state == "TASK_DROPPED" ||
          update.state == "TASK_LOST" || update.state == "TASK_GONE" ||
          update.state == "TASK_ERROR")
        terminal[update.task_id].push_back(update);
    }
    return terminal;
  }
};

TEST_F(LaunchQueueFaultTest, BurstDrainsThroughTwoLaunchSlotsAndEveryTaskFinishesOnce) {
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources, {"--max_concurrent_launches=2"}).ok())
      << cluster_.Logs();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=30", "--command=true", "--cpus=0.1", "--mem=16", "--name=burst"});
  ASSERT_NE(framework_, nullptr);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_FINISHED", 30, absl::Seconds(120))) << AllLogs();
  for (const auto& [task_id, updates] : TerminalUpdates()) {
    ASSERT_EQ(updates.size(), 1u) << task_id << "\n" << framework_->Log();
    EXPECT_EQ(updates[0].state, "TASK_FINISHED") << task_id << " " << updates[0].message;
  }
  EXPECT_EQ(AgentMetric("agora_agent_launches_started_total"), 30);
  EXPECT_LE(AgentMetric("agora_agent_launches_in_flight_max"), 2);
}

TEST_F(LaunchQueueFaultTest, AgentKilledWithQueuedLaunchesReportsThemDroppedAndNeverRunsThem) {
  // Executors that take a second to start keep launches queued long
  // enough to kill the agent in the middle of the burst.
  std::string executor = dir_.path() + "/slow-executor";
  {
    std::ofstream out(executor);
    out << "#!/bin/sh\nsleep 1\nexec " << BinaryPath("agora-executor") << "\n";
  }
  chmod(executor.c_str(), 0755);
  ASSERT_TRUE(
      cluster_
          .StartAgent(kAgentResources, {"--max_concurrent_launches=1", "--command_executor=process",
                                        "--executor_path=" + executor})
          .ok())
      << cluster_.Logs();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=8", "--command=true", "--cpus=0.1", "--mem=16", "--name=queued"});
  ASSERT_NE(framework_, nullptr);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();
  ASSERT_GE(AgentMetric("agora_agent_launches_queued"), 1) << AllLogs();

  cluster_.KillAgent(0);
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();

  ASSERT_TRUE(WaitFor([&] { return TerminalUpdates().size() == 8; }, absl::Seconds(90)))
      << AllLogs();
  int dropped = 0;
  for (const auto& [task_id, updates] : TerminalUpdates()) {
    ASSERT_EQ(updates.size(), 1u) << task_id << "\n" << framework_->Log();
    const SeenUpdate& update = updates[0];
    if (update.state == "TASK_FINISHED") continue;
    EXPECT_EQ(update.state, "TASK_DROPPED") << task_id << " " << update.message;
    EXPECT_EQ(update.reason, "REASON_AGENT_RESTARTED") << task_id;
    EXPECT_TRUE(absl::StrContains(update.message, "never ran")) << update.message;
    std::string sandbox = absl::StrCat(cluster_.agent_work_dir(0), "/sandboxes/",
                                       framework_->framework_id(), "/", task_id);
    EXPECT_NE(access(sandbox.c_str(), F_OK), 0) << "a dropped task was started: " << sandbox;
    dropped++;
  }
  EXPECT_GE(dropped, 1) << framework_->Log();
  EXPECT_GE(framework_->TasksSeenIn("TASK_FINISHED"), 1) << framework_->Log();
}

// Runs `argv` to completion and expects a non-zero exit naming `expected`.
void ExpectRefused(const std::vector<std::string>& argv, const std::string& expected) {
  auto result = RunCommand(argv, absl::Seconds(15));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->exit_code, 0) << result->output;
  EXPECT_NE(result->output.find(expected), std::string::npos) << result->output;
}

TEST(LaunchQueueFlagsTest, BadLaunchLimitsAreRefusedNamingTheFlag) {
  TempDir dir;
  std::vector<std::string> agent = {
      BinaryPath("agora-agent"), "--master=127.0.0.1:1",     "--port=0",
      "--http_port=-1",          "--work_dir=" + dir.path(), "--logtostderr"};
  std::vector<std::string> argv = agent;
  argv.push_back("--max_concurrent_launches=0");
  ExpectRefused(argv, "--max_concurrent_launches");
  argv = agent;
  argv.push_back("--max_queued_launches=-1");
  ExpectRefused(argv, "--max_queued_launches");
}

}  // namespace
}  // namespace agora::testing
