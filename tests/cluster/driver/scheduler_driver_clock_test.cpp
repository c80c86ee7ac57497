// The scheduler driver on a ManualEventLoop (SchedulerDriverOptions::loop):
// its liveness check and re-subscription backoff run on a clock the test
// moves, while the fake master still answers over real gRPC.
#include <thread>

#include "agora/scheduler.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "recording_scheduler.hpp"
#include "tests/support/manual_event_loop.hpp"

namespace agora {
namespace {

using testing::FakeMaster;
using testing::ManualEventLoop;
using testing::RecordingScheduler;

v1::FrameworkInfo Framework() {
  v1::FrameworkInfo info;
  info.set_name("clock-framework");
  return info;
}

TEST(SchedulerDriverClockTest, MissedHeartbeatsAndResubscribeBackoffFollowTheManualClock) {
  FakeMaster master;
  master.set_heartbeat_interval(1);  // Three missed: dead after 3 s.
  ManualEventLoop loop;
  RecordingScheduler scheduler;
  SchedulerDriverOptions options;
  options.loop = &loop;
  options.initial_backoff_seconds = 10;  // First re-subscription in [5 s, 10 s].
  options.max_backoff_seconds = 10;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), options);
  ASSERT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  ASSERT_TRUE(loop.RunUntil([&] { return scheduler.Count("registered") == 1; }));

  // Silent for just under three heartbeat intervals: still connected.
  loop.AdvanceTime(absl::Milliseconds(2999));
  EXPECT_EQ(scheduler.Count("disconnected"), 0);
  EXPECT_TRUE(driver.connected());
  // The third missed heartbeat: the driver gives up on the stream.
  loop.AdvanceTime(absl::Milliseconds(1));
  ASSERT_TRUE(loop.RunUntil([&] { return scheduler.Count("disconnected") == 1; }));
  EXPECT_FALSE(driver.connected());

  // The re-subscription waits at least half the backoff...
  loop.AdvanceTime(absl::Milliseconds(4999));
  EXPECT_EQ(loop.pending_timers(), 1u);  // Only the re-subscription timer.
  EXPECT_EQ(master.subscribes().size(), 1u);
  // ...and happens by the full backoff.
  loop.AdvanceTime(absl::Milliseconds(5001));
  ASSERT_TRUE(loop.RunUntil([&] { return scheduler.Count("reregistered") == 1; }));
  ASSERT_EQ(master.subscribes().size(), 2u);
  EXPECT_EQ(master.subscribes()[1].framework_info().id().value(), "fw-1");

  driver.abort();
  ASSERT_TRUE(loop.RunUntil([&] { return loop.pending_timers() == 0; }));
}

}  // namespace
}  // namespace agora
