// System tests of `agora logs`: the real agora-master, agora-agent and agora
// CLI; a task's output is read from its sandbox through the agent's
// operator API, found through the master.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {
namespace {

using ::testing::HasSubstr;

class LogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs();
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(cluster_.StartAgent("cpus:4;mem:2048;disk:1024;ports:[31000-31100]").ok())
          << cluster_.Logs();
    }
  }

  // The state of task `task_id` as the master lists it (TASK_STAGING if
  // it is not listed yet).
  v1::TaskState StateOf(const std::string& task_id) {
    for (const v1::Task& task : cluster_.Tasks())
      if (task.task_id().value() == task_id) return task.state();
    return v1::TASK_STAGING;
  }

  TempDir dir_;
  ProcessCluster cluster_{dir_.path()};
};

TEST_F(LogsTest, PrintsStdoutAndStderrOfAFinishedTask) {
  CommandResult run =
      cluster_.Cli({"run", "--name", "logged", "--command",
                    "echo first line; echo second line; echo to stderr >&2; exit 4"});
  ASSERT_NE(run.exit_code, 0) << run.output;

  CommandResult out = cluster_.Cli({"logs", "logged-0"});
  EXPECT_EQ(out.exit_code, 0) << out.output << cluster_.Logs();
  EXPECT_EQ(out.output, "first line\nsecond line\n");

  CommandResult err = cluster_.Cli({"logs", "logged-0", "--stderr"});
  EXPECT_EQ(err.exit_code, 0) << err.output;
  EXPECT_THAT(err.output, HasSubstr("to stderr\n"));
  EXPECT_THAT(err.output, ::testing::Not(HasSubstr("first line")));

  CommandResult tail = cluster_.Cli({"logs", "logged-0", "--tail", "1"});
  EXPECT_EQ(tail.exit_code, 0) << tail.output;
  EXPECT_EQ(tail.output, "second line\n");

  CommandResult bytes = cluster_.Cli({"logs", "logged-0", "--tail", "5B"});
  EXPECT_EQ(bytes.exit_code, 0) << bytes.output;
  EXPECT_EQ(bytes.output, "line\n");

  CommandResult none = cluster_.Cli({"logs", "logged-0", "--tail", "0"});
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(none.output, "");
}

TEST_F(LogsTest, UnknownTaskExitsOneNamingIt) {
  CommandResult logs = cluster_.Cli({"logs", "no-such-task"});
  EXPECT_EQ(logs.exit_code, 1) << logs.output;
  EXPECT_EQ(logs.output, "agora: no task named no-such-task\n");

  CommandResult bad = cluster_.Cli({"logs"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("TASK is required"));
}

TEST_F(LogsTest, UnreachableAgentIsAClearError) {
  CommandResult run = cluster_.Cli({"run", "--name", "orphan", "--command", "echo hi"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  cluster_.KillAgent(0);
  cluster_.KillAgent(1);
  CommandResult logs = cluster_.Cli({"logs", "orphan-0"});
  EXPECT_EQ(logs.exit_code, 1) << logs.output;
  EXPECT_THAT(logs.output, HasSubstr("agora: cannot reach the agent at 127.0.0.1:")) << logs.output;
}

TEST_F(LogsTest, ReadsAFinishedTaskAfterItsAgentRestarted) {
  CommandResult run = cluster_.Cli({"run", "--name", "survivor", "--command", "echo kept"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The restarted agents have forgotten the acknowledged task (their
  // completed-task history is in memory); its sandbox is still on disk.
  for (size_t i = 0; i < 2; ++i) {
    cluster_.KillAgent(i);
    ASSERT_TRUE(cluster_.RestartAgent(i).ok()) << cluster_.Logs();
  }
  CommandResult logs = cluster_.Cli({"logs", "survivor-0"});
  EXPECT_EQ(logs.exit_code, 0) << logs.output << cluster_.Logs();
  EXPECT_EQ(logs.output, "kept\n");
}

TEST_F(LogsTest, FollowPrintsASlowTasksOutputAndEndsWithIt) {
  auto run = cluster_.Spawn({BinaryPath("agora"), "run", "--name", "slow", "--command",
                             "for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.4; done", "--master",
                             cluster_.master_address()},
                            "agora-run-slow.log");
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(WaitFor([&] { return StateOf("slow-0") == v1::TASK_RUNNING; }, absl::Seconds(60)))
      << (*run)->Log() << cluster_.Logs();

  absl::Time start = absl::Now();
  CommandResult follow = cluster_.Cli({"logs", "slow-0", "-f"}, absl::Seconds(60));
  EXPECT_EQ(follow.exit_code, 0) << follow.output;
  // Everything, in order, once: the follower started while the task ran
  // and returned only after it ended.
  EXPECT_EQ(follow.output, "tick-1\ntick-2\ntick-3\ntick-4\ntick-5\ntick-6\n");
  EXPECT_EQ(StateOf("slow-0"), v1::TASK_FINISHED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ASSERT_TRUE((*run)->Wait(absl::Seconds(30)).ok()) << (*run)->Log();
}

}  // namespace
}  // namespace agora::testing
