// The pool of ready cgroups on real cgroups v1 (CgroupsIsolator with
// pool_size > 0): a recycled cgroup handed to a launch, and an agent's pool
// at its stop and after a kill. Skipped (saying why) where cgroups v1 are
// not writable.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "agent/cgroups.hpp"
#include "agent/isolator.hpp"
#include "agent_cluster_fixture.hpp"
#include "common/resources.hpp"

namespace agora::agent {
namespace {

// Skips unless cgroups v1 are writable here (the pool needs v1's rename).
#define SKIP_WITHOUT_V1_CGROUPS()                                                         \
  do {                                                                                    \
    IsolatorOptions probe;                                                                \
    probe.subdir = "agora-pool-test-probe";                                               \
    auto isolator = CgroupsIsolator::Create(probe);                                       \
    if (!isolator.ok()) GTEST_SKIP() << "cgroups not usable here: " << isolator.status(); \
    bool v1 = (*isolator)->layout().version == CgroupsVersion::kV1;                       \
    (*isolator)->RemoveEmpty();                                                           \
    if (!v1) GTEST_SKIP() << "cgroups v2 here: the pool is v1 only";                      \
  } while (0)

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

// Runs a child in `dirs` that burns 0.1 s of CPU and touches `mib` MiB, and
// waits for it (system calls only in the child: the test process has
// threads).
void RunBusyChildIn(const std::vector<std::string>& dirs, size_t mib) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (const std::string& dir : dirs) {
      int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY);
      if (fd < 0 || write(fd, "0", 1) != 1) _exit(2);
      close(fd);
    }
    double start = ProcessCpuSeconds();
    while (ProcessCpuSeconds() - start < 0.1) {
    }
    size_t size = mib << 20;
    void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) _exit(3);
    memset(memory, 1, size);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

class RealCgroupsPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_V1_CGROUPS();
    IsolatorOptions options;
    options.subdir = "agora-pool-test-" + std::to_string(getpid());
    options.pool_size = 1;
    auto isolator = CgroupsIsolator::Create(options);
    ASSERT_TRUE(isolator.ok()) << isolator.status();
    isolator_ = std::move(*isolator);
  }
  void TearDown() override {
    if (isolator_ != nullptr) isolator_->RemoveEmpty();
  }

  std::string Read(const std::string& controller, const std::string& id,
                   const std::string& file) const {
    return ReadWholeFile(isolator_->layout().v1_bases.at(controller) + "/" + id + "/" + file);
  }
  bool Exists(const std::string& controller, const std::string& id) const {
    return std::filesystem::exists(isolator_->layout().v1_bases.at(controller) + "/" + id);
  }

  std::unique_ptr<CgroupsIsolator> isolator_;
};

TEST_F(RealCgroupsPoolTest, ARecycledCgroupCarriesOnlyTheNewTasksLimitsAndUsage) {
  ASSERT_TRUE(isolator_->FillPool());
  auto first = isolator_->Prepare("task-a", ContainerLimits{2, 64});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Read("cpu", "task-a", "cpu.shares"), "2048\n");
  RunBusyChildIn(*first, 24);
  auto used = isolator_->Usage("task-a");
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_GT(used->cpu_seconds, 0.05);
  EXPECT_GE(used->memory_peak_bytes, 24u << 20);

  EXPECT_EQ(isolator_->Kill("task-a"), 0);
  ASSERT_TRUE(isolator_->Release("task-a").ok());
  EXPECT_EQ(isolator_->pool()->recycled(), 1u);
  for (const char* controller : kV1Controllers) EXPECT_FALSE(Exists(controller, "task-a"));

  // The pool holds one entry, the recycled one: the next launch gets it.
  auto second = isolator_->Prepare("task-b", ContainerLimits{0.05, 16});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(isolator_->pool()->taken(), 2u);
  EXPECT_EQ(Read("cpu", "task-b", "cpu.shares"), "51\n");
  EXPECT_EQ(Read("memory", "task-b", "memory.limit_in_bytes"), "16777216\n");
  auto fresh = isolator_->Usage("task-b");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->cpu_seconds, 0);
  EXPECT_EQ(fresh->memory_bytes, 0u);
  EXPECT_EQ(fresh->memory_peak_bytes, 0u);
  EXPECT_EQ(fresh->oom_kills, 0u);
  EXPECT_EQ(fresh->pids, 0u);
  RunBusyChildIn(*second, 8);  // within its 16 MiB
  EXPECT_GT(isolator_->Usage("task-b")->cpu_seconds, 0.05);
}

