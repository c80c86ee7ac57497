// The example frameworks and executor in examples/, run as a framework
// author would run them against a real cluster.
#include <signal.h>
#include <sys/wait.h>

#include "gtest/gtest.h"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {
namespace {

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs();
    ASSERT_TRUE(cluster_.StartAgent("cpus:4;mem:2048;disk:1024;ports:[31000-31100]").ok())
        << cluster_.Logs();
  }

  TempDir dir_;
  ProcessCluster cluster_{dir_.path()};
};

TEST_F(ExamplesTest, BatchFrameworkRunsEveryTaskToCompletion) {
  absl::StatusOr<CommandResult> run =
      RunCommand({BinaryPath("batch_framework"), "--master=" + cluster_.master_address(),
                  "--tasks=4", "--command=echo batch"},
                 absl::Seconds(120));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0) << run->output << cluster_.Logs();
  EXPECT_EQ(cluster_.TasksByState()[v1::TASK_FINISHED], 4);
}

TEST_F(ExamplesTest, BatchFrameworkWithTheCustomExecutor) {
  absl::StatusOr<CommandResult> run =
      RunCommand({BinaryPath("batch_framework"), "--master=" + cluster_.master_address(),
                  "--tasks=2", "--executor=" + BinaryPath("custom_executor"), "--work=20000"},
                 absl::Seconds(120));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0) << run->output << cluster_.Logs();
  std::vector<v1::Task> tasks = cluster_.Tasks();
  ASSERT_EQ(tasks.size(), 2u);
  for (const v1::Task& task : tasks) {
    EXPECT_EQ(task.state(), v1::TASK_FINISHED) << task.DebugString();
    // There are 2262 primes below 20000; the executor reports the count.
    EXPECT_NE(task.status().message().find("2262"), std::string::npos) << task.DebugString();
  }
}

TEST_F(ExamplesTest, ServiceFrameworkReplacesInstancesThatFail) {
  auto service =
      Subprocess::Spawn({BinaryPath("service_framework"), "--master=" + cluster_.master_address(),
                         "--instances=2", "--command=exit 1"},
                        dir_.path() + "/service.log");
  ASSERT_TRUE(service.ok());
  // Every instance fails at once; the framework keeps starting new ones.
  ASSERT_TRUE(
      WaitFor([&] { return cluster_.TasksByState()[v1::TASK_FAILED] >= 6; }, absl::Seconds(60)))
      << (*service)->Log() << cluster_.Logs();
  (*service)->Signal(SIGTERM);
  absl::StatusOr<int> status = (*service)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << (*service)->Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*service)->Log();
}

}  // namespace
}  // namespace agora::testing
