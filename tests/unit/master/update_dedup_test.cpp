// Status update deduplication: the pure UpdateDedup policy, and the master
// applying it to agent retries (MasterHarness, manual clock).
#include "master/update_dedup.hpp"

#include <gtest/gtest.h>

#include "master/http_endpoints.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;
using Decision = UpdateDedup::Decision;

TEST(UpdateDedupTest, FirstSightingIsForwardedAndARepeatOnTheSameStreamIsDropped) {
  UpdateDedup dedup;
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 7), Decision::kForward);
  dedup.OnForwarded("f", "t", "u1", 7);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 7), Decision::kDrop);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 8), Decision::kForward);  // New stream.
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 0), Decision::kForward);  // No stream.
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u2", 7), Decision::kForward);
}

TEST(UpdateDedupTest, AcknowledgedUuidIsAnsweredWithTheAckOnAnyStream) {
  UpdateDedup dedup;
  dedup.OnForwarded("f", "t", "u1", 7);
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", "u1"));
  EXPECT_FALSE(dedup.OnAcknowledged("f", "t", "u1"));
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 7), Decision::kReacknowledge);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 9), Decision::kReacknowledge);
}

TEST(UpdateDedupTest, UpdatesWithoutUuidAreAlwaysForwarded) {
  UpdateDedup dedup;
  dedup.OnForwarded("f", "t", "", 7);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "", 7), Decision::kForward);
}

TEST(UpdateDedupTest, AcknowledgedUuidsOfAnyLengthAreKeptApart) {
  // The acknowledged uuids share one buffer: a uuid that is a prefix of
  // another, one with a zero byte and a long one must not match each other.
  UpdateDedup dedup;
  const std::string with_zero("a\0b", 3);
  const std::string long_uuid(300, 'x');
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", "abcd"));
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", with_zero));
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", long_uuid));
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "abc", 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "abcde", 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "a", 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", std::string(299, 'x'), 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "abcd", 1), Decision::kReacknowledge);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", with_zero, 1), Decision::kReacknowledge);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", long_uuid, 1), Decision::kReacknowledge);
  // The oldest goes first whatever the lengths.
  for (size_t i = 3; i < UpdateDedup::kMaxAckedPerTask; ++i)
    EXPECT_TRUE(dedup.OnAcknowledged("f", "t", std::string(i * 7, 'a' + i)));
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", "newest"));
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "abcd", 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", with_zero, 1), Decision::kReacknowledge);
  EXPECT_TRUE(dedup.OnAcknowledged("f", "t", "newer still"));
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", with_zero, 1), Decision::kForward);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", long_uuid, 1), Decision::kReacknowledge);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "newest", 1), Decision::kReacknowledge);
}

TEST(UpdateDedupTest, MemoryIsBoundedPerTaskAndOverall) {
  UpdateDedup dedup(/*max_tasks=*/2);
  for (size_t i = 0; i <= UpdateDedup::kMaxAckedPerTask; ++i) {
    dedup.OnAcknowledged("f", "t", "u" + std::to_string(i));
  }
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u0", 1), Decision::kForward);  // Oldest forgotten.
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 1), Decision::kReacknowledge);
  dedup.OnAcknowledged("f", "t2", "x");
  dedup.OnAcknowledged("f", "t3", "y");
  EXPECT_EQ(dedup.size(), 2u);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t", "u1", 1), Decision::kForward);  // Evicted.
  dedup.ForgetFramework("f");
  EXPECT_EQ(dedup.size(), 0u);
}

TEST(UpdateDedupTest, EvictsTheLeastRecentlyTouchedTaskAndForgetsOnlyTheRemovedFramework) {
  UpdateDedup dedup(/*max_tasks=*/3);
  dedup.OnAcknowledged("f", "t1", "a");
  dedup.OnForwarded("f", "t2", "b", 7);
  dedup.OnAcknowledged("g", "t1", "c");
  dedup.OnForwarded("f", "t1", "d", 7);  // t1 of f is now the most recent.
  dedup.OnAcknowledged("g", "t2", "e");  // Evicts t2 of f, the least recent.
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_TRUE(dedup.Knows("f", "t1"));
  EXPECT_FALSE(dedup.Knows("f", "t2"));
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t1", "a", 7), Decision::kReacknowledge);
  EXPECT_EQ(dedup.OnAgentUpdate("f", "t1", "d", 7), Decision::kDrop);
  dedup.ForgetFramework("f");
  EXPECT_EQ(dedup.size(), 2u);
  EXPECT_EQ(dedup.OnAgentUpdate("g", "t1", "c", 7), Decision::kReacknowledge);
  // The recency list survived the removal: new records evict g's in order.
  dedup.OnAcknowledged("h", "t1", "x");
  dedup.OnAcknowledged("h", "t2", "y");
  EXPECT_FALSE(dedup.Knows("g", "t1"));
  EXPECT_TRUE(dedup.Knows("g", "t2"));
  EXPECT_TRUE(dedup.Knows("h", "t1"));
  EXPECT_TRUE(dedup.Knows("h", "t2"));
}

class MasterDedupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    framework_ = h_.Subscribe(MasterHarness::FrameworkInfo("batch"));
    agent_ = h_.RegisterAgent("host-a");
    task_ = h_.Launch(framework_, agent_, "t1");
  }
  size_t Finished(const testing::RecordingFrameworkSink& sink) {
    size_t count = 0;
    for (const auto& status : sink.UpdatesFor("t1")) count += status.state() == v1::TASK_FINISHED;
    return count;
  }

  MasterHarness h_;
  MasterHarness::Scheduler framework_;
  MasterHarness::AgentConn agent_;
  v1::Task task_;
};

TEST_F(MasterDedupTest, RepeatOnTheSameStreamIsDroppedAndCounted) {
  for (int i = 0; i < 3; ++i) {
    h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  }
  EXPECT_EQ(Finished(*framework_.sink), 1u);
  EXPECT_EQ(h_.core().Metrics().counters.status_updates_forwarded, 1u);
  EXPECT_EQ(h_.core().Metrics().counters.status_updates_duplicate, 2u);
  const std::string text = RenderMetrics(h_.core().Metrics());
  EXPECT_NE(text.find("agora_master_status_updates_forwarded_total 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("agora_master_status_updates_duplicate_total 2\n"), std::string::npos)
      << text;
}

TEST_F(MasterDedupTest, RepeatAfterTheAckIsAnsweredWithTheAckAndNotForwarded) {
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  ASSERT_TRUE(h_.Acknowledge(framework_, agent_.agent_id, "t1", "u-fin").ok());
  ASSERT_EQ(agent_.sink->Count(internal::MasterMessage::ACKNOWLEDGE), 1);
  // The ack was lost on the way; the agent retries.
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  EXPECT_EQ(Finished(*framework_.sink), 1u);
  auto acks = agent_.sink->OfType(internal::MasterMessage::ACKNOWLEDGE);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].acknowledge().uuid(), "u-fin");
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements_relayed_again, 1u);
}

TEST_F(MasterDedupTest, RepeatAfterTheSchedulerResubscribedIsForwardedOnce) {
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  h_.Disconnect(framework_);
  v1::FrameworkInfo info = MasterHarness::FrameworkInfo("batch");
  info.mutable_id()->set_value(framework_.framework_id);
  auto again = h_.Subscribe(info);
  ASSERT_FALSE(again.framework_id.empty());
  for (int i = 0; i < 3; ++i) {
    h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  }
  EXPECT_EQ(Finished(*again.sink), 1u);
}

TEST_F(MasterDedupTest, UpdateSentWhileTheSchedulerWasAwayIsForwardedAfterItReturns) {
  h_.Disconnect(framework_);
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  v1::FrameworkInfo info = MasterHarness::FrameworkInfo("batch");
  info.mutable_id()->set_value(framework_.framework_id);
  auto again = h_.Subscribe(info);
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  EXPECT_EQ(Finished(*again.sink), 1u);
}

TEST_F(MasterDedupTest, StrayAndDuplicateAcksAreHarmless) {
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_RUNNING, "u-run");
  const size_t events = framework_.sink->events.size();
  EXPECT_TRUE(h_.Acknowledge(framework_, agent_.agent_id, "t1", "u-run").ok());
  EXPECT_TRUE(h_.Acknowledge(framework_, agent_.agent_id, "t1", "u-run").ok());
  EXPECT_TRUE(h_.Acknowledge(framework_, agent_.agent_id, "t1", "never-sent").ok());
  // Unknown tasks and agents are refused (NOT_FOUND) and change nothing.
  EXPECT_TRUE(absl::IsNotFound(h_.Acknowledge(framework_, agent_.agent_id, "no-such-task", "x")));
  EXPECT_TRUE(absl::IsNotFound(h_.Acknowledge(framework_, "agent-never-seen", "t1", "u-run")));
  EXPECT_EQ(framework_.sink->events.size(), events);
  EXPECT_FALSE(framework_.sink->closed);
  v1::GetTasksRequest request;
  EXPECT_EQ(h_.core().GetTasks(request)->tasks(0).state(), v1::TASK_RUNNING);
  // The next real update still flows.
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  EXPECT_EQ(Finished(*framework_.sink), 1u);
}

TEST_F(MasterDedupTest, AckGivenWhileTheAgentWasAwayAnswersItsRetryOnReturn) {
  h_.SendUpdate(agent_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  h_.Disconnect(agent_);
  ASSERT_TRUE(h_.Acknowledge(framework_, agent_.agent_id, "t1", "u-fin").ok());
  auto back = h_.Reregister(agent_.info, {MasterHarness::Reported(task_, v1::TASK_FINISHED)});
  h_.SendUpdate(back, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  EXPECT_EQ(Finished(*framework_.sink), 1u);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::ACKNOWLEDGE), 1);
  EXPECT_EQ(h_.core().GetTasks(v1::GetTasksRequest())->tasks_size(), 0);
}

}  // namespace
}  // namespace agora::master
