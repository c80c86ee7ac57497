// Cgroups isolation of command tasks: real cgroups, real shim and task
// processes, a fake master. Skipped (saying why) where this machine's
// cgroups are not writable.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "agent/cgroups.hpp"
#include "agent/isolator.hpp"
#include "agent_cluster_fixture.hpp"
#include "common/resources.hpp"
#include "gmock/gmock.h"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

class IsolationTest : public CgroupsClusterTest {
 protected:
  // RunCommand with the task's resources ("cpus:0.5;mem:64").
  static MasterMessage RunWith(const std::string& task_id, const std::string& command,
                               const std::string& resources) {
    MasterMessage message = RunCommand(task_id, command);
    auto parsed = Resources::Parse(resources);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    *message.mutable_run_tasks()->mutable_tasks(0)->mutable_resources() = parsed->ToProto();
    return message;
  }

  // The cgroup directories of live process `pid` per v1 controller, as
  // /proc/PID/cgroup names them under /sys/fs/cgroup.
  static std::map<std::string, std::string> CgroupDirsOf(pid_t pid) {
    std::string text = ReadWholeFile("/proc/" + std::to_string(pid) + "/cgroup");
    std::map<std::string, std::string> dirs;
    for (const auto& [controller, path] : ParseProcCgroup(text))
      if (!controller.empty()) dirs[controller] = "/sys/fs/cgroup/" + controller + path;
    return dirs;
  }

  static bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }
};

TEST_F(IsolationTest, TaskRunsInItsOwnCgroupsWithItsLimitsWhichAreRemovedWhenItEnds) {
  AgentOptions options = CgroupsOptions();
  options.cgroups_pids_max = 77;
  options.cgroups_enable_cfs = true;
  StartAgent(options);
  ASSERT_TRUE(
      master_.Send(RunWith("limited", "echo $$ > pid; exec sleep 1000", "cpus:0.5;mem:64")));
  ASSERT_TRUE(WaitForState("limited", v1::TASK_RUNNING));
  pid_t pid = SandboxPid("limited", "pid");
  ASSERT_GT(pid, 0);
  std::map<std::string, std::string> dirs = CgroupDirsOf(pid);
  for (const char* controller : {"cpu", "cpuacct", "memory", "pids", "freezer"}) {
    EXPECT_THAT(dirs[controller], HasSubstr("/agora-")) << controller;
  }
  EXPECT_EQ(ReadWholeFile(dirs["memory"] + "/memory.limit_in_bytes"), "67108864\n");
  // No swap for the task: memsw equals the limit where there is swap to
  // turn off (a swap device and swap accounting).
  std::string swaps = ReadWholeFile("/proc/swaps");
  bool swap = swaps.find('\n') != std::string::npos &&
              swaps.find_first_not_of(" \t\n", swaps.find('\n')) != std::string::npos;
  if (swap && Exists(dirs["memory"] + "/memory.memsw.limit_in_bytes")) {
    EXPECT_EQ(ReadWholeFile(dirs["memory"] + "/memory.memsw.limit_in_bytes"), "67108864\n");
  }
  EXPECT_EQ(ReadWholeFile(dirs["pids"] + "/pids.max"), "77\n");
  EXPECT_EQ(ReadWholeFile(dirs["cpu"] + "/cpu.shares"), "512\n");
  // All the agent's containers together weigh as its 2 cpus.
  EXPECT_EQ(
      ReadWholeFile(std::filesystem::path(dirs["cpu"]).parent_path().string() + "/cpu.shares"),
      "2048\n");
  EXPECT_EQ(ReadWholeFile(dirs["cpu"] + "/cpu.cfs_quota_us"), "50000\n");
  // The shim (the task's parent) shares the task's cgroups but cpu: the
  // task's share is not the shim's.
  std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  pid_t shim = std::atoi(stat.substr(stat.rfind(')') + 4).c_str());
  ASSERT_GT(shim, 1);
  std::map<std::string, std::string> shim_dirs = CgroupDirsOf(shim);
  EXPECT_EQ(shim_dirs["memory"], dirs["memory"]);
  EXPECT_EQ(shim_dirs["freezer"], dirs["freezer"]);
  EXPECT_THAT(shim_dirs["cpu"], ::testing::Not(HasSubstr("/agora-")));

  ASSERT_TRUE(master_.Send(KillMessage("limited")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("limited");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] {
    for (const auto& [controller, dir] : dirs)
      if (dir.find("/agora-") != std::string::npos && Exists(dir)) return false;
    return true;
  })) << "the task's cgroups were not removed, e.g. "
      << dirs["memory"];
}

