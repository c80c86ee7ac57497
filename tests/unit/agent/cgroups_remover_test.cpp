// CgroupsRemover on a temp dir shaped like /sys/fs/cgroup (v1): empty
// container directories stand in for cgroups (rmdir removes both).
#include "agent/cgroups_remover.hpp"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

const char* const kControllers[] = {"cpu", "cpuacct", "memory", "pids", "freezer"};

class CgroupsRemoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-cgroups-remover-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    for (const char* controller : kControllers) {
      std::filesystem::create_directories(root_ + "/" + controller);
      std::ofstream(root_ + "/" + controller + "/cgroup.procs");
    }
    IsolatorOptions options;
    options.mount_root = root_;
    options.proc_self_cgroup = "0::/\n";
    options.subdir = "agora-test";
    auto isolator = CgroupsIsolator::Create(options);
    ASSERT_TRUE(isolator.ok()) << isolator.status();
    isolator_ = std::move(*isolator);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A container's (empty) directory in every hierarchy.
  void MakeContainer(const std::string& id) {
    for (const char* controller : kControllers)
      std::filesystem::create_directories(Dir(controller, id));
  }
  std::string Dir(const std::string& controller, const std::string& id) const {
    return root_ + "/" + controller + "/agora-test/" + id;
  }
  bool AnyLeft(const std::string& id) const {
    for (const char* controller : kControllers)
      if (std::filesystem::exists(Dir(controller, id))) return true;
    return false;
  }
  // Waits for `done` (polling; the remover runs on its own thread).
  template <typename Done>
  static bool Eventually(Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  }

  std::string root_;
  std::unique_ptr<CgroupsIsolator> isolator_;
};

TEST_F(CgroupsRemoverTest, RemovesEveryQueuedContainerInEveryHierarchy) {
  CgroupsRemover remover(isolator_.get(), absl::Milliseconds(10));
  for (const char* id : {"c1", "c2", "c3"}) MakeContainer(id);
  for (const char* id : {"c1", "c2", "c3"}) EXPECT_TRUE(remover.Remove(id));
  ASSERT_TRUE(Eventually([&] { return remover.removed() == 3; }));
  EXPECT_EQ(remover.pending(), 0u);
  for (const char* id : {"c1", "c2", "c3"}) EXPECT_FALSE(AnyLeft(id)) << id;
  EXPECT_THAT(isolator_->Containers(), ::testing::IsEmpty());
}

TEST_F(CgroupsRemoverTest, AContainerThatCannotBeRemovedIsDroppedNotRetriedForever) {
  CgroupsRemover remover(isolator_.get(), absl::Milliseconds(1));
  MakeContainer("stuck");
  // Not empty: rmdir fails with ENOTEMPTY, which no retry cures.
  std::ofstream(Dir("memory", "stuck") + "/leftover") << "x";
  MakeContainer("fine");
  remover.Remove("stuck");
  remover.Remove("fine");
  ASSERT_TRUE(Eventually([&] { return remover.pending() == 0; }));
  EXPECT_EQ(remover.removed(), 1u);
  EXPECT_FALSE(AnyLeft("fine"));
  EXPECT_TRUE(std::filesystem::exists(Dir("memory", "stuck")));
  // The other hierarchies were still cleaned.
  EXPECT_FALSE(std::filesystem::exists(Dir("cpu", "stuck")));
}

TEST_F(CgroupsRemoverTest, FillsThePoolAtStartAndRefillsItToHalfWhenLaunchesDrainIt) {
  IsolatorOptions options;
  options.mount_root = root_;
  options.proc_self_cgroup = "0::/\n";
  options.subdir = "agora-pool";
  options.pids_max = 0;  // A fake cgroup has no pids.max to write.
  options.pool_size = 4;
  auto isolator = CgroupsIsolator::Create(options);
  ASSERT_TRUE(isolator.ok()) << isolator.status();
  CgroupsPool* pool = (*isolator)->pool();
  ASSERT_NE(pool, nullptr);
  CgroupsRemover remover(isolator->get(), absl::Hours(1));  // No batch would end by itself.
  ASSERT_TRUE(Eventually([&] { return pool->ready() == 4; }));
  // Three launches leave one ready entry: at or below half, the thread
  // makes new ones up to half at once (ended containers fill the rest).
  for (const char* id : {"c1", "c2", "c3"})
    ASSERT_TRUE((*isolator)->Prepare(id, ContainerLimits{1, 0}).ok());
  EXPECT_TRUE(Eventually([&] { return pool->ready() == 2; })) << pool->ready();
  EXPECT_EQ(pool->missed(), 0u);
  remover.Stop();
  (*isolator)->RemoveEmpty();
}

TEST_F(CgroupsRemoverTest, RemovalsPendingAtStopAreLeftForTheNextSweep) {
  auto remover = std::make_unique<CgroupsRemover>(isolator_.get(), absl::Hours(1));
  MakeContainer("ended");
  EXPECT_TRUE(remover->Remove("ended"));
  remover->Stop();  // As a stopping (or crashing) agent: nothing waits on the kernel.
  EXPECT_FALSE(remover->Remove("later"));
  EXPECT_TRUE(AnyLeft("ended"));
  remover.reset();
  // The next start's sweep: every empty container cgroup of this agent.
  isolator_->RemoveEmpty();
  EXPECT_FALSE(AnyLeft("ended"));
}

}  // namespace
}  // namespace agora::agent
