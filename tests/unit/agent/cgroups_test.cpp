// The pure parts of cgroups isolation: limits arithmetic, /proc/self/cgroup
// parsing, layout detection on a fake /sys/fs/cgroup, file parsing and the
// memory-limitation message.
#include "agent/cgroups.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/isolator.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeCgroupRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-cgroups-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Touch(const std::string& relative, const std::string& text = "") {
    std::filesystem::path path = root_ + "/" + relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // The v1 hierarchies the isolator needs, each with a cgroup.procs.
  void TouchV1Hierarchies() {
    for (const char* controller : {"cpu", "cpuacct", "memory", "pids", "freezer"})
      Touch(std::string(controller) + "/cgroup.procs");
  }
  // An isolator on this root under subdir "agora", for an agent whose
  // /proc/self/cgroup reads `self_cgroup`.
  IsolatorOptions Options(const std::string& self_cgroup) const {
    IsolatorOptions options;
    options.mount_root = root_;
    options.subdir = "agora";
    options.proc_self_cgroup = self_cgroup;
    return options;
  }
  std::string root_;
};

TEST(CgroupsMathTest, CpuSharesAre1024PerCpuAndAtLeastTwo) {
  EXPECT_EQ(CpuShares(1), 1024u);
  EXPECT_EQ(CpuShares(0.5), 512u);
  EXPECT_EQ(CpuShares(2.25), 2304u);
  EXPECT_EQ(CpuShares(0), 2u);
  EXPECT_EQ(CpuShares(0.001), 2u);
}

TEST(CgroupsMathTest, CpuWeightFollowsTheKernelsSharesConversion) {
  EXPECT_EQ(CpuWeight(0), 1u);
  EXPECT_EQ(CpuWeight(1), 39u);
  EXPECT_EQ(CpuWeight(256), 10000u);
  EXPECT_EQ(CpuWeight(1000), 10000u);  // capped
}

TEST(CgroupsMathTest, CfsQuotaIsCpusTimesPeriodAtLeastOneMillisecond) {
  EXPECT_EQ(CfsQuotaUs(0.5, 100000), 50000);
  EXPECT_EQ(CfsQuotaUs(4, 100000), 400000);
  EXPECT_EQ(CfsQuotaUs(0.001, 100000), 1000);
  EXPECT_EQ(MemoryLimitBytes(64), 64u << 20);
}

TEST(CgroupsParseTest, ProcCgroupNamesEachCoMountedControllerAndTheV2Path) {
  auto paths = ParseProcCgroup(
      "12:cpu,cpuacct:/a\n4:memory:/process_api/c2\n1:name=systemd:/\n0::/user.slice\nbad\n");
  EXPECT_EQ(paths["cpu"], "/a");
  EXPECT_EQ(paths["cpuacct"], "/a");
  EXPECT_EQ(paths["memory"], "/process_api/c2");
  EXPECT_EQ(paths[""], "/user.slice");
}

TEST(CgroupsParseTest, FlatKeyedFilesValuesAndPids) {
  auto stat = ParseFlatKeyed("cache 4096\nrss 1048576\nbroken\nhierarchical x\n");
  EXPECT_EQ(stat.size(), 2u);
  EXPECT_EQ(stat["rss"], 1048576u);
  EXPECT_EQ(ParseFlatKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")["oom_kill"], 3u);
  EXPECT_EQ(*ParseCgroupValue("67108864\n"), 67108864u);
  EXPECT_EQ(*ParseCgroupValue("max\n"), UINT64_MAX);
  auto bad = ParseCgroupValue("lots");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("'lots'"));
  EXPECT_THAT(ParsePids("12\n\n345\nx\n"), ElementsAre(12, 345));
}

TEST_F(FakeCgroupRoot, V1LayoutNestsContainersUnderTheAgentsOwnCgroups) {
  TouchV1Hierarchies();
  Touch("unified/cgroup.controllers", "");  // cgroup2 with no controllers
  auto layout = DetectCgroups(root_, "4:memory:/jail/x\n2:cpu,cpuacct:/\n0::/\n", "agora");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->version, CgroupsVersion::kV1);
  EXPECT_THAT(ContainerCgroupDirs(*layout, "c1"),
              ElementsAre(root_ + "/cpu/agora/c1", root_ + "/cpuacct/agora/c1",
                          root_ + "/memory/jail/x/agora/c1", root_ + "/pids/agora/c1",
                          root_ + "/freezer/agora/c1"));
}

