// System tests: kill -9 the real master (with and without its agents and
// frameworks), starve its registry, and make the operator mistakes of
// issue 7; check what frameworks and operators see.
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"
#include "tests/system/fault/fault_support.hpp"

namespace agora::testing {
namespace {

using MasterFaultTest = FaultTest;

TEST_F(MasterFaultTest, AgentThatDoesNotReturnAfterAMasterRestartBecomesUnreachable) {
  ASSERT_TRUE(cluster_.StartMaster({"--agent_reregister_timeout=2"}).ok()) << AllLogs();
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=1", "--command=sleep 3101; true", "--name=lost", "--reconcile_every=1"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();

  cluster_.KillAgent(0);
  cluster_.KillMaster();
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  // Listed while the re-registration window is open...
  EXPECT_EQ(cluster_.RegisteredAgents(), 1) << cluster_.Cli({"agents"}).output;
  // ...then unreachable, which reconciliation reports for its task.
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_UNREACHABLE", 1, absl::Seconds(60))) << AllLogs();
  EXPECT_NE(framework_->Log().find("AGENT_LOST"), std::string::npos) << framework_->Log();

  // The agent comes back: its task is running again and nothing was killed.
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();
  ASSERT_TRUE(WaitFor([&] { return framework_->Count("TASK_RUNNING") >= 2; }, absl::Seconds(60)))
      << AllLogs();
  EXPECT_EQ(LiveProcessesWith("sleep 3101").size(), 1u);
}

TEST_F(MasterFaultTest, ServiceKeepsItsInstancesWhenAnAgentDoesNotReturnAfterAMasterRestart) {
  ASSERT_TRUE(cluster_.StartMaster({"--agent_reregister_timeout=2"}).ok()) << AllLogs();
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  auto service =
      cluster_.Spawn({BinaryPath("service_framework"), "--master=" + cluster_.master_address(),
                      "--instances=2", "--command=sleep 3103; true"},
                     "service.log");
  ASSERT_TRUE(service.ok());
  // Both instances run on the only agent.
  ASSERT_TRUE(
      WaitFor([&] { return cluster_.TasksByState()[v1::TASK_RUNNING] == 2; }, absl::Seconds(60)))
      << (*service)->Log() << AllLogs();
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();

  // The first agent and the master die; only the master comes back.
  cluster_.KillAgent(0);
  cluster_.KillMaster();
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  // The service hears the agent is lost, reconciles its instances there,
  // learns they are unreachable and runs two new ones on the other agent.
  ASSERT_TRUE(WaitFor(
      [&] {
        return CountOccurrences((*service)->Log(), "TASK_UNREACHABLE") == 2 &&
               cluster_.TasksByState()[v1::TASK_RUNNING] == 2;
      },
      absl::Seconds(60)))
      << (*service)->Log() << AllLogs();
  EXPECT_NE((*service)->Log().find("reconciling 2 instance(s)"), std::string::npos)
      << (*service)->Log();
  (*service)->Signal(SIGTERM);
  EXPECT_TRUE((*service)->Wait(absl::Seconds(30)).ok());
  // The lost agent returns after the service was torn down: the instances it
  // still ran are shut down, nothing is left behind.
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();
  EXPECT_TRUE(WaitFor([] { return LiveProcessesWith("sleep 3103").empty(); }, absl::Seconds(60)))
      << AllLogs();
}

TEST_F(MasterFaultTest, FrameworkFailoverTimeoutSurvivesAMasterRestart) {
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  framework_ = FrameworkProcess::Start(&cluster_, {"--tasks=1", "--command=sleep 3102; true",
                                                   "--name=orphaned", "--failover_timeout=3"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();

  framework_->process()->Signal(SIGKILL);
  cluster_.KillMaster();
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  // The framework is remembered as disconnected, then torn down when its
  // failover timeout runs out: its task is killed on the agent.
  EXPECT_TRUE(WaitFor([] { return LiveProcessesWith("sleep 3102").empty(); }, absl::Seconds(60)))
      << AllLogs();
  EXPECT_TRUE(WaitFor(
      [&] {
        return cluster_.Cli({"tasks", "--active"}).output.find("orphaned-0") == std::string::npos;
      },
      absl::Seconds(30)))
      << AllLogs();
}

TEST_F(MasterFaultTest, MasterThatCannotWriteItsRegistryExitsWithAClearError) {
  const std::string work_dir = dir_.path() + "/master";
  std::string why;
  if (!MountTmpfs(work_dir, 1 << 20, &why)) GTEST_SKIP() << why;
  struct Unmount {
    std::string dir;
    ~Unmount() { UnmountTmpfs(dir); }
  } unmount{work_dir};
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  FillFileSystem(work_dir + "/filler");
  // Admitting an agent needs a registry write. The registry appends to a log
  // whose last page may still have room for a small record, so this agent's
  // record is made larger than a page: 2,000 separate port ranges.
  std::string ports;
  for (int i = 0; i < 2000; ++i)
    absl::StrAppend(&ports, i == 0 ? "" : ",", 20000 + 2 * i, "-", 20000 + 2 * i);
  auto agent = cluster_.Spawn(
      {BinaryPath("agora-agent"), "--master=" + cluster_.master_address(), "--port=0",
       "--http_port=-1", "--work_dir=" + dir_.path() + "/agent", "--logtostderr",
       absl::StrCat("--resources=cpus:4;mem:4096;ports:[", ports, "]")},
      "agent.log");
  ASSERT_TRUE(agent.ok());
  auto status = cluster_.master()->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << "the master kept serving without a durable registry\n" << AllLogs();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
  EXPECT_NE(cluster_.master()->Log().find("registry"), std::string::npos) << AllLogs();
  EXPECT_EQ(cluster_.RegisteredAgents(), 0);
}

TEST_F(MasterFaultTest, SecondMasterOnTheSameWorkDirIsRefused) {
  ASSERT_TRUE(cluster_.StartMaster().ok()) << AllLogs();
  auto second = cluster_.Spawn({BinaryPath("agora-master"), "--port=0", "--http_port=-1",
                                "--work_dir=" + dir_.path() + "/master", "--logtostderr"},
                               "second-master.log");
  ASSERT_TRUE(second.ok());
  auto status = (*second)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << "the second master kept running";
  EXPECT_NE(*status, 0);
  EXPECT_NE((*second)->Log().find(absl::StrCat("pid ", cluster_.master()->pid())),
            std::string::npos)
      << (*second)->Log();
  EXPECT_TRUE(cluster_.master()->Running());
}

// Runs `argv` to completion and expects a non-zero exit whose output names
// `expected`.
void ExpectRefused(const std::vector<std::string>& argv, const std::string& expected) {
  auto result = RunCommand(argv, absl::Seconds(15));
  ASSERT_TRUE(result.ok()) << result.status();
  // Exited by itself with an error (-1 would be our timeout's kill).
  EXPECT_GT(result->exit_code, 0) << result->output;
  EXPECT_NE(result->output.find(expected), std::string::npos) << result->output;
}

TEST(OperatorMistakeTest, RelativeWorkDirsAreRefused) {
  ExpectRefused({BinaryPath("agora-master"), "--port=0", "--http_port=-1",
                 "--work_dir=relative/master", "--logtostderr"},
                "--work_dir");
  ExpectRefused({BinaryPath("agora-agent"), "--master=127.0.0.1:1", "--port=0", "--http_port=-1",
                 "--work_dir=relative/agent", "--logtostderr"},
                "--work_dir");
}

TEST(OperatorMistakeTest, ZeroResourcesAreRefused) {
  TempDir dir;
  ExpectRefused({BinaryPath("agora-agent"), "--master=127.0.0.1:1", "--port=0", "--http_port=-1",
                 "--work_dir=" + dir.path(), "--resources=cpus:0;mem:0", "--logtostderr"},
                "cpus");
}

}  // namespace
}  // namespace agora::testing
