// CgroupOwners on plain directories shaped like an agent's cgroup
// directories: a dead owner's are removed, a live owner's and an unowned
// one's never; and the pure helpers of executor containers.
#include "agent/cgroup_owners.hpp"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "agent/executor_container.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class CgroupOwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-cgroup-owners-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    owners_ = dir_ + "/owners";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The directories of agent `name` in two "hierarchies".
  std::vector<std::string> MakeDirs(const std::string& name) {
    std::vector<std::string> dirs;
    for (const char* hierarchy : {"memory", "pids"}) {
      std::string dir = dir_ + "/" + hierarchy + "/" + name;
      fs::create_directories(dir);
      dirs.push_back(dir);
    }
    return dirs;
  }

  // An agent that recorded `dirs` and died (its lock released).
  void DeadOwner(const std::string& name, const std::string& work_dir,
                 const std::vector<std::string>& dirs) {
    auto claimed = CgroupOwnership::Claim(owners_, name, work_dir);
    ASSERT_TRUE(claimed.ok()) << claimed.status();
    ASSERT_TRUE((*claimed)->Record(dirs).ok());
  }

  std::string dir_;
  std::string owners_;
};

TEST_F(CgroupOwnersTest, DeadOwnersEmptyDirectoriesGoLiveAndUnownedOnesStay) {
  std::vector<std::string> dead = MakeDirs("agora-dead");
  DeadOwner("agora-dead", "/work/dead", dead);
  std::vector<std::string> live_dirs = MakeDirs("agora-live");
  auto live = CgroupOwnership::Claim(owners_, "agora-live", "/work/live");
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_TRUE((*live)->Record(live_dirs).ok());
  std::vector<std::string> unowned = MakeDirs("agora-unowned");

  CgroupSweep sweep = SweepDeadCgroupOwners(owners_, "agora-me");
  EXPECT_EQ(sweep.removed, dead);
  EXPECT_TRUE(sweep.kept.empty());
  EXPECT_EQ(sweep.live_owners, 1);
  for (const std::string& dir : dead) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_FALSE(fs::exists(owners_ + "/agora-dead.owner"));
  for (const std::string& dir : live_dirs) EXPECT_TRUE(fs::exists(dir)) << dir;
  for (const std::string& dir : unowned) EXPECT_TRUE(fs::exists(dir)) << dir;

  // A clean stop of the live one (its directories removed) drops its file.
  for (const std::string& dir : live_dirs) fs::remove(dir);
  live->reset();
  EXPECT_FALSE(fs::exists(owners_ + "/agora-live.owner"));
}

TEST_F(CgroupOwnersTest, ADeadOwnersContainersAreKeptUnlessAskedAndOnlyItsWorkDirIsSwept) {
  std::vector<std::string> dead = MakeDirs("agora-dead");
  fs::create_directories(dead[0] + "/container-1");
  fs::create_directories(dead[0] + "/pool-7");  // a ready pool entry: no container's state
  DeadOwner("agora-dead", "/work/dead", dead);
  std::vector<std::string> other = MakeDirs("agora-other");
  DeadOwner("agora-other", "/work/other", other);

  // An agent's own sweep keeps a directory that holds a container.
  CgroupSweep sweep = SweepDeadCgroupOwners(owners_, "agora-me", "/work/dead");
  ASSERT_EQ(sweep.kept.size(), 1u);
  EXPECT_THAT(sweep.kept[0], HasSubstr(dead[0]));
  EXPECT_THAT(sweep.kept[0], HasSubstr("/work/dead"));
  EXPECT_TRUE(fs::exists(dead[0] + "/container-1"));
  EXPECT_FALSE(fs::exists(dead[0] + "/pool-7"));
  EXPECT_TRUE(fs::exists(owners_ + "/agora-dead.owner"));
  // Only the work dir asked for.
  for (const std::string& dir : other) EXPECT_TRUE(fs::exists(dir)) << dir;

  // A harness that killed everything removes the empty containers too.
  sweep = SweepDeadCgroupOwners(owners_, "", "/work/dead", /*remove_empty_containers=*/true);
  EXPECT_TRUE(sweep.kept.empty());
  for (const std::string& dir : dead) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_FALSE(fs::exists(owners_ + "/agora-dead.owner"));
  EXPECT_TRUE(fs::exists(owners_ + "/agora-other.owner"));
}

TEST(ExecutorContainerLimitsTest, LimitsAreTheExecutorsPlusItsTasks) {
  auto resource = [](const char* name, double value) {
    v1::Resource r;
    r.set_name(name);
    r.set_type(v1::Resource::SCALAR);
    r.set_scalar(value);
    return r;
  };
  google::protobuf::RepeatedPtrField<v1::Resource> executor, first, second;
  *executor.Add() = resource("cpus", 0.1);
  *executor.Add() = resource("mem", 32);
  *first.Add() = resource("cpus", 0.2);
  *first.Add() = resource("mem", 64);
  *second.Add() = resource("mem", 128);
  ContainerLimits limits = ExecutorContainerLimits(executor, {&first, &second});
  EXPECT_DOUBLE_EQ(limits.cpus, 0.3);
  EXPECT_DOUBLE_EQ(limits.mem_mib, 224);
  limits = ExecutorContainerLimits(executor, {});
  EXPECT_DOUBLE_EQ(limits.mem_mib, 32);
}

TEST(ExecutorContainerLimitsTest, ShellCommandAndWaitStatus) {
  EXPECT_EQ(ExecutorShellCommand("/bin/my exec", {"argv0", "a b", "it's"}),
            "exec '/bin/my exec' 'a b' 'it'\\''s'");
  EXPECT_EQ(ExecutorShellCommand("prog", {}), "exec 'prog'");
  shim::ShimStatusRead read;
  read.outcome = shim::ShimStatusRead::kOk;
  read.status.state = shim::ShimState::kExited;
  read.status.code = 3;
  ASSERT_TRUE(ExecutorWaitStatus(read).has_value());
  EXPECT_TRUE(WIFEXITED(*ExecutorWaitStatus(read)));
  EXPECT_EQ(WEXITSTATUS(*ExecutorWaitStatus(read)), 3);
  read.status.state = shim::ShimState::kSignaled;
  read.status.code = 9;
  EXPECT_TRUE(WIFSIGNALED(*ExecutorWaitStatus(read)));
  EXPECT_EQ(WTERMSIG(*ExecutorWaitStatus(read)), 9);
  read.status.state = shim::ShimState::kError;
  EXPECT_FALSE(ExecutorWaitStatus(read).has_value());
  read.outcome = shim::ShimStatusRead::kMissing;
  EXPECT_FALSE(ExecutorWaitStatus(read).has_value());
}

}  // namespace
}  // namespace agora::agent