TEST_F(IsolationTest, MemoryHogFailsWithTheMemoryReasonAndAnotherTaskIsUnaffected) {
  StartAgent(CgroupsOptions());
  ASSERT_TRUE(master_.Send(RunWith("calm", "sleep 2; echo calm", "cpus:0.1;mem:64")));
  // tail keeps the last lines of a stream that has no newline: all of it.
  ASSERT_TRUE(master_.Send(RunWith("hog", "exec tail /dev/zero", "cpus:0.1;mem:64")));
  std::vector<v1::TaskStatus> hog = WaitForTerminal("hog");
  ASSERT_FALSE(hog.empty());
  EXPECT_EQ(hog.back().state(), v1::TASK_FAILED);
  EXPECT_EQ(hog.back().reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  EXPECT_THAT(hog.back().message(), HasSubstr("Memory limit exceeded"));
  EXPECT_THAT(hog.back().message(), HasSubstr("of its 64.0 MiB limit"));
  std::vector<v1::TaskStatus> calm = WaitForTerminal("calm");
  ASSERT_FALSE(calm.empty());
  EXPECT_EQ(calm.back().state(), v1::TASK_FINISHED) << calm.back().message();
  EXPECT_EQ(ReadWholeFile(dir_ + "/work/sandboxes/fw-1/calm/latest/stdout"), "calm\n");
  EXPECT_TRUE(agent_->registered());
}

TEST_F(IsolationTest, MetricsSayTheIsolationModeAndCountMemoryLimitations) {
  AgentOptions options = CgroupsOptions();
  options.http_port = 0;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunWith("hog", "exec tail /dev/zero", "cpus:0.1;mem:32")));
  std::vector<v1::TaskStatus> hog = WaitForTerminal("hog");
  ASSERT_FALSE(hog.empty());
  EXPECT_EQ(hog.back().reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY);
  std::string metrics = testing::HttpGet(agent_->http_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("agora_agent_isolation{mode=\"cgroups-v"));
  EXPECT_THAT(metrics, HasSubstr("agora_agent_container_memory_limitations_total 1"));
}

TEST_F(IsolationTest, ForkBombIsStoppedByThePidsLimitAndKilled) {
  AgentOptions options = CgroupsOptions();
  options.cgroups_pids_max = 64;
  StartAgent(options);
  // Bounded: at most 10,000 sleepers if nothing stopped it.
  ASSERT_TRUE(master_.Send(
      RunWith("bomb", "i=0; while [ $i -lt 10000 ]; do sleep 1000 & i=$((i+1)); done; wait",
              "cpus:0.1;mem:256")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("bomb");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FAILED) << updates.back().message();
  EXPECT_THAT(ReadWholeFile(dir_ + "/work/sandboxes/fw-1/bomb/latest/stderr"), HasSubstr("fork"));
  // None of the sleepers it did start survives its end.
  std::string sandbox = RunSandbox("bomb");  // AGORA_SANDBOX is the run directory.
  EXPECT_TRUE(Eventually(
      [&] { return ProcessesWithEnvironment("AGORA_SANDBOX", sandbox, /*exact=*/true).empty(); }));
}

TEST_F(IsolationTest, DaemonThatLeftTheSessionIsKilledWithItsTaskThroughTheCgroup) {
  StartAgent(CgroupsOptions());
  // Double fork and setsid: the daemon is in neither the task's process
  // group nor the shim's session, only in the task's cgroup.
  ASSERT_TRUE(master_.Send(
      RunWith("daemonizer",
              "(setsid sh -c 'echo $$ > daemon.tmp; mv daemon.tmp daemon; exec sleep 1000' &); "
              "while [ ! -s daemon ]; do sleep 0.05; done; exit 0",
              "cpus:0.1;mem:64")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("daemonizer");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED) << updates.back().message();
  pid_t daemon = SandboxPid("daemonizer", "daemon");
  ASSERT_GT(daemon, 0);
  EXPECT_TRUE(Eventually([&] { return !Alive(daemon); }))
      << "the daemon pid=" << daemon << " outlived its task";
}

TEST_F(IsolationTest, RestartedAgentKeepsASurvivingTasksCgroupAndRemovesOrphanedOnes) {
  AgentOptions options = CgroupsOptions();
  StartAgent(options);
  ASSERT_TRUE(
      master_.Send(RunWith("survivor", "echo $$ > pid; exec sleep 1000", "cpus:0.1;mem:64")));
  ASSERT_TRUE(WaitForState("survivor", v1::TASK_RUNNING));
  pid_t pid = SandboxPid("survivor", "pid");
  ASSERT_GT(pid, 0);
  std::map<std::string, std::string> dirs = CgroupDirsOf(pid);
  // A container cgroup no agent knows, as a crashed agent may leave behind.
  std::vector<std::string> orphans;
  for (const char* controller : {"cpu", "cpuacct", "memory", "pids", "freezer"}) {
    std::string orphan =
        std::filesystem::path(dirs[controller]).parent_path().string() + "/orphan-of-a-test";
    ASSERT_EQ(mkdir(orphan.c_str(), 0755), 0) << orphan << ": " << strerror(errno);
    orphans.push_back(orphan);
  }

  agent_->Stop();  // As a crash would: the shim and the task keep running.
  agent_.reset();
  StartAgent(options);
  EXPECT_TRUE(Eventually([&] {
    for (const std::string& orphan : orphans)
      if (Exists(orphan)) return false;
    return true;
  })) << orphans[0]
      << " was not removed";
  ASSERT_TRUE(Alive(pid));
  EXPECT_EQ(CgroupDirsOf(pid)["memory"], dirs["memory"]);

  ASSERT_TRUE(master_.Send(KillMessage("survivor")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("survivor");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] { return !Exists(dirs["memory"]) && !Exists(dirs["freezer"]); }));
}

TEST_F(IsolationTest, CgroupsWhoseRemovalWasPendingWhenTheAgentStoppedAreRemovedAtItsNextStart) {
  AgentOptions options = CgroupsOptions();
  // The ended task's cgroups are still queued for removal when the agent
  // stops (as they would be after a crash).
  options.cgroups_removal_delay = absl::Hours(1);
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunWith("short", "cat /proc/$$/cgroup > cgroups", "cpus:0.1;mem:64")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("short");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED) << updates.back().message();
  std::map<std::string, std::string> dirs;
  for (const auto& [controller, path] :
       ParseProcCgroup(ReadWholeFile(dir_ + "/work/sandboxes/fw-1/short/latest/cgroups"))) {
    if (path.find("/agora-") != std::string::npos)
      dirs[controller] = "/sys/fs/cgroup/" + controller + path;
  }
  ASSERT_EQ(dirs.size(), 5u) << "the task ran outside its cgroups";
  for (const auto& [controller, dir] : dirs) EXPECT_TRUE(Exists(dir)) << dir;

  agent_->Stop();  // Not Shutdown: no clean-up on the way out.
  agent_.reset();
  for (const auto& [controller, dir] : dirs) EXPECT_TRUE(Exists(dir)) << dir;
  options.cgroups_removal_delay = AgentOptions().cgroups_removal_delay;
  StartAgent(options);
  EXPECT_TRUE(Eventually([&] {
    for (const auto& [controller, dir] : dirs)
      if (Exists(dir)) return false;
    return true;
  })) << dirs["memory"]
      << " was left behind";
}

