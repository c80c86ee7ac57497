// CgroupsPool's bookkeeping, and the isolator's pool on a fake
// /sys/fs/cgroup (v1, plain directories: rename and rmdir behave as on
// cgroups; the kernel's files do not exist, so nothing is written). The
// real-cgroup behaviour (limits and usage of a recycled cgroup, the sweep of
// a killed agent's entries) is in tests/cluster/agent/cgroups_pool_test.cpp.
#include "agent/cgroups_pool.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "agent/isolator.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CgroupsPoolTest, EntryNamesArePoolAndDigitsOnly) {
  EXPECT_TRUE(CgroupsPool::IsEntryName("pool-0"));
  EXPECT_TRUE(CgroupsPool::IsEntryName("pool-123"));
  EXPECT_FALSE(CgroupsPool::IsEntryName("pool-"));
  EXPECT_FALSE(CgroupsPool::IsEntryName("pool-1a"));
  EXPECT_FALSE(CgroupsPool::IsEntryName("3f9a0c"));
  EXPECT_FALSE(CgroupsPool::IsEntryName("xpool-1"));
}

TEST(CgroupsPoolTest, TakesTheLatestEntryAndWakesTheRefillerAtHalf) {
  CgroupsPool pool(4);
  int wakes = 0;
  pool.SetWaker([&] { wakes++; });
  for (int i = 0; i < 4; ++i) pool.Put(pool.NewName());
  EXPECT_FALSE(pool.HasRoom());
  EXPECT_EQ(pool.Take(), "pool-3");
  EXPECT_EQ(wakes, 0);  // 3 left
  EXPECT_EQ(pool.Take(), "pool-2");
  EXPECT_EQ(wakes, 1);  // 2 left: half
  pool.Put(pool.NewName());
  EXPECT_EQ(pool.Take(), "pool-4");
  EXPECT_EQ(pool.taken(), 3u);
  EXPECT_THAT(pool.TakeAll(), ElementsAre("pool-0", "pool-1"));
  EXPECT_FALSE(pool.Take().has_value());
  pool.SetWaker({});
  EXPECT_FALSE(pool.Take().has_value());
  EXPECT_EQ(wakes, 3);  // the empty Take before SetWaker({}) woke; the one after not
}

class FakePoolRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-cgroups-pool-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    for (const char* controller : kControllers) {
      std::filesystem::create_directories(root_ + "/" + controller);
      std::ofstream(root_ + "/" + controller + "/cgroup.procs");
    }
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<CgroupsIsolator> MakeIsolator(size_t pool_size) {
    IsolatorOptions options;
    options.mount_root = root_;
    options.proc_self_cgroup = "0::/\n";
    options.subdir = "agora";
    options.pids_max = 0;  // A fake cgroup has no pids.max to write.
    options.pool_size = pool_size;
    auto isolator = CgroupsIsolator::Create(options);
    EXPECT_TRUE(isolator.ok()) << isolator.status();
    return isolator.ok() ? std::move(*isolator) : nullptr;
  }
  bool InEveryHierarchy(const std::string& name) const {
    for (const char* controller : kControllers) {
      if (!std::filesystem::exists(root_ + "/" + controller + "/agora/" + name)) return false;
    }
    return true;
  }
  bool InAnyHierarchy(const std::string& name) const {
    for (const char* controller : kControllers) {
      if (std::filesystem::exists(root_ + "/" + controller + "/agora/" + name)) return true;
    }
    return false;
  }

  static constexpr const char* kControllers[] = {"cpu", "cpuacct", "memory", "pids", "freezer"};
  std::string root_;
};

TEST_F(FakePoolRoot, PrepareRenamesAReadyEntryToTheContainer) {
  auto isolator = MakeIsolator(2);
  ASSERT_NE(isolator, nullptr);
  ASSERT_NE(isolator->pool(), nullptr);
  EXPECT_TRUE(isolator->FillPool());
  EXPECT_TRUE(isolator->FillPool());
  EXPECT_FALSE(isolator->FillPool());  // full
  EXPECT_TRUE(InEveryHierarchy("pool-1"));
  EXPECT_THAT(isolator->Containers(), IsEmpty());  // entries are not containers

  auto dirs = isolator->Prepare("c1", ContainerLimits{1, 0});
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(dirs->front(), root_ + "/cpu/agora/c1");
  EXPECT_TRUE(InEveryHierarchy("c1"));
  EXPECT_FALSE(InAnyHierarchy("pool-1"));
  EXPECT_EQ(isolator->pool()->ready(), 1u);
  EXPECT_THAT(isolator->Containers(), ElementsAre("c1"));
}

TEST_F(FakePoolRoot, AnEmptyPoolFallsBackToNewDirectories) {
  auto isolator = MakeIsolator(1);
  ASSERT_NE(isolator, nullptr);
  auto dirs = isolator->Prepare("c1", ContainerLimits{1, 0});
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_TRUE(InEveryHierarchy("c1"));
}

TEST_F(FakePoolRoot, StaleEntriesAreSweptAtCreateAndEveryEntryByEmptyPool) {
  {
    auto killed = MakeIsolator(3);  // As an agent killed with a full pool.
    ASSERT_NE(killed, nullptr);
    while (killed->FillPool()) {
    }
  }
  EXPECT_TRUE(InEveryHierarchy("pool-2"));
  std::filesystem::create_directories(root_ + "/memory/agora/running-container");
  auto isolator = MakeIsolator(3);
  ASSERT_NE(isolator, nullptr);
  for (const char* name : {"pool-0", "pool-1", "pool-2"}) EXPECT_FALSE(InAnyHierarchy(name));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/memory/agora/running-container"));

  EXPECT_TRUE(isolator->FillPool());
  isolator->EmptyPool();
  EXPECT_FALSE(InAnyHierarchy("pool-0"));
  EXPECT_EQ(isolator->pool()->ready(), 0u);
}

TEST_F(FakePoolRoot, AContainerThatCannotBeResetIsRemovedNotRecycled) {
  auto isolator = MakeIsolator(2);
  ASSERT_NE(isolator, nullptr);
  ASSERT_TRUE(isolator->Prepare("c1", ContainerLimits{1, 0}).ok());
  // A fake cgroup has no pids.current: the reset cannot tell it is empty.
  EXPECT_TRUE(isolator->Release("c1").ok());
  EXPECT_FALSE(InAnyHierarchy("c1"));
  EXPECT_EQ(isolator->pool()->recycled(), 0u);
}

}  // namespace
}  // namespace agora::agent
