// LowerThisProcessPriority lowers every thread of the process, those
// created later inherit it, and a niceness outside 0..19 is refused.
#include "sim/fleet_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace agora::sim {
namespace {

int NicenessOf(pid_t tid) { return ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid)); }
pid_t ThisThread() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

TEST(FleetPriorityTest, LowersEveryThreadAndThoseCreatedLater) {
  // A thread that exists before the call, parked until the test is done.
  std::mutex mu;
  std::condition_variable cv;
  pid_t before_tid = 0;
  bool done = false;
  std::thread before([&] {
    std::unique_lock<std::mutex> lock(mu);
    before_tid = ThisThread();
    cv.notify_all();
    cv.wait(lock, [&] { return done; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return before_tid != 0; });
  }
  const int start = NicenessOf(ThisThread());
  const int target = start < 7 ? 7 : start;  // Raising needs no privilege.

  ASSERT_TRUE(LowerThisProcessPriority(target).ok());

  EXPECT_EQ(NicenessOf(ThisThread()), target);
  EXPECT_EQ(NicenessOf(before_tid), target);
  int later = -100;
  std::thread after([&] { later = NicenessOf(ThisThread()); });
  after.join();
  EXPECT_EQ(later, target);
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  before.join();
}

TEST(FleetPriorityTest, RefusesNicenessOutsideTheLowerRange) {
  for (int nice : {-1, 20}) {
    absl::Status status = LowerThisProcessPriority(nice);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << nice;
    EXPECT_NE(status.message().find("must be 0..19"), std::string::npos) << status;
  }
}

}  // namespace
}  // namespace agora::sim
