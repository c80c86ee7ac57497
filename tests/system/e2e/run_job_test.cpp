// System tests: the real agora-master, agora-agent, agora-executor and agora
// CLI, as a user runs them.
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {
namespace {

class RunJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs();
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(cluster_.StartAgent("cpus:4;mem:2048;disk:1024;ports:[31000-31100]").ok())
          << cluster_.Logs();
    }
  }

  TempDir dir_;
  ProcessCluster cluster_{dir_.path()};
};

TEST_F(RunJobTest, FiftyTrueTasksOnTwoAgentsAllFinish) {
  CommandResult run = cluster_.Cli({"run", "--name", "fifty", "--command", "true", "--instances",
                                    "50", "--cpus", "0.1", "--mem", "16"});
  ASSERT_EQ(run.exit_code, 0) << run.output << cluster_.Logs();

  std::map<v1::TaskState, int> states = cluster_.TasksByState();
  EXPECT_EQ(states[v1::TASK_FINISHED], 50);
  EXPECT_EQ(states.size(), 1u);
}

TEST_F(RunJobTest, FailingCommandReportsFailedWithItsExitCode) {
  CommandResult run = cluster_.Cli({"run", "--name", "fails", "--command", "exit 3"});
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("FAILED"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("status 3"), std::string::npos) << run.output;

  std::map<v1::TaskState, int> states = cluster_.TasksByState();
  EXPECT_EQ(states[v1::TASK_FAILED], 1);
  EXPECT_EQ(states.size(), 1u);
}

TEST_F(RunJobTest, TaskOutputLandsInItsSandbox) {
  CommandResult run = cluster_.Cli({"run", "--name", "hello", "--command", "echo hello"});
  ASSERT_EQ(run.exit_code, 0) << run.output << cluster_.Logs();
  int found = 0;
  for (size_t i = 0; i < 2; ++i) {
    std::filesystem::path sandboxes = cluster_.agent_work_dir(i) + "/sandboxes";
    if (!std::filesystem::exists(sandboxes)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(sandboxes)) {
      if (entry.path().filename() == "stdout" &&
          ReadFileOrEmpty(entry.path().string()).find("hello") != std::string::npos) {
        ++found;
      }
    }
  }
  EXPECT_EQ(found, 1);
}

TEST_F(RunJobTest, CliRejectsBadArgumentsWithoutTouchingTheCluster) {
  CommandResult run =
      cluster_.Cli({"run", "--name", "x", "--command", "true", "--instances", "zero"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--instances"), std::string::npos) << run.output;
  EXPECT_EQ(cluster_.RegisteredAgents(), 2);
}

}  // namespace
}  // namespace agora::testing