TEST_F(IsolationTest, UsageOfARunningContainerComesFromItsCgroup) {
  StartAgent(CgroupsOptions());
  ASSERT_TRUE(master_.Send(RunWith(
      "busy", "echo $$ > pid; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 1000",
      "cpus:0.5;mem:64")));
  ASSERT_TRUE(WaitForState("busy", v1::TASK_RUNNING));
  pid_t pid = SandboxPid("busy", "pid");
  ASSERT_GT(pid, 0);
  std::filesystem::path memory_dir = CgroupDirsOf(pid)["memory"];
  std::string container_id = memory_dir.filename().string();
  IsolatorOptions isolator_options;
  isolator_options.subdir = memory_dir.parent_path().filename().string();  // The agent's.
  auto isolator = CgroupsIsolator::Create(isolator_options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  // The loop's cpu time shows once it is done (the task execs sleep).
  ASSERT_TRUE(Eventually(
      [&] { return ReadWholeFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n"; }));
  auto usage = (*isolator)->Usage(container_id);
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->memory_limit_bytes, 64u << 20);
  EXPECT_GT(usage->memory_bytes, 0u);
  EXPECT_GT(usage->cpu_seconds, 0.0);
  EXPECT_GE(usage->pids, 2u);  // the shim and the task
  EXPECT_EQ(usage->oom_kills, 0u);
  EXPECT_EQ((*isolator)->Usage("no-such-container").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(master_.Send(KillMessage("busy")));
  WaitForTerminal("busy");
}

TEST_F(AgentClusterTest, AutoIsolationFallsBackToPosixWhereCgroupsAreMissing) {
  AgentOptions options = Options();
  options.cgroups_mount_root = dir_ + "/no-cgroups-here";
  options.isolation = AgentOptions::Isolation::kCgroups;
  auto refused = Agent::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("--isolation=cgroups"));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("no-cgroups-here"));

  options.isolation = AgentOptions::Isolation::kAuto;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("plain", "true")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("plain");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED);
}

TEST_F(IsolationTest, PosixIsolationRunsTasksOutsideAnyAgentCgroup) {
  AgentOptions options = Options();
  options.isolation = AgentOptions::Isolation::kPosix;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunWith("plain", "echo $$ > pid; sleep 0.5", "cpus:0.1;mem:64")));
  ASSERT_TRUE(WaitForState("plain", v1::TASK_RUNNING));
  pid_t pid = SandboxPid("plain", "pid");
  ASSERT_GT(pid, 0);
  std::string memory = CgroupDirsOf(pid)["memory"];
  std::vector<v1::TaskStatus> updates = WaitForTerminal("plain");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED);
  EXPECT_THAT(memory, ::testing::Not(HasSubstr("/agora-")));
}

}  // namespace
}  // namespace agora::agent
