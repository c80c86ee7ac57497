// Agent messages as loop work: entries per message, and a large status
// update batch cut into ordered slices (master/agent_slices.hpp).
#include "master/agent_slices.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agora::master {
namespace {

using internal::AgentMessage;

AgentMessage Batch(int updates) {
  AgentMessage message;
  message.set_type(AgentMessage::STATUS_UPDATES);
  for (int i = 0; i < updates; ++i) {
    auto* update = message.add_status_updates();
    update->mutable_framework_id()->set_value("framework-1");
    update->mutable_status()->mutable_task_id()->set_value("task-" + std::to_string(i));
  }
  return message;
}

std::vector<std::string> TaskIds(const std::vector<AgentMessage>& slices) {
  std::vector<std::string> ids;
  for (const AgentMessage& slice : slices) {
    for (const auto& update : slice.status_updates()) ids.push_back(update.status().task_id().value());
  }
  return ids;
}

TEST(AgentSlicesTest, ABatchCountsItsUpdatesAndOtherMessagesOne) {
  EXPECT_EQ(EntriesOf(Batch(130)), 130u);
  AgentMessage heartbeat;
  heartbeat.set_type(AgentMessage::HEARTBEAT);
  EXPECT_EQ(EntriesOf(heartbeat), 1u);
  AgentMessage single;
  single.set_type(AgentMessage::STATUS_UPDATE);
  EXPECT_EQ(EntriesOf(single), 1u);
  EXPECT_EQ(EntriesOf(Batch(0)), 1u) << "an empty batch is still a message the loop handles";
}

TEST(AgentSlicesTest, ALargeBatchIsCutInOrderIntoSlicesOfAtMostTheBound) {
  const AgentMessage batch = Batch(130);
  std::vector<AgentMessage> slices = SliceStatusUpdates(batch, 64);
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0].status_updates_size(), 64);
  EXPECT_EQ(slices[1].status_updates_size(), 64);
  EXPECT_EQ(slices[2].status_updates_size(), 2);
  for (const AgentMessage& slice : slices) EXPECT_EQ(slice.type(), AgentMessage::STATUS_UPDATES);
  EXPECT_EQ(TaskIds(slices), TaskIds({batch})) << "every update once, in the batch's order";
}

TEST(AgentSlicesTest, SmallBatchesOtherMessagesAndOversizedBatchesStayWhole) {
  EXPECT_EQ(SliceStatusUpdates(Batch(64), 64).size(), 1u);
  AgentMessage reregister;
  reregister.set_type(AgentMessage::REREGISTER);
  EXPECT_EQ(SliceStatusUpdates(reregister, 64).size(), 1u);
  // The master refuses a batch over kMaxLinkBatchEntries as a whole
  // (ValidateLinkBatchSize); cutting it would accept it piecemeal.
  std::vector<AgentMessage> oversized = SliceStatusUpdates(Batch(kMaxLinkBatchEntries + 1), 64);
  ASSERT_EQ(oversized.size(), 1u);
  EXPECT_EQ(oversized[0].status_updates_size(), kMaxLinkBatchEntries + 1);
}

}  // namespace
}  // namespace agora::master
