// StreamWriteQueue's merge hook without gRPC: the test plays the transport
// (it records each started write and completes it when it chooses). A
// message is a list of numbers; positive ones merge into a batch of at most
// kMaxEntries, a negative one (a "control" message) never merges.
#include <string>
#include <vector>

#include "common/stream_write_queue.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

using Message = std::vector<int>;
using Queue = StreamWriteQueue<Message, std::string>;

constexpr size_t kMaxEntries = 3;

bool MergeNumbers(Message& batch, Message& next) {
  if (batch.front() < 0 || next.front() < 0) return false;
  if (batch.size() + next.size() > kMaxEntries) return false;
  batch.insert(batch.end(), next.begin(), next.end());
  return true;
}

struct Transport {
  std::vector<Message> started;
  std::vector<std::string> finished;

  std::unique_ptr<Queue> Make(size_t capacity) {
    return std::make_unique<Queue>(
        capacity, [this](const Message* message) { started.push_back(*message); },
        [this](const std::string& status) { finished.push_back(status); }, "overflow",
        "write failed", "cancelled", MergeNumbers);
  }
};

TEST(StreamWriteQueueMergeTest, TheFirstMessageIsWrittenAtOnceAndWhatQueuedBehindItMerges) {
  Transport transport;
  auto queue = transport.Make(10);
  queue->Send({1});
  EXPECT_EQ(transport.started, std::vector<Message>({{1}}));  // Not held for a batch.
  queue->Send({2});
  queue->Send({3});
  EXPECT_EQ(queue->queued(), 2u);
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}, {2, 3}}));
  EXPECT_EQ(queue->merged(), 1u);
  queue->OnWriteDone(true);
  EXPECT_FALSE(queue->writing());
}

TEST(StreamWriteQueueMergeTest, NeverMergesAcrossAMessageThatDoesNotMerge) {
  Transport transport;
  auto queue = transport.Make(10);
  queue->Send({1});
  for (const Message& m : std::vector<Message>{{2}, {3}, {-1}, {4}, {5}, {-2}, {-3}, {6}})
    queue->Send(m);
  while (queue->writing()) queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}, {2, 3}, {-1}, {4, 5}, {-2}, {-3}, {6}}));
}

TEST(StreamWriteQueueMergeTest, ABatchStopsAtTheEntryBoundAndTheRestFollowInOrder) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 1; i <= 8; ++i) queue->Send({i});
  while (queue->writing()) queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}, {2, 3, 4}, {5, 6, 7}, {8}}));
  EXPECT_EQ(queue->merged(), 4u);
}

TEST(StreamWriteQueueMergeTest, OnlyWhatQueuedBeforeTheWriteStartedMerges) {
  Transport transport;
  auto queue = transport.Make(10);
  queue->Send({1});
  queue->Send({2});
  queue->OnWriteDone(true);  // {2} goes out alone: nothing else waited.
  queue->Send({3});          // Queued behind {2}: not merged into it.
  queue->Send({4});
  while (queue->writing()) queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}, {2}, {3, 4}}));
}

TEST(StreamWriteQueueMergeTest, OverflowStillCountsQueuedMessagesAndFinishesAfterTheWrite) {
  Transport transport;
  auto queue = transport.Make(2);
  queue->Send({1});
  queue->Send({2});
  queue->Send({3});
  EXPECT_EQ(queue->Send({4}), Queue::SendResult::kOverflow);
  EXPECT_EQ(queue->Send({5}), Queue::SendResult::kClosing);
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}}));  // The queue was dropped.
  EXPECT_EQ(transport.finished, std::vector<std::string>({"overflow"}));
}

TEST(StreamWriteQueueMergeTest, FinishWritesTheMergedQueueThenTheStatus) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 1; i <= 4; ++i) queue->Send({i});
  EXPECT_TRUE(queue->Finish("done"));
  EXPECT_EQ(queue->Send({9}), Queue::SendResult::kClosing);
  queue->OnWriteDone(true);
  EXPECT_TRUE(transport.finished.empty());
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}, {2, 3, 4}}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"done"}));
}

TEST(StreamWriteQueueMergeTest, CancelDropsWhatWaitsUnmerged) {
  Transport transport;
  auto queue = transport.Make(10);
  for (int i = 1; i <= 4; ++i) queue->Send({i});
  queue->Cancel();
  queue->OnWriteDone(true);
  EXPECT_EQ(transport.started, std::vector<Message>({{1}}));
  EXPECT_EQ(transport.finished, std::vector<std::string>({"cancelled"}));
}

}  // namespace
}  // namespace agora