TEST_F(FakeCgroupRoot, CoMountedControllersShareOneDirectoryPerContainer) {
  // As many distributions mount them: cpu and cpuacct link to one hierarchy.
  Touch("cpu,cpuacct/cgroup.procs");
  std::filesystem::create_directory_symlink(root_ + "/cpu,cpuacct", root_ + "/cpu");
  std::filesystem::create_directory_symlink(root_ + "/cpu,cpuacct", root_ + "/cpuacct");
  for (const char* controller : {"memory", "pids", "freezer"})
    Touch(std::string(controller) + "/cgroup.procs");
  auto layout = DetectCgroups(root_, "2:cpu,cpuacct:/\n0::/\n", "agora");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->v1_bases.at("cpu"), layout->v1_bases.at("cpuacct"));
  EXPECT_THAT(ContainerCgroupDirs(*layout, "c1"),
              ElementsAre(root_ + "/cpu,cpuacct/agora/c1", root_ + "/memory/agora/c1",
                          root_ + "/pids/agora/c1", root_ + "/freezer/agora/c1"));
}

TEST_F(FakeCgroupRoot, V2IsChosenWhenItsControllersAreAvailable) {
  Touch("cgroup.controllers", "cpuset cpu io memory pids\n");
  auto layout = DetectCgroups(root_, "0::/system.slice/agora-agent.service\n", "agora");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->version, CgroupsVersion::kV2);
  EXPECT_THAT(ContainerCgroupDirs(*layout, "c1"),
              ElementsAre(root_ + "/system.slice/agora-agent.service/agora/c1"));
}

