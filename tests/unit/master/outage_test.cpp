// What the master does with commands for an agent that is away: kills are
// applied when it returns; tasks it never received are dropped. Driven on
// the manual clock through MasterHarness.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

TEST(AgentOutageTest, KillDuringAnAgentOutageIsAppliedOnReturn) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_RUNNING, "u1");
  h.Disconnect(agent);
  ASSERT_TRUE(h.Kill(framework, "t1").ok());
  EXPECT_TRUE(framework.sink->UpdatesFor("t1").size() == 1u);  // Only RUNNING; no UNKNOWN.

  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  ASSERT_GE(back.sink->messages.size(), 2u);
  EXPECT_EQ(back.sink->messages[0].type(), internal::MasterMessage::REREGISTERED);
  auto kills = back.sink->OfType(internal::MasterMessage::KILL_TASK);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].kill_task().task_id().value(), "t1");
}

TEST(AgentOutageTest, KillDuringAnUnreachableSpellIsAppliedOnReturn) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_RUNNING, "u1");
  h.Advance(absl::Seconds(25));
  ASSERT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
  ASSERT_TRUE(h.Kill(framework, "t1").ok());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 1);
}

TEST(AgentOutageTest, KillDuringAnOutageIsNotSentIfTheTaskEndedMeanwhile) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.Disconnect(agent);
  ASSERT_TRUE(h.Kill(framework, "t1").ok());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_FINISHED)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 0);
}

TEST(AgentOutageTest, KillOfATaskOnARecoveredAgentIsAppliedWhenItReturns) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");
  // The new master does not know t1 yet; the scheduler names its agent.
  ASSERT_TRUE(h.Kill(again, "t1", agent.agent_id).ok());
  EXPECT_TRUE(again.sink->UpdatesFor("t1").empty());
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 1);
}

TEST(AgentOutageTest, KillOfAnUnknownTaskOnAnUnknownAgentAnswersUnknown) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  ASSERT_TRUE(h.Kill(framework, "ghost", "agent-never-seen").ok());
  auto updates = framework.sink->UpdatesFor("ghost");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_UNKNOWN);
}

TEST(AgentOutageTest, TaskLaunchedButNeverReceivedIsDroppedOnReregistration) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");  // RUN_TASKS lost with the stream.
  h.Disconnect(agent);
  h.Reregister(agent.info, {});
  auto updates = framework.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_DROPPED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_AGENT_RESTARTED);
}

TEST(AgentOutageTest, AgentDisconnectedButReachableKeepsItsTasksRunning) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_RUNNING, "u1");
  h.Disconnect(agent);
  h.Advance(absl::Seconds(10));
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 0);
  EXPECT_EQ(framework.sink->UpdatesFor("t1").size(), 1u);  // Just the RUNNING.
}

}  // namespace
}  // namespace agora::master
