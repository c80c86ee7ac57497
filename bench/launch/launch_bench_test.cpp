// Tests of the launch benchmark's pieces: the /proc accounting (on real
// child processes) and the framework + cluster against the real master,
// agent and executor binaries (system tier; a few seconds).
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "launch/launch_cluster.hpp"
#include "launch/launch_framework.hpp"
#include "launch/proc_usage.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::bench {
namespace {

// The calling process's CPU time so far, in seconds.
double OwnCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Forks a child that burns `seconds` of CPU (its own CPU time, not wall
// time: on a loaded machine it may take longer), then exits.
pid_t SpawnBusyChild(double seconds) {
  pid_t pid = ::fork();
  if (pid == 0) {
    volatile unsigned long sink = 0;
    while (OwnCpuSeconds() < seconds) sink = sink + 1;
    ::_exit(0);
  }
  return pid;
}

TEST(ProcUsageTest, ChargesLiveDescendantsThenReapedOnes) {
  const CpuSample before = SampleCpu({::getpid()});
  pid_t child = SpawnBusyChild(0.3);
  ASSERT_GT(child, 0);
  // Alive: found below this process and counted as a live descendant.
  std::vector<pid_t> descendants = Descendants(::getpid());
  EXPECT_NE(std::find(descendants.begin(), descendants.end(), child), descendants.end());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // Reaped: its CPU moved into this process's cutime + cstime.
  const CpuSample after = SampleCpu({::getpid()});
  EXPECT_GE(after.reaped_seconds - before.reaped_seconds, 0.2);
  EXPECT_EQ(after.live_descendants, before.live_descendants);
}

TEST(ProcUsageTest, ReadsMemoryAndLoad) {
  EXPECT_GT(RssMiB(::getpid()), 1.0);
  EXPECT_EQ(RssMiB(-1), 0);
  EXPECT_GE(LoadAverage(), 0);
}

class LaunchBenchSystemTest : public ::testing::TestWithParam<LaunchMode> {};

TEST_P(LaunchBenchSystemTest, RunsEveryTaskToFinishedAndTimesIt) {
  testing::TempDir dir;
  LaunchClusterOptions options;
  options.work_dir = dir.path();
  options.master_binary = testing::BinaryPath("agora-master");
  options.agent_binary = testing::BinaryPath("agora-agent");
  options.agent_resources = "cpus:2;mem:1024";
  auto cluster = LaunchCluster::Start(options, absl::Seconds(30));
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  constexpr int kTasks = 5;
  LaunchFramework framework(GetParam(), kTasks);
  framework.Start((*cluster)->master_address());
  ASSERT_TRUE(testing::WaitFor([&] { return framework.terminal() == kTasks; }, absl::Seconds(60)))
      << framework.terminal() << " of " << kTasks << " tasks ended; logs under " << dir.path();
  EXPECT_TRUE((*cluster)->CheckAlive().ok());
  auto times = framework.times();
  ASSERT_EQ(times.size(), kTasks);
  for (const auto& [id, task] : times) {
    EXPECT_EQ(task.state, v1::TASK_FINISHED) << id << ": " << task.message;
    EXPECT_EQ(task.terminal_updates, 1) << id;
    EXPECT_LE(task.launched, task.running) << id;
    EXPECT_LE(task.running, task.terminal) << id;
  }
  framework.Stop();
  pid_t agent = (*cluster)->agent_pid();
  cluster->reset();
  EXPECT_TRUE(Descendants(agent).empty());
}

INSTANTIATE_TEST_SUITE_P(Modes, LaunchBenchSystemTest,
                         ::testing::Values(LaunchMode::kSequential, LaunchMode::kBurst));

}  // namespace
}  // namespace agora::bench
