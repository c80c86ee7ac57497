// System tests: kill -9, corrupt and starve real agents and executors while
// a real framework process watches, and check what the framework saw and
// which processes are left.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"
#include "tests/system/fault/fault_support.hpp"

namespace agora::testing {
namespace {

// "socket:[inode]" of the TCP sockets listening on 127.0.0.1:`port`.
std::set<std::string> ListeningSockets(int port) {
  std::set<std::string> sockets;
  std::istringstream lines(ReadFileOrEmpty("/proc/net/tcp"));
  std::string line;
  const std::string local = absl::StrCat(":", absl::AsciiStrToUpper(absl::StrFormat("%04x", port)));
  while (std::getline(lines, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (fields.size() < 10 || fields[3] != "0A" || !absl::EndsWith(fields[1], local)) continue;
    sockets.insert(absl::StrCat("socket:[", fields[9], "]"));
  }
  return sockets;
}

// Where each of `pid`'s descriptors points ("socket:[123]", "/dev/null").
std::vector<std::string> DescriptorTargets(pid_t pid) {
  std::vector<std::string> targets;
  for (int fd : OpenDescriptors(pid)) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/fd/", fd), ec);
    if (!ec) targets.push_back(target.string());
  }
  return targets;
}

class AgentFaultTest : public FaultTest {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs(); }

  void StartAgent(const std::vector<std::string>& flags = {}) {
    ASSERT_TRUE(cluster_.StartAgent(kAgentResources, flags).ok()) << cluster_.Logs();
  }
};

TEST_F(AgentFaultTest, AgentKilledWithTwentyRunningTasksKeepsThemAndEachFinishesOnce) {
  StartAgent();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=20", "--command=sleep 8", "--cpus=0.1", "--mem=16", "--name=twenty"});
  ASSERT_NE(framework_, nullptr);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 20)) << AllLogs();

  cluster_.KillAgent(0);
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();

  ASSERT_TRUE(framework_->WaitTasksIn("TASK_FINISHED", 20)) << AllLogs();
  // Every update acknowledged: nothing is left for the agent to re-send.
  ASSERT_TRUE(WaitFor(
      [&] {
        return cluster_.Cli({"tasks", "--active"}).output.find("twenty-") == std::string::npos;
      },
      absl::Seconds(60)))
      << AllLogs();
  for (int i = 0; i < 20; ++i) {
    const std::string task = absl::StrCat("twenty-", i);
    EXPECT_EQ(framework_->Count("TASK_FINISHED", task), 1) << task << "\n" << framework_->Log();
  }
  for (const SeenUpdate& update : framework_->Updates()) {
    EXPECT_TRUE(update.state == "TASK_STARTING" || update.state == "TASK_RUNNING" ||
                update.state == "TASK_FINISHED")
        << update.task_id << " " << update.state << " " << update.message;
  }
}

TEST_F(AgentFaultTest, ExecutorKilledLeavesNoTaskProcessBehind) {
  StartAgent();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=1", "--command=sleep 3001; true", "--name=orphan"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();
  pid_t executor = ExecutorPid("orphan-0");
  ASSERT_GT(executor, 0) << AllLogs();
  // RUNNING comes once the task's shell runs; `sleep` is exec'd just after.
  ASSERT_TRUE(
      WaitFor([] { return LiveProcessesWith("sleep 3001").size() == 1u; }, absl::Seconds(30)))
      << AllLogs();

  ::kill(executor, SIGKILL);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_FAILED", 1)) << AllLogs();
  // The tree was killed before the terminal update went out.
  EXPECT_TRUE(LiveProcessesWith("sleep 3001").empty()) << AllLogs();
  EXPECT_EQ(framework_->Count("TASK_FAILED"), 1);
}

TEST_F(AgentFaultTest, ExecutorThatDiedWhileTheAgentWasDownIsCleanedUpOnRestart) {
  StartAgent();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=1", "--command=sleep 3002; true", "--name=downdied"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();
  pid_t executor = ExecutorPid("downdied-0");
  ASSERT_GT(executor, 0);

  cluster_.KillAgent(0);
  ::kill(executor, SIGKILL);
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_FAILED", 1)) << AllLogs();
  EXPECT_TRUE(LiveProcessesWith("sleep 3002").empty()) << AllLogs();
  EXPECT_EQ(framework_->Count("TASK_FAILED"), 1);
}

