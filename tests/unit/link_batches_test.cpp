// The agent link's merge hooks and batch size check (common/link_batches).
#include "common/link_batches.hpp"

#include <string>

#include "gtest/gtest.h"

namespace agora {
namespace {

using internal::AgentMessage;
using internal::MasterMessage;

AgentMessage Update(const std::string& uuid) {
  AgentMessage message;
  message.set_type(AgentMessage::STATUS_UPDATE);
  message.mutable_status_update()->mutable_framework_id()->set_value("f");
  message.mutable_status_update()->mutable_status()->mutable_task_id()->set_value("t-" + uuid);
  message.mutable_status_update()->mutable_status()->set_uuid(uuid);
  return message;
}

MasterMessage Ack(const std::string& uuid) {
  MasterMessage message;
  message.set_type(MasterMessage::ACKNOWLEDGE);
  message.mutable_acknowledge()->mutable_framework_id()->set_value("f");
  message.mutable_acknowledge()->set_uuid(uuid);
  return message;
}

TEST(LinkBatchesTest, UpdatesMergeIntoOneBatchInOrder) {
  AgentMessage batch = Update("a");
  AgentMessage b = Update("b");
  AgentMessage c = Update("c");
  ASSERT_TRUE(MergeStatusUpdate(batch, b));
  ASSERT_TRUE(MergeStatusUpdate(batch, c));
  EXPECT_EQ(batch.type(), AgentMessage::STATUS_UPDATES);
  EXPECT_FALSE(batch.has_status_update());
  ASSERT_EQ(batch.status_updates_size(), 3);
  EXPECT_EQ(batch.status_updates(0).status().uuid(), "a");
  EXPECT_EQ(batch.status_updates(1).status().uuid(), "b");
  EXPECT_EQ(batch.status_updates(2).status().uuid(), "c");
  EXPECT_EQ(batch.status_updates(2).status().task_id().value(), "t-c");
}

TEST(LinkBatchesTest, OtherMessagesNeverMerge) {
  AgentMessage heartbeat;
  heartbeat.set_type(AgentMessage::HEARTBEAT);
  AgentMessage update = Update("a");
  EXPECT_FALSE(MergeStatusUpdate(heartbeat, update));
  EXPECT_FALSE(MergeStatusUpdate(update, heartbeat));
  EXPECT_EQ(update.status_update().status().uuid(), "a");  // Untouched.
  EXPECT_EQ(update.type(), AgentMessage::STATUS_UPDATE);
}

TEST(LinkBatchesTest, ABatchStopsAtTheEntryBound) {
  AgentMessage batch = Update("0");
  for (int i = 1; i < kMaxLinkBatchEntries; ++i) {
    AgentMessage next = Update(std::to_string(i));
    ASSERT_TRUE(MergeStatusUpdate(batch, next)) << i;
  }
  AgentMessage last = Update("last");
  EXPECT_FALSE(MergeStatusUpdate(batch, last));
  EXPECT_EQ(batch.status_updates_size(), kMaxLinkBatchEntries);
  EXPECT_EQ(last.status_update().status().uuid(), "last");
}

TEST(LinkBatchesTest, ALargeEntryGoesAlone) {
  AgentMessage big = Update("big");
  big.mutable_status_update()->mutable_status()->set_data(std::string(kMaxBatchedEntryBytes, 'x'));
  AgentMessage small = Update("small");
  AgentMessage small2 = Update("small2");
  EXPECT_FALSE(MergeStatusUpdate(small, big));
  EXPECT_FALSE(MergeStatusUpdate(big, small2));
  EXPECT_EQ(small.type(), AgentMessage::STATUS_UPDATE);
  EXPECT_EQ(big.type(), AgentMessage::STATUS_UPDATE);
}

TEST(LinkBatchesTest, AcknowledgementsMergeIntoOneBatchInOrder) {
  MasterMessage batch = Ack("a");
  MasterMessage b = Ack("b");
  MasterMessage heartbeat;
  heartbeat.set_type(MasterMessage::HEARTBEAT);
  ASSERT_TRUE(MergeAcknowledgement(batch, b));
  EXPECT_FALSE(MergeAcknowledgement(batch, heartbeat));
  EXPECT_EQ(batch.type(), MasterMessage::ACKNOWLEDGEMENTS);
  ASSERT_EQ(batch.acknowledgements_size(), 2);
  EXPECT_EQ(batch.acknowledgements(0).uuid(), "a");
  EXPECT_EQ(batch.acknowledgements(1).uuid(), "b");
}

TEST(LinkBatchesTest, ReceiversRefuseEmptyAndOversizedBatchesNamingTheField) {
  EXPECT_TRUE(ValidateLinkBatchSize("status_updates", 1).ok());
  EXPECT_TRUE(ValidateLinkBatchSize("status_updates", kMaxLinkBatchEntries).ok());
  absl::Status empty = ValidateLinkBatchSize("status_updates", 0);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "status_updates: must not be empty");
  absl::Status large = ValidateLinkBatchSize("acknowledgements", kMaxLinkBatchEntries + 1);
  EXPECT_EQ(large.message(), "acknowledgements: 513 entries; at most 512 are allowed");
}

}  // namespace
}  // namespace agora
