// Framework failover timers across master restarts, and frameworks removed
// while an agent was away. Driven on the manual clock through MasterHarness.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

v1::FrameworkInfo WithId(v1::FrameworkInfo info, const std::string& id) {
  info.mutable_id()->set_value(id);
  return info;
}

bool Listed(MasterHarness& h, const std::string& framework_id) {
  return !h.FrameworkSummary(framework_id).info().id().value().empty();
}

TEST(FrameworkFailoverTest, RecoveredFrameworkIsListedAsDisconnected) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 600));
  ASSERT_TRUE(h.Restart().ok());
  v1::FrameworkSummary summary = h.FrameworkSummary(framework.framework_id);
  EXPECT_EQ(summary.info().name(), "batch");
  EXPECT_FALSE(summary.connected());
  EXPECT_EQ(h.core().Metrics().frameworks_disconnected, 1u);
}

TEST(FrameworkFailoverTest, FailoverTimerIsRearmedWithTheRemainingTimeAfterARestart) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.Disconnect(framework);
  h.Advance(absl::Seconds(40));
  ASSERT_TRUE(h.Restart().ok());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});

  h.AdvanceWithHeartbeats(absl::Seconds(59), {back});
  h.Advance(absl::Seconds(1) - absl::Milliseconds(1));
  EXPECT_TRUE(Listed(h, framework.framework_id));
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 0);
  h.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(Listed(h, framework.framework_id));
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 1);
  EXPECT_TRUE(h.registry().durable.frameworks().empty());
}

TEST(FrameworkFailoverTest, FrameworkConnectedAtTheCrashGetsItsFullTimeoutFromRecovery) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  h.Advance(absl::Seconds(30));
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Seconds(100) - absl::Milliseconds(1));
  EXPECT_TRUE(Listed(h, framework.framework_id));
  h.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(Listed(h, framework.framework_id));
}

TEST(FrameworkFailoverTest, StreamsClosedByAMasterShutdownDoNotStartTheFailoverClock) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  h.core().Shutdown();
  h.core().OnFrameworkStreamClosed(framework.token);  // The reactor reports it.
  h.loop().RunUntilIdle();
  ASSERT_EQ(h.registry().durable.frameworks_size(), 1);
  EXPECT_EQ(h.registry().durable.frameworks(0).disconnected_time(), 0);
  h.Advance(absl::Seconds(500));  // Down for longer than the timeout.
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Seconds(100) - absl::Milliseconds(1));
  EXPECT_TRUE(Listed(h, framework.framework_id));
}

TEST(FrameworkFailoverTest, RepeatedRestartsDoNotExtendTheFailoverTimeout) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  ASSERT_TRUE(h.Restart().ok());  // Connected at the crash: 100 s from here.
  h.Advance(absl::Seconds(50));
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Seconds(50) - absl::Milliseconds(1));
  EXPECT_TRUE(Listed(h, framework.framework_id));
  h.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(Listed(h, framework.framework_id));
}

TEST(FrameworkFailoverTest, ResubscribingAfterARestartKeepsTheFrameworkAndItsTasks) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  auto again =
      h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch", 100), framework.framework_id));
  ASSERT_EQ(again.framework_id, framework.framework_id);
  h.AdvanceWithHeartbeats(absl::Seconds(500), {back});
  EXPECT_TRUE(h.FrameworkSummary(framework.framework_id).connected());
  EXPECT_EQ(h.FrameworkSummary(framework.framework_id).active_tasks(), 1u);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 0);
}

TEST(FrameworkFailoverTest, ResubscribingWithAnotherUserIsRefusedAfterARestart) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  ASSERT_TRUE(h.Restart().ok());
  v1::FrameworkInfo info =
      WithId(MasterHarness::FrameworkInfo("batch", 100), framework.framework_id);
  info.set_user("root");
  auto again = h.Subscribe(info);
  EXPECT_TRUE(again.framework_id.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(again.sink->close_status));
}

TEST(FrameworkFailoverTest, FrameworkTornDownDuringAnAgentOutageIsShutDownWhenTheAgentReturns) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.Disconnect(agent);
  ASSERT_TRUE(h.Teardown(framework).ok());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  auto shutdowns = back.sink->OfType(internal::MasterMessage::SHUTDOWN_FRAMEWORK);
  ASSERT_EQ(shutdowns.size(), 1u);
  EXPECT_EQ(shutdowns[0].shutdown_framework().framework_id().value(), framework.framework_id);
  auto tasks = h.core().GetTasks(v1::GetTasksRequest());
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(tasks->tasks_size(), 0);  // Not resurrected.
}

TEST(FrameworkFailoverTest, FrameworkRemovedWhileTheAgentWasAwayAcrossARestartIsShutDownThere) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 30));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Seconds(30));  // The framework's timeout; the agent has 2 min.
  ASSERT_FALSE(Listed(h, framework.framework_id));
  ASSERT_TRUE(h.Restart().ok());  // And another master restart meanwhile.
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 1);
  EXPECT_EQ(h.core().GetTasks(v1::GetTasksRequest())->tasks_size(), 0);
}

TEST(FrameworkFailoverTest, OperatorTeardownOfARecoveredFrameworkShutsItDownWhereItRuns) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 600));
  auto first = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, first, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto back = h.Reregister(first.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  ASSERT_TRUE(h.core().TeardownFramework(framework.framework_id).ok());
  h.loop().RunUntilIdle();
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 1);
  EXPECT_FALSE(Listed(h, framework.framework_id));
}

TEST(FrameworkFailoverTest, TornDownFrameworkCannotResubscribeAfterARestart) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  ASSERT_TRUE(h.Teardown(framework).ok());
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Subscribe(WithId(MasterHarness::FrameworkInfo("batch"), framework.framework_id));
  EXPECT_TRUE(again.framework_id.empty());
  EXPECT_TRUE(absl::IsFailedPrecondition(again.sink->close_status)) << again.sink->close_status;
  EXPECT_EQ(h.registry().durable.removed_frameworks_size(), 1);
}

TEST(FrameworkFailoverTest, UpdatesForARemovedFrameworkAreAcknowledgedByTheMaster) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Teardown(framework).ok());
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_KILLED, "u-killed");
  auto acks = agent.sink->OfType(internal::MasterMessage::ACKNOWLEDGE);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].acknowledge().uuid(), "u-killed");
}

}  // namespace
}  // namespace agora::master
