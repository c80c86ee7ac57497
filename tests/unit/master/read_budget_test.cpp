// ReadBudget: the bound on agent entries (status updates) posted to the
// master's loop and not yet handled, shared by every agent stream.
#include "master/read_budget.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
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
  ReadBudget budget(2);
  budget.Take();
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

TEST(ReadBudgetTest, CountsEntriesNotMessages) {
  ReadBudget budget(100);
  auto resume = [] { return true; };
  budget.Take(60);  // One batch of 60 updates.
  EXPECT_TRUE(budget.MayRead(resume));
  budget.Take(60);
  EXPECT_EQ(budget.taken(), 120u);
  EXPECT_FALSE(budget.MayRead(resume)) << "two messages, but 120 entries of a budget of 100";
  budget.Return(60);
  EXPECT_EQ(budget.parked(), 0u) << "60 entries left: the parked stream reads again";
  EXPECT_EQ(budget.taken(), 60u);
}

TEST(ReadBudgetTest, ABatchCountsItsUpdatesAndOtherMessagesOne) {
  internal::AgentMessage batch;
  batch.set_type(internal::AgentMessage::STATUS_UPDATES);
  for (int i = 0; i < 130; ++i) batch.add_status_updates();
  EXPECT_EQ(EntriesOf(batch), 130u);
  internal::AgentMessage heartbeat;
  heartbeat.set_type(internal::AgentMessage::HEARTBEAT);
  EXPECT_EQ(EntriesOf(heartbeat), 1u);
  internal::AgentMessage empty;
  empty.set_type(internal::AgentMessage::STATUS_UPDATES);
  EXPECT_EQ(EntriesOf(empty), 1u) << "an empty batch is still a message the loop handles";
}

TEST(ReadBudgetTest, ABatchReturnedWakesOneStreamPerEntryAtMost) {
  ReadBudget budget(4);
  budget.Take(4);
  budget.Take(4);  // 8 of 4 taken: two messages of 4.
  int resumed = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(budget.MayRead([&] {
      ++resumed;
      return true;
    }));
  }
  budget.Return(4);  // 4 taken: still spent.
  EXPECT_EQ(resumed, 0);
  budget.Return(1);  // A partial return (as the loop never does; the bound holds anyway).
  EXPECT_EQ(resumed, 1) << "one entry freed, one stream woken";
  budget.Return(2);
  EXPECT_EQ(resumed, 3) << "two entries freed, two more streams woken";
  EXPECT_EQ(budget.parked(), 2u);
  budget.Return(1);  // Nothing taken: no later return will come.
  EXPECT_EQ(resumed, 5) << "every parked stream is woken once nothing is taken";
  EXPECT_EQ(budget.parked(), 0u);
}

TEST(ReadBudgetTest, AParkedStreamIsResumedWhenTheLastEntriesReturnEvenIfWakeUpsWereUnused) {
  ReadBudget budget(1);
  budget.Take(1);
  std::vector<int> woken;
  ASSERT_FALSE(budget.MayRead([&] {
    woken.push_back(1);
    return true;  // Resumes, but its agent may stay silent: no entry comes back from it.
  }));
  ASSERT_FALSE(budget.MayRead([&] {
    woken.push_back(2);
    return true;
  }));
  budget.Return(1);
  EXPECT_EQ(woken, (std::vector<int>{1, 2}))
      << "with nothing left in the loop's queue, a stream left parked would wait for nothing";
}

// Streams on their own threads each post `messages` messages of
// `entries_of()` entries (called with the lock held) through `budget`, while
// a "loop" (this thread) handles them in order and returns their entries.
// Returns the most entries ever queued; fails the test if the loop waits 30 s
// for a message (a lost wake-up left a stream parked forever).
size_t RunParkedStreams(ReadBudget& budget, int streams, int messages,
                        const std::function<size_t()>& entries_of) {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<size_t> queue;  // Posted, not handled: entries of each message.
  size_t queued = 0, most_queued = 0;
  std::vector<int> sent(streams, 0);
  std::vector<bool> paused(streams, false);
  // Posts stream `s`'s next message, then reads on or parks. mu held.
  std::function<void(int)> read_done = [&](int s) {
    const size_t entries = entries_of();
    budget.Take(entries);
    queue.push_back(entries);
    queued += entries;
    most_queued = std::max(most_queued, queued);
    ++sent[s];
    changed.notify_all();
    if (sent[s] == messages) return;
    paused[s] = !budget.MayRead([&, s] {
      std::lock_guard<std::mutex> lock(mu);
      if (!paused[s]) return false;
      paused[s] = false;  // The stream's thread reads on ("starts a read").
      changed.notify_all();
      return true;
    });
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      std::unique_lock<std::mutex> lock(mu);
      while (sent[s] < messages) {
        if (!paused[s]) {
          read_done(s);
        } else {
          changed.wait(lock);
        }
      }
    });
  }
  for (int handled = 0; handled < streams * messages; ++handled) {
    size_t entries = 0;
    {
      std::unique_lock<std::mutex> lock(mu);
      bool posted =
          changed.wait_for(lock, std::chrono::seconds(30), [&] { return !queue.empty(); });
      EXPECT_TRUE(posted) << "handled " << handled << ": a parked stream was forgotten";
      if (!posted) break;  // The streams' threads are stuck: join would hang.
      entries = queue.front();
      queue.erase(queue.begin());
      queued -= entries;
    }
    budget.Return(entries);
    changed.notify_all();
  }
  for (auto& thread : threads) thread.join();
  return most_queued;
}

TEST(ReadBudgetTest, NoParkedStreamIsForgottenUnderConcurrentStreams) {
  // Eight streams each post 2,000 one-entry messages through a budget of 4.
  // Every stream must finish and the loop's queue never holds more than the
  // budget plus one message per stream.
  ReadBudget budget(4);
  size_t most_queued = RunParkedStreams(budget, 8, 2000, [] { return size_t{1}; });
  EXPECT_EQ(budget.taken(), 0u);
  EXPECT_LE(most_queued, 4u + 8u);
}

TEST(ReadBudgetTest, NoParkedStreamIsForgottenWithBatchesOfManyEntries) {
  // As above, with messages of 1 to 16 entries (fixed seed) through a budget
  // of 32: the queued entries stay under the budget plus one largest message
  // per stream.
  constexpr unsigned kSeed = 13;
  std::mt19937 random(kSeed);
  ReadBudget budget(32);
  size_t most_queued = RunParkedStreams(budget, 8, 2000, [&] { return 1 + random() % 16; });
  EXPECT_EQ(budget.taken(), 0u);
  EXPECT_LE(most_queued, 32u + 8u * 16u) << "seed " << kSeed;
}

}  // namespace
}  // namespace agora::master
