// Raising the open file limit, on this process's real limits.
#include "common/fd_limit.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(FdLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max <= 512)
    GTEST_SKIP() << "hard limit too low";
  rlimit lowered = limit;
  lowered.rlim_cur = 512;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);

  FdLimit result = RaiseFdLimit();
  EXPECT_TRUE(result.raise_status.ok()) << result.raise_status;
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(result.soft, now.rlim_cur);
  EXPECT_EQ(result.hard, limit.rlim_max);
  if (limit.rlim_max != RLIM_INFINITY) EXPECT_EQ(now.rlim_cur, limit.rlim_max);
  EXPECT_GT(now.rlim_cur, 512u);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);  // As it was.
}

TEST(FdLimitTest, ALowHardLimitIsReachedAndReported) {
  // Lowering the hard limit cannot be undone: do it in a child.
  pid_t pid = fork();
  if (pid == 0) {
    rlimit low{256, 1024};
    if (setrlimit(RLIMIT_NOFILE, &low) != 0) _exit(10);
    FdLimit result = RaiseFdLimit();
    if (!result.raise_status.ok()) _exit(11);
    if (result.soft != 1024 || result.hard != 1024) _exit(12);
    rlimit now{};
    getrlimit(RLIMIT_NOFILE, &now);
    _exit(now.rlim_cur == 1024 && result.soft < kMinRecommendedFdLimit ? 0 : 13);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace agora