TEST_F(RealCgroupsPoolTest, AReusedDirectoryWithoutAPoolEntryGetsEveryLimit) {
  // The pool is empty (never filled): new directories, only non-defaults.
  auto created = isolator_->Prepare("task-c", ContainerLimits{1, 0});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Read("cpu", "task-c", "cpu.shares"), "1024\n");
  EXPECT_EQ(Read("pids", "task-c", "pids.max"), "4096\n");
  ASSERT_TRUE(isolator_->Prepare("task-c", ContainerLimits{0.5, 32}).ok());
  EXPECT_EQ(Read("cpu", "task-c", "cpu.shares"), "512\n");
  EXPECT_EQ(Read("memory", "task-c", "memory.limit_in_bytes"), "33554432\n");
  ASSERT_TRUE(isolator_->Prepare("task-c", ContainerLimits{1, 0}).ok());
  EXPECT_EQ(Read("cpu", "task-c", "cpu.shares"), "1024\n");  // written: not a new cgroup
}

class AgentCgroupsPoolTest : public AgentClusterTest {
 protected:
  void SetUp() override {
    AgentClusterTest::SetUp();
    SKIP_WITHOUT_V1_CGROUPS();
  }

  // The agent's cgroup directory in each v1 hierarchy, from a task's
  // /proc/self/cgroup (the parent of its container cgroup).
  std::set<std::string> AgentBases(const std::string& task_id) {
    std::set<std::string> bases;
    std::string text = ReadWholeFile(dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest/cgroups");
    for (const auto& [controller, path] : ParseProcCgroup(text)) {
      if (path.find("/agora-") == std::string::npos) continue;
      bases.insert(std::filesystem::path("/sys/fs/cgroup/" + controller + path).parent_path());
    }
    return bases;
  }
  static int PoolEntries(const std::set<std::string>& bases) {
    int entries = 0;
    for (const std::string& base : bases) {
      std::error_code error;
      for (const auto& entry : std::filesystem::directory_iterator(base, error))
        if (CgroupsPool::IsEntryName(entry.path().filename())) entries++;
    }
    return entries;
  }
};

TEST_F(AgentCgroupsPoolTest, PoolIsEmptiedAtAStopAndAKilledAgentsEntriesAreSweptAtStart) {
  AgentOptions options = Options();
  options.isolation = AgentOptions::Isolation::kCgroups;
  options.cgroups_pool_size = 4;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("short", "cat /proc/$$/cgroup > cgroups")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("short");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED) << updates.back().message();
  std::set<std::string> bases = AgentBases("short");
  ASSERT_EQ(bases.size(), 5u) << "the task ran outside its cgroups";
  // Full again: the ended task's cgroups recycled or new ones made.
  EXPECT_TRUE(Eventually([&] { return PoolEntries(bases) == 4 * 5; })) << PoolEntries(bases);

  agent_->Stop();  // Not Shutdown: what stays is what a stop leaves.
  agent_.reset();
  EXPECT_EQ(PoolEntries(bases), 0);

  // Entries as an agent killed with its pool full leaves them.
  for (const std::string& base : bases)
    ASSERT_EQ(mkdir((base + "/pool-999").c_str(), 0755), 0) << base << ": " << strerror(errno);
  StartAgent(options);
  for (const std::string& base : bases)
    EXPECT_FALSE(std::filesystem::exists(base + "/pool-999")) << base;
  EXPECT_TRUE(Eventually([&] { return PoolEntries(bases) == 4 * 5; })) << PoolEntries(bases);
}

}  // namespace
}  // namespace agora::agent
