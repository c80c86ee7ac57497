#include "common/work_dir_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace agora {
namespace {

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "/lockXXXXXX";
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return std::filesystem::canonical(pattern).string();
}

TEST(WorkDirLockTest, SecondHolderIsRefusedWithThePidOfTheFirst) {
  const std::string dir = TempDir();
  auto first = WorkDirLock::Acquire(dir, "agent.lock", "agent");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = WorkDirLock::Acquire(dir, "agent.lock", "agent");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another agent"), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find(std::to_string(::getpid())), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find(dir + "/agent.lock"), std::string::npos);
}

TEST(WorkDirLockTest, ReleasedWhenTheHolderGoesAway) {
  const std::string dir = TempDir();
  {
    auto first = WorkDirLock::Acquire(dir, "master.lock", "master");
    ASSERT_TRUE(first.ok());
  }
  auto again = WorkDirLock::Acquire(dir, "master.lock", "master");
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(WorkDirLockTest, LockDescriptorIsCloseOnExec) {
  const std::string dir = TempDir();
  auto lock = WorkDirLock::Acquire(dir, "agent.lock", "agent");
  ASSERT_TRUE(lock.ok());
  int open_cloexec = 0, open_total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string() != dir + "/agent.lock") continue;
    ++open_total;
    int fd = std::stoi(entry.path().filename().string());
    if (::fcntl(fd, F_GETFD) & FD_CLOEXEC) ++open_cloexec;
  }
  EXPECT_EQ(open_total, 1);
  EXPECT_EQ(open_cloexec, 1);
}

TEST(WorkDirLockTest, MissingDirectoryIsAClearError) {
  auto lock = WorkDirLock::Acquire("/nonexistent/agora-dir", "agent.lock", "agent");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.status().message().find("/nonexistent/agora-dir/agent.lock"), std::string::npos);
}

}  // namespace
}  // namespace agora