TEST_F(AgentFaultTest, RestartedAgentServesHttpWhileOldTasksRun) {
  StartAgent();
  framework_ =
      FrameworkProcess::Start(&cluster_, {"--tasks=1", "--command=sleep 3003; true", "--name=fds"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();
  pid_t executor = ExecutorPid("fds-0");
  ASSERT_GT(executor, 0);
  // The task inherited stdin, stdout and stderr only (`sleep` opens
  // nothing itself); the executor's own descriptors are its business, but
  // none of them may be the agent's listening sockets (checked below: the
  // restarted agent binds its ports again).
  std::vector<pid_t> tasks;
  ASSERT_TRUE(WaitFor(
      [&] {
        tasks = LiveProcessesWith("sleep 3003");
        return tasks.size() == 1u;
      },
      absl::Seconds(30)))
      << AllLogs();
  for (int fd : OpenDescriptors(tasks[0])) EXPECT_LE(fd, 2) << "task inherited fd " << fd;
  std::set<std::string> listening = ListeningSockets(cluster_.agent_http_port(0));
  ASSERT_FALSE(listening.empty());
  for (const std::string& target : DescriptorTargets(executor)) {
    EXPECT_EQ(listening.count(target), 0u) << "the executor holds the agent's HTTP socket";
  }

  cluster_.KillAgent(0);
  ASSERT_TRUE(cluster_.RestartAgent(0).ok()) << AllLogs();
  std::string health = HttpGet(cluster_.agent_http_port(0), "/health");
  EXPECT_NE(health.find(" 200 "), std::string::npos) << health << AllLogs();
  EXPECT_EQ(LiveProcessesWith("sleep 3003").size(), 1u);
}

TEST_F(AgentFaultTest, CorruptAgentIdRefusesToStartAndCleanupStartsFresh) {
  StartAgent();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=1", "--command=sleep 3004; true", "--name=garbled"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();
  cluster_.KillAgent(0);
  const std::string id_file = cluster_.agent_work_dir(0) + "/meta/agent";
  ASSERT_TRUE(std::filesystem::exists(id_file));
  std::ofstream(id_file, std::ios::trunc) << "\xff\xff garbage \x01";

  ASSERT_FALSE(cluster_.RestartAgent(0, /*wait_registered=*/false).ok());
  ASSERT_TRUE(WaitFor([&] { return !cluster_.agent(0)->Running(); }, absl::Seconds(30)));
  std::string log = cluster_.agent(0)->Log();
  EXPECT_NE(log.find(id_file), std::string::npos) << log;
  EXPECT_NE(log.find("--recover=cleanup"), std::string::npos) << log;
  // Refusing to start kills nothing: the task still runs.
  EXPECT_EQ(LiveProcessesWith("sleep 3004").size(), 1u);

  ASSERT_TRUE(cluster_.RestartAgent(0, true, {"--recover=cleanup"}).ok()) << AllLogs();
  EXPECT_TRUE(WaitFor([] { return LiveProcessesWith("sleep 3004").empty(); }, absl::Seconds(30)))
      << AllLogs();
}

TEST_F(AgentFaultTest, SecondAgentOnTheSameWorkDirIsRefused) {
  StartAgent();
  auto second = cluster_.Spawn(
      {BinaryPath("agora-agent"), "--master=" + cluster_.master_address(), "--port=0",
       "--http_port=-1", "--work_dir=" + cluster_.agent_work_dir(0), "--logtostderr"},
      "second-agent.log");
  ASSERT_TRUE(second.ok());
  auto status = (*second)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << "the second agent kept running";
  EXPECT_NE(*status, 0);
  EXPECT_NE((*second)->Log().find(absl::StrCat("pid ", cluster_.agent(0)->pid())),
            std::string::npos)
      << (*second)->Log();
  EXPECT_TRUE(cluster_.agent(0)->Running());
}

TEST_F(AgentFaultTest, FullWorkDirRefusesLaunchesReportsUnhealthyAndRecovers) {
  const std::string work_dir = cluster_.agent_work_dir(0);
  std::string why;
  if (!MountTmpfs(work_dir, 8 << 20, &why)) GTEST_SKIP() << why;
  struct Unmount {
    std::string dir;
    ~Unmount() { UnmountTmpfs(dir); }
  } unmount{work_dir};
  StartAgent();
  const std::string filler = work_dir + "/filler";
  FillFileSystem(filler);

  framework_ = FrameworkProcess::Start(&cluster_, {"--tasks=1", "--command=true", "--name=full"});
  ASSERT_TRUE(WaitFor(
      [&] { return framework_->Count("TASK_FAILED") + framework_->Count("TASK_DROPPED") > 0; },
      absl::Seconds(60)))
      << AllLogs();
  std::string health = HttpGet(cluster_.agent_http_port(0), "/health");
  EXPECT_EQ(health.find(" 200 "), std::string::npos) << health;
  EXPECT_NE(health.find("checkpoint"), std::string::npos) << health;

  std::filesystem::remove(filler);
  EXPECT_TRUE(WaitFor(
      [&] {
        return HttpGet(cluster_.agent_http_port(0), "/health").find(" 200 ") != std::string::npos;
      },
      absl::Seconds(60)))
      << AllLogs();
  auto after = FrameworkProcess::Start(&cluster_, {"--tasks=1", "--command=true", "--name=after"},
                                       "after.log");
  EXPECT_TRUE(after->WaitTasksIn("TASK_FINISHED", 1)) << after->Log() << AllLogs();
}

TEST_F(AgentFaultTest, PartitionedAgentComesBackWithNothingKilled) {
  // A fresh master with fast failure detection.
  cluster_.KillMaster();
  ASSERT_TRUE(
      cluster_.StartMaster({"--agent_heartbeat_interval=0.3", "--max_missed_heartbeats=2"}).ok());
  StartAgent();
  framework_ = FrameworkProcess::Start(
      &cluster_, {"--tasks=1", "--command=sleep 3005; true", "--name=partition"});
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 1)) << AllLogs();

  cluster_.agent(0)->Signal(SIGSTOP);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_UNREACHABLE", 1)) << AllLogs();
  cluster_.agent(0)->Signal(SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return framework_->Count("TASK_RUNNING") >= 2; }, absl::Seconds(60)))
      << AllLogs();
  EXPECT_EQ(LiveProcessesWith("sleep 3005").size(), 1u);
  for (const SeenUpdate& update : framework_->Updates()) {
    EXPECT_NE(update.state, "TASK_KILLED");
    EXPECT_NE(update.state, "TASK_FAILED");
  }
}

}  // namespace
}  // namespace agora::testing
