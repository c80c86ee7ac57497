// StreamWriteQueue without gRPC: the test plays the transport (it records
// each started write and completes it when it chooses) and, in the last
// test, runs the transport on its own thread against a producer thread.
#include "common/stream_write_queue.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace agora {
namespace {

using Queue = StreamWriteQueue<int, std::string>;

// Records started writes and the finish, single-threaded.
struct Transport {
  std::vector<int> started;
  std::vector<std::string> finished;

  std::unique_ptr<Queue> Make(size_t capacity) {
    return std::make_unique<Queue>(
        capacity, [this](const int* message) { started.push_back(*message); },
        [this](const std::string& status) { finished.push_back(status); }, "overflow",
        "write failed", "cancelled");
  }
};

TEST(StreamWriteQueueTest, WriteCompletionsStartTheQueuedWritesWithoutTheOwner) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(queue->Send(i), Queue::SendResult::kAccepted);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_EQ(queue->queued(), 3u);
  // Only completions from here on: the owner (the loop) does nothing.
  for (int i = 0; i < 3; ++i) queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<int>({0, 1, 2, 3}));
  EXPECT_EQ(queue->chained_writes(), 3u);
  EXPECT_TRUE(queue->writing());
  queue->OnWriteDone(true);
  EXPECT_FALSE(queue->writing());
  EXPECT_TRUE(transport.finished.empty());
  // Idle again: the next Send writes at once.
  EXPECT_EQ(queue->Send(4), Queue::SendResult::kAccepted);
  EXPECT_EQ(transport.started.back(), 4);
}

TEST(StreamWriteQueueTest, OverflowDropsTheQueueAndFinishesAfterTheWriteInFlight) {
  Transport transport;
  auto queue = transport.Make(2);
  // One in flight, two waiting: the fourth overflows.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(queue->Send(i), Queue::SendResult::kAccepted);
  EXPECT_EQ(queue->Send(3), Queue::SendResult::kOverflow);
  EXPECT_TRUE(queue->closing());
  EXPECT_EQ(queue->Send(4), Queue::SendResult::kClosing);
  EXPECT_TRUE(transport.finished.empty());  // Never while a write is in flight.
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"overflow"}));
}

TEST(StreamWriteQueueTest, FinishDeliversEveryQueuedMessageThenTheStatus) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 0; i < 3; ++i) queue->Send(i);
  EXPECT_TRUE(queue->Finish("done"));
  EXPECT_FALSE(queue->Finish("second"));
  EXPECT_EQ(queue->Send(9), Queue::SendResult::kClosing);
  queue->OnWriteDone(true);
  queue->OnWriteDone(true);
  EXPECT_TRUE(transport.finished.empty());
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<int>({0, 1, 2}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"done"}));
}

TEST(StreamWriteQueueTest, FinishWithNothingQueuedFinishesAtOnce) {
  Transport transport;
  auto queue = transport.Make(10);
  EXPECT_TRUE(queue->Finish("done"));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"done"}));
  queue->Cancel();  // The peer leaving afterwards finishes nothing twice.
  EXPECT_EQ(transport.finished.size(), 1u);
}

TEST(StreamWriteQueueTest, CancelMidWriteDropsTheQueueAndFinishesOnceTheWriteReturns) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 0; i < 3; ++i) queue->Send(i);
  queue->Cancel();
  EXPECT_EQ(queue->queued(), 0u);
  EXPECT_EQ(queue->Send(5), Queue::SendResult::kClosing);
  EXPECT_TRUE(transport.finished.empty());
  queue->OnWriteDone(false);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"cancelled"}));
}

TEST(StreamWriteQueueTest, CancelKeepsAStatusAlreadyAskedFor) {
  Transport transport;
  auto queue = transport.Make(10);
  queue->Send(0);
  queue->Send(1);
  queue->Finish("done");
  queue->Cancel();
  queue->OnWriteDone(false);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"done"}));
}

TEST(StreamWriteQueueTest, AFailedWriteDropsTheQueueAndFinishesWithWriteFailed) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 0; i < 3; ++i) queue->Send(i);
  queue->OnWriteDone(false);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"write failed"}));
  EXPECT_EQ(queue->Send(3), Queue::SendResult::kClosing);
}

TEST(StreamWriteQueueTest, AbortStopsWritingAndNeverFinishes) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 0; i < 3; ++i) queue->Send(i);
  queue->Abort();
  queue->OnWriteDone(true);
  EXPECT_EQ(queue->Send(3), Queue::SendResult::kClosing);
  EXPECT_EQ(transport.started, std::vector<int>({0}));
  EXPECT_TRUE(transport.finished.empty());
  EXPECT_FALSE(queue->writing());
}

// A producer thread sends while a transport thread completes writes, as the
// loop and gRPC do: every message arrives once, in order, then the status.
// Run under TSan to check the hand-offs.
TEST(StreamWriteQueueTest, ConcurrentSendsAndCompletionsDeliverEverythingInOrder) {
  constexpr int kMessages = 20000;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> written;
  int pending_completions = 0;
  bool finished = false;
  std::string status;
  std::unique_ptr<Queue> queue;
  queue = std::make_unique<Queue>(
      kMessages,
      [&](const int* message) {
        std::lock_guard<std::mutex> lock(mu);
        written.push_back(*message);
        ++pending_completions;
        cv.notify_all();
      },
      [&](const std::string& s) {
        std::lock_guard<std::mutex> lock(mu);
        finished = true;
        status = s;
        cv.notify_all();
      },
      "overflow", "write failed", "cancelled");

  std::thread transport([&] {
    while (true) {
      std::unique_lock<std::mutex> lock(mu);
      if (!cv.wait_for(lock, std::chrono::seconds(30),
                       [&] { return pending_completions > 0 || finished; }))
        return;
      if (pending_completions == 0) return;  // Finished.
      ASSERT_EQ(pending_completions, 1) << "two writes in flight";
      --pending_completions;
      lock.unlock();
      queue->OnWriteDone(true);
    }
  });
  std::thread producer([&] {
    for (int i = 0; i < kMessages; ++i)
      ASSERT_EQ(queue->Send(i), Queue::SendResult::kAccepted) << "message " << i;
    queue->Finish("done");
  });
  producer.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return finished; }));
  }
  transport.join();
  ASSERT_EQ(written.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) ASSERT_EQ(written[i], i);
  EXPECT_EQ(status, "done");
  EXPECT_GT(queue->chained_writes(), 0u);
}

}  // namespace
}  // namespace agora