TEST_F(FakeCgroupRoot, MissingHierarchyIsNamedWithTheV2Reason) {
  Touch("unified/cgroup.controllers", "io\n");
  Touch("cpu/cgroup.procs");
  auto layout = DetectCgroups(root_, "", "agora");
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(layout.status().message()),
              HasSubstr("lacks controllers cpu,memory,pids"));
  EXPECT_THAT(std::string(layout.status().message()),
              HasSubstr("no cgroup v1 'cpuacct' hierarchy"));
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST_F(FakeCgroupRoot, V2IsolatorDelegatesControllersAndWritesWeightMaxAndNoSwap) {
  Touch("cgroup.controllers", "cpu memory pids\n");
  Touch("agent/cgroup.subtree_control");
  Touch("agent/agora/cgroup.subtree_control");
  for (const char* file : {"cpu.weight", "cpu.max", "memory.max", "memory.swap.max", "pids.max"})
    Touch(std::string("agent/agora/c1/") + file);
  IsolatorOptions options = Options("0::/agent\n");
  options.enable_cfs = true;
  options.pids_max = 100;
  auto isolator = CgroupsIsolator::Create(options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  EXPECT_EQ(Read(root_ + "/agent/cgroup.subtree_control"), "+cpu +memory +pids");
  auto dirs = (*isolator)->Prepare("c1", ContainerLimits{2, 128});
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  std::string dir = root_ + "/agent/agora/c1";
  EXPECT_THAT(*dirs, ElementsAre(dir));
  EXPECT_EQ(Read(dir + "/cpu.weight"), "79");
  EXPECT_EQ(Read(dir + "/cpu.max"), "200000 100000");
  EXPECT_EQ(Read(dir + "/memory.max"), "134217728");
  EXPECT_EQ(Read(dir + "/memory.swap.max"), "0");
  EXPECT_EQ(Read(dir + "/pids.max"), "100");
}

TEST_F(FakeCgroupRoot, V2IsolatorMovesTheAgentToALeafWhenItsCgroupRefusesControllers) {
  Touch("cgroup.controllers", "cpu memory pids\n");
  // A directory where the file should be: writes to it fail, as EBUSY would.
  std::filesystem::create_directories(root_ + "/svc/cgroup.subtree_control");
  Touch("svc/cgroup.procs", "4242\n");
  Touch("svc/agora/cgroup.subtree_control");
  Touch("svc/agent/cgroup.procs");
  IsolatorOptions options = Options("0::/svc\n");
  auto isolator = CgroupsIsolator::Create(options);
  // The processes of the agent's cgroup were moved to the leaf, then the
  // controllers asked for again (a fake root cannot grant them).
  EXPECT_EQ(Read(root_ + "/svc/agent/cgroup.procs"), "4242");
  ASSERT_FALSE(isolator.ok());
  EXPECT_THAT(std::string(isolator.status().message()), HasSubstr("svc/cgroup.subtree_control"));
}

TEST_F(FakeCgroupRoot, V1IsolatorWritesSharesMemoryWithoutSwapAndPids) {
  TouchV1Hierarchies();
  for (const char* file : {"cpu/agora/c1/cpu.shares", "memory/agora/c1/memory.limit_in_bytes",
                           "memory/agora/c1/memory.memsw.limit_in_bytes", "pids/agora/c1/pids.max"})
    Touch(file);
  IsolatorOptions options = Options("0::/\n");
  options.pids_max = 0;  // no limit: pids.max is left alone
  options.proc_swaps = "Filename Type Size Used Priority\n/dev/sda2 partition 999 0 -2\n";
  auto isolator = CgroupsIsolator::Create(options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  ASSERT_TRUE((*isolator)->Prepare("c1", ContainerLimits{0.25, 64}).ok());
  EXPECT_EQ(Read(root_ + "/cpu/agora/c1/cpu.shares"), "256");
  EXPECT_EQ(Read(root_ + "/memory/agora/c1/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(root_ + "/memory/agora/c1/memory.memsw.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(root_ + "/pids/agora/c1/pids.max"), "");
  EXPECT_THAT((*isolator)->Containers(), ElementsAre("c1"));
}

TEST_F(FakeCgroupRoot, V1IsolatorWritesOnlyWhatDiffersFromANewCgroup) {
  TouchV1Hierarchies();
  IsolatorOptions options = Options("0::/\n");
  options.pids_max = 0;
  options.proc_swaps = "Filename Type Size Used Priority\n";  // no swap device
  auto isolator = CgroupsIsolator::Create(options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  // One cpu is the kernel's default share and no mem is no limit: a fake
  // cgroup without any file is enough (a write would fail to open).
  ASSERT_TRUE((*isolator)->Prepare("c1", ContainerLimits{1, 0}).ok());
  // Without swap the memsw limit is not written, only the memory limit.
  Touch("memory/agora/c2/memory.limit_in_bytes");
  Touch("memory/agora/c2/memory.memsw.limit_in_bytes");
  Touch("cpu/agora/c2/cpu.shares");  // existing dirs: every value is written
  ASSERT_TRUE((*isolator)->Prepare("c2", ContainerLimits{1, 64}).ok());
  EXPECT_EQ(Read(root_ + "/memory/agora/c2/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(root_ + "/memory/agora/c2/memory.memsw.limit_in_bytes"), "");
}

TEST_F(FakeCgroupRoot, PrepareNamesTheFileItCannotWrite) {
  TouchV1Hierarchies();
  IsolatorOptions options = Options("0::/\n");
  auto isolator = CgroupsIsolator::Create(options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  auto dirs = (*isolator)->Prepare("c1", ContainerLimits{0.5, 64});
  ASSERT_FALSE(dirs.ok());
  EXPECT_THAT(std::string(dirs.status().message()),
              HasSubstr("cannot open " + root_ + "/cpu/agora/c1/cpu.shares"));
}

TEST_F(FakeCgroupRoot, IsolatorRefusesAMissingOrNestedSubdir) {
  TouchV1Hierarchies();
  IsolatorOptions options = Options("0::/\n");
  for (const char* subdir : {"", "a/b", ".."}) {
    options.subdir = subdir;
    auto isolator = CgroupsIsolator::Create(options);
    ASSERT_FALSE(isolator.ok()) << subdir;
    EXPECT_EQ(isolator.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(isolator.status().message()), HasSubstr("IsolatorOptions.subdir"));
  }
  // Nothing was created for them.
  EXPECT_FALSE(std::filesystem::exists(root_ + "/cpu/a"));
}

TEST(MemoryLimitationTest, MessageNamesTheLimitAndThePeak) {
  EXPECT_EQ(DescribeMemoryLimitation({64u << 20, (64u << 20) - (1u << 19), 1}),
            "Memory limit exceeded: the task used 63.5 MiB (its peak) of its 64.0 MiB limit "
            "and the kernel killed 1 process");
}

}  // namespace
}  // namespace agora::agent
