// ReadBudget: the bound on agent messages posted to the master's loop and
// not yet handled, shared by every agent stream.
#include "master/read_budget.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace agora::master {
namespace {

TEST(ReadBudgetTest, ReadsWhileUnitsAreFreeAndParksOnceSpent) {
  ReadBudget budget(2);
  int resumed = 0;
  auto resume = [&] {
    ++resumed;
    return true;
  };
  budget.Take();
  EXPECT_TRUE(budget.MayRead(resume));
  budget.Take();
  EXPECT_FALSE(budget.MayRead(resume));
  EXPECT_EQ(budget.parked(), 1u);
  EXPECT_EQ(resumed, 0);
  budget.Return();
  EXPECT_EQ(resumed, 1) << "a freed unit wakes the parked stream";
  EXPECT_EQ(budget.parked(), 0u);
  EXPECT_EQ(budget.taken(), 1u);
}

TEST(ReadBudgetTest, AWakeUpThatIsNotUsedPassesToTheNextParkedStream) {
  ReadBudget budget(1);
  budget.Take();
  std::vector<int> woken;
  ASSERT_FALSE(budget.MayRead([&] {
    woken.push_back(1);
    return false;  // Gone, or paused for its own reasons.
  }));
  ASSERT_FALSE(budget.MayRead([&] {
    woken.push_back(2);
    return true;
  }));
  ASSERT_FALSE(budget.MayRead([&] {
    woken.push_back(3);
    return true;
  }));
  budget.Return();
  EXPECT_EQ(woken, (std::vector<int>{1, 2})) << "one wake-up used per freed unit";
  EXPECT_EQ(budget.parked(), 1u);
}

TEST(ReadBudgetTest, NoParkedStreamIsForgottenUnderConcurrentStreams) {
  // Eight streams on their own threads each post 2,000 messages through a
  // budget of 4; a "loop" thread handles them. Every stream must finish
  // (a lost wake-up would leave one parked forever) and the loop's queue
  // never holds more than the budget plus one message per stream.
  constexpr int kStreams = 8;
  constexpr int kMessages = 2000;
  constexpr size_t kLimit = 4;
  ReadBudget budget(kLimit);
  std::mutex mu;
  std::condition_variable changed;
  std::vector<int> queue;  // Posted, not handled: stream ids.
  std::vector<int> sent(kStreams, 0);
  std::vector<bool> paused(kStreams, false);
  size_t most_queued = 0;
  // Posts stream `s`'s next message, then reads on or parks. mu held.
  std::function<void(int)> read_done = [&](int s) {
    budget.Take();
    queue.push_back(s);
    most_queued = std::max(most_queued, queue.size());
    ++sent[s];
    changed.notify_all();
    if (sent[s] == kMessages) return;
    paused[s] = !budget.MayRead([&, s] {
      std::lock_guard<std::mutex> lock(mu);
      if (!paused[s]) return false;
      paused[s] = false;  // The stream's thread reads on ("starts a read").
      changed.notify_all();
      return true;
    });
  };
  std::vector<std::thread> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.emplace_back([&, s] {
      std::unique_lock<std::mutex> lock(mu);
      while (sent[s] < kMessages) {
        if (!paused[s]) {
          read_done(s);
        } else {
          changed.wait(lock);
        }
      }
    });
  }
  int handled = 0;
  while (handled < kStreams * kMessages) {
    {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return !queue.empty(); }))
          << "handled " << handled << ": a parked stream was forgotten";
      queue.erase(queue.begin());
    }
    ++handled;
    budget.Return();
    changed.notify_all();
  }
  for (auto& stream : streams) stream.join();
  EXPECT_EQ(budget.taken(), 0u);
  EXPECT_LE(most_queued, kLimit + kStreams);
}

}  // namespace
}  // namespace agora::master
