#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"
#include "tests/support/manual_event_loop.hpp"

namespace agora {
namespace {

using testing::ManualEventLoop;

// Blocks until Notify() or a generous deadline; tests wait on conditions,
// never on fixed sleeps.
class Latch {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    cv_.notify_all();
  }
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return done_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

TEST(ManualEventLoopTest, RunsPostedWorkOnlyWhenAsked) {
  ManualEventLoop loop;
  std::vector<int> order;
  loop.Post([&] { order.push_back(1); });
  loop.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(loop.RunUntilIdle(), 2u);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(ManualEventLoopTest, FiresTimersAtTheirDeadlinesInOrder) {
  ManualEventLoop loop;
  absl::Time start = loop.Now();
  std::vector<std::pair<int, absl::Duration>> fired;
  loop.RunAfter(absl::Seconds(5), [&] { fired.emplace_back(5, loop.Now() - start); });
  loop.RunAfter(absl::Seconds(1), [&] { fired.emplace_back(1, loop.Now() - start); });
  loop.RunAfter(absl::Seconds(3), [&] { fired.emplace_back(3, loop.Now() - start); });

  loop.AdvanceTime(absl::Seconds(2));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 1);
  EXPECT_EQ(fired[0].second, absl::Seconds(1));

  loop.AdvanceTime(absl::Seconds(10));
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[1], std::make_pair(3, absl::Seconds(3)));
  EXPECT_EQ(fired[2], std::make_pair(5, absl::Seconds(5)));
  EXPECT_EQ(loop.Now() - start, absl::Seconds(12));
}

TEST(ManualEventLoopTest, CancelledTimerNeverFires) {
  ManualEventLoop loop;
  bool fired = false;
  TimerId id = loop.RunAfter(absl::Seconds(1), [&] { fired = true; });
  loop.Cancel(id);
  loop.Cancel(id);  // A second cancel is harmless.
  loop.AdvanceTime(absl::Seconds(5));
  EXPECT_FALSE(fired);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(ManualEventLoopTest, TimerScheduledByTimerFiresWithinSameAdvance) {
  ManualEventLoop loop;
  absl::Time start = loop.Now();
  absl::Duration second_fired_at;
  loop.RunAfter(absl::Seconds(1), [&] {
    loop.RunAfter(absl::Seconds(1), [&] { second_fired_at = loop.Now() - start; });
  });
  loop.AdvanceTime(absl::Seconds(3));
  EXPECT_EQ(second_fired_at, absl::Seconds(2));
}

TEST(AsioEventLoopTest, RunsPostsInOrderOnItsOwnThread) {
  AsioEventLoop loop("test-loop");
  loop.Start();
  std::vector<int> order;
  std::atomic<bool> on_loop{true};
  Latch done;
  for (int i = 0; i < 100; ++i) {
    loop.Post([&, i] {
      if (!loop.IsInLoopThread()) on_loop = false;
      order.push_back(i);
      if (i == 99) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitFor(absl::Seconds(10)));
  loop.Stop();
  EXPECT_TRUE(on_loop);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(loop.IsInLoopThread());
}

TEST(AsioEventLoopTest, TimerFiresAfterItsDelayAndCancelledOneDoesNot) {
  AsioEventLoop loop("timer-loop");
  loop.Start();
  Latch fired;
  std::atomic<bool> cancelled_fired{false};
  absl::Time scheduled;
  absl::Time ran;
  loop.Post([&] {
    scheduled = loop.Now();
    TimerId doomed = loop.RunAfter(absl::Milliseconds(10), [&] { cancelled_fired = true; });
    loop.RunAfter(absl::Milliseconds(30), [&] {
      ran = loop.Now();
      fired.Notify();
    });
    loop.Cancel(doomed);
  });
  ASSERT_TRUE(fired.WaitFor(absl::Seconds(10)));
  loop.Stop();
  EXPECT_GE(ran - scheduled, absl::Milliseconds(29));
  EXPECT_FALSE(cancelled_fired);
}

// A busy loop lets a timer's deadline pass before it can run: asio then
// queues the handler, and cancelling the asio timer no longer stops it.
// Cancel() must still win (an agent that cancels its backoff timer to
// connect at once would otherwise connect twice). Each round lets the
// deadline pass, then cancels from a closure queued behind the reactor's
// next poll, where the handler may already wait.
TEST(AsioEventLoopTest, TimerCancelledAfterItsDeadlinePassedNeverRuns) {
  AsioEventLoop loop("late-cancel");
  loop.Start();
  constexpr int kRounds = 300;
  std::atomic<int> ran_after_cancel{0};
  Latch done;
  std::function<void(int)> round = [&](int i) {
    if (i == kRounds) {
      done.Notify();
      return;
    }
    auto cancelled = std::make_shared<bool>(false);
    TimerId timer = loop.RunAfter(absl::ZeroDuration(), [&, cancelled] {
      if (*cancelled) ++ran_after_cancel;
    });
    const absl::Time until = absl::Now() + absl::Microseconds(100);
    while (absl::Now() < until) {
    }
    loop.Post([&, timer, cancelled, i] {
      loop.Cancel(timer);
      *cancelled = true;
      loop.Post([&, i] { round(i + 1); });
    });
  };
  loop.Post([&] { round(0); });
  ASSERT_TRUE(done.WaitFor(absl::Seconds(30)));
  loop.Stop();
  EXPECT_EQ(ran_after_cancel, 0);
}

TEST(AsioEventLoopTest, PostAfterStopIsDroppedSafely) {
  AsioEventLoop loop("stopped-loop");
  loop.Start();
  loop.Stop();
  bool ran = false;
  loop.Post([&] { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(AsioEventLoopTest, StatsCountPostedClosuresNotYetRun) {
  AsioEventLoop loop("stats-loop");
  loop.Start();
  Latch started, release, drained;
  loop.Post([&] {
    started.Notify();
    release.WaitFor(absl::Seconds(30));
  });
  ASSERT_TRUE(started.WaitFor(absl::Seconds(10)));
  const uint64_t posted_before = loop.stats().posted_total;
  for (int i = 0; i < 3; ++i) loop.Post([] {});
  EXPECT_EQ(loop.stats().queue_depth, 3);
  EXPECT_EQ(loop.stats().posted_total, posted_before + 3);
  release.Notify();
  loop.Post([&] { drained.Notify(); });
  ASSERT_TRUE(drained.WaitFor(absl::Seconds(10)));
  EXPECT_EQ(loop.stats().queue_depth, 0);
  loop.Stop();
}

// Work that keeps the queue non-empty delays the lag probe behind it.
TEST(AsioEventLoopTest, LagProbeMeasuresTheWaitBehindQueuedWork) {
  AsioEventLoop loop("lag-loop", absl::Milliseconds(5));
  loop.Start();
  Latch done;
  const absl::Time end = absl::Now() + absl::Milliseconds(300);
  // Each step simulates 5 ms of work and queues the next before returning,
  // so a probe posted meanwhile always waits behind one step.
  std::function<void()> step = [&] {
    if (absl::Now() >= end) {
      done.Notify();
      return;
    }
    loop.Post(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  loop.Post(step);
  ASSERT_TRUE(done.WaitFor(absl::Seconds(30)));
  loop.Stop();
  Histogram lag = loop.stats().lag_seconds;
  ASSERT_GT(lag.count(), 0u);
  // Bucket 4 is le=0.0025: some probe waited longer than 2.5 ms.
  ASSERT_EQ(lag.bounds()[4], 0.0025);
  EXPECT_LT(lag.CumulativeCount(4), lag.count());
}

// The honest outcome of the bulk lane: a Post made while a large bulk
// backlog waits runs before the backlog is done, and the backlog still runs
// whole and in order. No timing assumption: 10,000 closures of >= 5 us are
// >= 50 ms of bulk work, 100x one slice; preemption only ends a slice early.
TEST(AsioEventLoopTest, APostPassesQueuedBulkWorkAfterOneSlice) {
  constexpr int kBacklog = 10000;
  AsioEventLoop loop("bulk-loop");
  loop.Start();
  Latch started, release, probed, drained;
  loop.Post([&] {
    started.Notify();
    release.WaitFor(absl::Seconds(30));
  });
  ASSERT_TRUE(started.WaitFor(absl::Seconds(10)));
  std::vector<int> order;  // Loop-owned.
  for (int i = 0; i < kBacklog; ++i) {
    loop.PostBulk([&order, i] {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
      while (std::chrono::steady_clock::now() < until) {
      }
      order.push_back(i);
    });
  }
  size_t handled_when_probed = 0;
  loop.Post([&] {
    handled_when_probed = order.size();
    probed.Notify();
  });
  EXPECT_EQ(loop.stats().bulk_depth, kBacklog);
  EXPECT_GE(loop.stats().queue_depth, kBacklog + 1);
  release.Notify();
  loop.PostBulk([&] { drained.Notify(); });
  ASSERT_TRUE(probed.WaitFor(absl::Seconds(30)));
  ASSERT_TRUE(drained.WaitFor(absl::Seconds(60)));
  loop.Stop();
  EXPECT_GT(handled_when_probed, 0u) << "the bulk lane ran its slice first (it was queued first)";
  EXPECT_LT(handled_when_probed, static_cast<size_t>(kBacklog) / 10)
      << "the probe waited for about one 0.5 ms slice, not the backlog";
  ASSERT_EQ(order.size(), static_cast<size_t>(kBacklog));
  for (int i = 0; i < kBacklog; ++i) ASSERT_EQ(order[i], i) << "bulk work runs in its order";
  EXPECT_EQ(loop.stats().bulk_depth, 0);
}

TEST(AsioEventLoopTest, BulkPostAfterStopIsDroppedSafely) {
  AsioEventLoop loop("stopped-bulk");
  loop.Start();
  loop.Stop();
  bool ran = false;
  loop.PostBulk([&] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop.stats().bulk_depth, 0);
}

TEST(ManualEventLoopTest, BulkPostsJoinTheOneQueue) {
  ManualEventLoop loop;
  std::vector<int> order;
  loop.PostBulk([&] { order.push_back(1); });
  loop.Post([&] { order.push_back(2); });
  loop.PostBulk([&] { order.push_back(3); });
  EXPECT_EQ(loop.RunUntilIdle(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

}  // namespace
}  // namespace agora
