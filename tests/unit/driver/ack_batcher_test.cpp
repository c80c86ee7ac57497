#include "scheduler_driver/ack_batcher.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

AckBatcher::Ack Ack(const std::string& uuid, uint64_t stream = 1) {
  AckBatcher::Ack ack;
  ack.agent_id = "agent-1";
  ack.task_id = "task-" + uuid;
  ack.uuid = uuid;
  ack.stream = stream;
  return ack;
}

std::vector<std::string> Uuids(const std::vector<AckBatcher::Ack>* batch) {
  std::vector<std::string> uuids;
  if (batch != nullptr) {
    for (const auto& ack : *batch) uuids.push_back(ack.uuid);
  }
  return uuids;
}

TEST(AckBatcherTest, LoneAcknowledgementLeavesAtOnce) {
  AckBatcher batcher;
  batcher.Add(Ack("u1"));
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), std::vector<std::string>{"u1"});
  EXPECT_TRUE(batcher.in_flight());
}

TEST(AckBatcherTest, AcknowledgementsQueuedDuringACallLeaveTogetherInOrder) {
  AckBatcher batcher;
  batcher.Add(Ack("u1"));
  ASSERT_EQ(Uuids(batcher.NextBatch(1)).size(), 1u);
  batcher.Add(Ack("u2"));
  batcher.Add(Ack("u3"));
  batcher.Add(Ack("u4"));
  EXPECT_FALSE(batcher.NextBatch(1) != nullptr) << "one call in flight at a time";
  EXPECT_EQ(batcher.queued(), 3u);
  batcher.OnCallDone();
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), (std::vector<std::string>{"u2", "u3", "u4"}));
  batcher.OnCallDone();
  EXPECT_FALSE(batcher.NextBatch(1) != nullptr);
  EXPECT_FALSE(batcher.in_flight());
}

TEST(AckBatcherTest, BatchesAreBoundedAndDrainInOrder) {
  AckBatcher batcher(3);
  for (int i = 0; i < 7; ++i) batcher.Add(Ack("u" + std::to_string(i)));
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), (std::vector<std::string>{"u0", "u1", "u2"}));
  batcher.OnCallDone();
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), (std::vector<std::string>{"u3", "u4", "u5"}));
  batcher.OnCallDone();
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), (std::vector<std::string>{"u6"}));
  batcher.OnCallDone();
  EXPECT_FALSE(batcher.NextBatch(1) != nullptr);
}

TEST(AckBatcherTest, AcknowledgementsOfAnEarlierStreamAreDropped) {
  AckBatcher batcher;
  batcher.Add(Ack("old-1", 1));
  batcher.Add(Ack("new-1", 2));
  batcher.Add(Ack("old-2", 1));
  EXPECT_EQ(Uuids(batcher.NextBatch(2)), std::vector<std::string>{"new-1"});
  batcher.OnCallDone();
  EXPECT_EQ(batcher.queued(), 0u);
  // Only acks of other streams queued: nothing to send, nothing in flight.
  batcher.Add(Ack("old-3", 1));
  EXPECT_FALSE(batcher.NextBatch(2) != nullptr);
  EXPECT_FALSE(batcher.in_flight());
}

TEST(AckBatcherTest, ClearForgetsTheQueueButNotTheCallInFlight) {
  AckBatcher batcher;
  batcher.Add(Ack("u1"));
  ASSERT_TRUE(batcher.NextBatch(1) != nullptr);
  batcher.Add(Ack("u2"));
  batcher.Clear();
  EXPECT_EQ(batcher.queued(), 0u);
  EXPECT_TRUE(batcher.in_flight());
  batcher.OnCallDone();
  EXPECT_FALSE(batcher.NextBatch(1) != nullptr);
}

TEST(AckBatcherTest, TheBatchInFlightStaysReadableUntilTheNextIsTaken) {
  AckBatcher batcher;
  EXPECT_TRUE(batcher.last_batch().empty());
  batcher.Add(Ack("u1"));
  batcher.Add(Ack("u2"));
  const std::vector<AckBatcher::Ack>* batch = batcher.NextBatch(1);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch, &batcher.last_batch());
  batcher.Add(Ack("u3"));
  batcher.OnCallDone();
  // Answered (say, failed): the driver still reads the batch to retry it.
  EXPECT_EQ(Uuids(&batcher.last_batch()), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(batcher.last_batch()[1].task_id, "task-u2");
  EXPECT_EQ(Uuids(batcher.NextBatch(1)), std::vector<std::string>{"u3"});
  EXPECT_EQ(Uuids(&batcher.last_batch()), std::vector<std::string>{"u3"});
}

}  // namespace
}  // namespace agora
