// The reaper on real processes: children exiting in any order are each
// reported once with their real wait status, a process that is not our child
// is reported when it exits, and nothing is reported after Stop().
#include "agent/reaper.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace agora::agent {
namespace {

constexpr auto kDeadline = std::chrono::seconds(20);

// What the reaper reported, from its thread.
class Reports {
 public:
  Reaper::ExitFn Fn() {
    return [this](pid_t pid, int status) {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_[pid];
      status_[pid] = status;
      cv_.notify_all();
    };
  }
  // Waits until every pid of `pids` was reported; false at the deadline.
  bool WaitFor(const std::vector<pid_t>& pids) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] {
      return std::all_of(pids.begin(), pids.end(), [&](pid_t p) { return count_.count(p); });
    });
  }
  int Count(pid_t pid) {
    std::lock_guard<std::mutex> lock(mu_);
    return count_.count(pid) ? count_[pid] : 0;
  }
  int Status(pid_t pid) {
    std::lock_guard<std::mutex> lock(mu_);
    return status_[pid];
  }
  size_t Total() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<pid_t, int> count_;
  std::map<pid_t, int> status_;
};

// A child that blocks until the write end of its pipe closes, then exits with
// `code`. Returns the pid; *release is the descriptor to close. `others` are
// earlier children's release descriptors, which the child must not hold open.
pid_t BlockedChild(int code, int* release, const std::vector<int>& others = {}) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    for (int fd : others) close(fd);
    char c;
    while (read(fds[0], &c, 1) > 0) {
    }
    _exit(code);
  }
  close(fds[0]);
  *release = fds[1];
  return pid;
}

// Starts `count` blocked children, watches them, releases them in a shuffled
// order (every fifth is killed by SIGKILL instead) and checks each report.
void ExpectChildrenReportedOnce(Reaper::Options options, int count) {
  Reports reports;
  Reaper reaper(reports.Fn(), options);
  std::vector<pid_t> pids;
  std::vector<int> releases;
  for (int i = 0; i < count; ++i) {
    int release = -1;
    pids.push_back(BlockedChild(i % 100, &release, releases));
    releases.push_back(release);
    reaper.Watch(pids.back());
  }
  std::vector<int> order(count);
  for (int i = 0; i < count; ++i) order[i] = i;
  const unsigned seed = 20261130;
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  for (int i : order) {
    if (i % 5 == 4) kill(pids[i], SIGKILL);
    close(releases[i]);
  }
  ASSERT_TRUE(reports.WaitFor(pids)) << "seed=" << seed;
  reaper.Stop();
  EXPECT_EQ(reports.Total(), pids.size());
  for (int i = 0; i < count; ++i) {
    int status = reports.Status(pids[i]);
    EXPECT_EQ(reports.Count(pids[i]), 1) << "pid=" << pids[i];
    if (i % 5 == 4) {
      ASSERT_TRUE(WIFSIGNALED(status)) << "pid=" << pids[i] << " status=" << status;
      EXPECT_EQ(WTERMSIG(status), SIGKILL);
    } else {
      ASSERT_TRUE(WIFEXITED(status)) << "pid=" << pids[i] << " status=" << status;
      EXPECT_EQ(WEXITSTATUS(status), i % 100);
    }
    // Reaped: no zombie left behind.
    EXPECT_EQ(waitpid(pids[i], nullptr, WNOHANG), -1);
  }
}

TEST(ReaperTest, ManyChildrenExitingInAnyOrderAreEachReportedOnceWithTheirStatus) {
  ExpectChildrenReportedOnce(Reaper::Options{}, 200);
}

TEST(ReaperTest, PollingFallbackReportsChildrenTheSameWay) {
  Reaper::Options options;
  options.use_pidfd = false;
  ExpectChildrenReportedOnce(options, 50);
}

TEST(ReaperTest, ChildThatExitedBeforeWatchIsReported) {
  Reports reports;
  Reaper reaper(reports.Fn());
  pid_t pid = fork();
  if (pid == 0) _exit(7);
  // A zombie now (nobody reaps it): wait until it has exited.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
  reaper.Watch(pid);
  ASSERT_TRUE(reports.WaitFor({pid}));
  EXPECT_TRUE(WIFEXITED(reports.Status(pid)));
  EXPECT_EQ(WEXITSTATUS(reports.Status(pid)), 7);
}

// A grandchild (reparented away from us when its parent exits) is not our
// child: it is reported with status 0 when it exits, and a pid that no
// longer exists is reported at once.
void ExpectNonChildReported(Reaper::Options options) {
  Reports reports;
  Reaper reaper(reports.Fn(), options);
  int pid_pipe[2];
  int release[2];
  ASSERT_EQ(pipe(pid_pipe), 0);
  ASSERT_EQ(pipe(release), 0);
  pid_t child = fork();
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) {
      close(release[1]);
      char c;
      while (read(release[0], &c, 1) > 0) {
      }
      _exit(3);
    }
    ssize_t n = write(pid_pipe[1], &grandchild, sizeof(grandchild));
    _exit(n == sizeof(grandchild) ? 0 : 1);
  }
  close(pid_pipe[1]);
  close(release[0]);
  pid_t grandchild = 0;
  ASSERT_EQ(read(pid_pipe[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  close(pid_pipe[0]);
  int child_status = 0;
  ASSERT_EQ(waitpid(child, &child_status, 0), child);
  reaper.Watch(grandchild);
  EXPECT_EQ(reports.Count(grandchild), 0);  // Still running.
  close(release[1]);
  ASSERT_TRUE(reports.WaitFor({grandchild}));
  EXPECT_EQ(reports.Status(grandchild), 0);

  // The (reaped) intermediate child no longer exists at all.
  reaper.Watch(child);
  ASSERT_TRUE(reports.WaitFor({child}));
  EXPECT_EQ(reports.Status(child), 0);
  reaper.Stop();
  EXPECT_EQ(reports.Count(grandchild), 1);
  EXPECT_EQ(reports.Count(child), 1);
}

TEST(ReaperTest, ProcessThatIsNotOurChildIsReportedWhenItExits) {
  ExpectNonChildReported(Reaper::Options{});
}

TEST(ReaperTest, PollingFallbackReportsProcessThatIsNotOurChild) {
  Reaper::Options options;
  options.use_pidfd = false;
  ExpectNonChildReported(options);
}

TEST(ReaperTest, PidWatchedTwiceIsReportedOnce) {
  Reports reports;
  Reaper reaper(reports.Fn());
  int release = -1;
  pid_t pid = BlockedChild(4, &release);
  reaper.Watch(pid);
  reaper.Watch(pid);
  close(release);
  ASSERT_TRUE(reports.WaitFor({pid}));
  // A later child reported means the reaper went past both watches.
  int release_later = -1;
  pid_t later = BlockedChild(5, &release_later);
  reaper.Watch(later);
  close(release_later);
  ASSERT_TRUE(reports.WaitFor({later}));
  reaper.Stop();
  EXPECT_EQ(reports.Count(pid), 1);
  EXPECT_EQ(WEXITSTATUS(reports.Status(pid)), 4);
}

TEST(ReaperTest, StopWhileWatchingReportsNothingAfterwards) {
  Reports reports;
  auto reaper = std::make_unique<Reaper>(reports.Fn());
  int release = -1;
  pid_t pid = BlockedChild(0, &release);
  reaper->Watch(pid);
  reaper->Stop();
  reaper->Stop();      // Idempotent.
  reaper->Watch(pid);  // Ignored after Stop.
  close(release);
  int status = 0;
  // The reaper forgot the pid: it is still ours to reap.
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  reaper.reset();
  EXPECT_EQ(reports.Total(), 0u);
}

}  // namespace
}  // namespace agora::agent
