// Master restart: agents recovered from the registry get a re-registration
// window, then become unreachable (rate-limited); reconciliation answers
// accordingly. Driven on the manual clock through MasterHarness.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

int FailuresFor(const testing::RecordingFrameworkSink& sink, const std::string& agent_id) {
  int count = 0;
  for (const auto& event : sink.events) {
    count += event.type() == v1::Event::FAILURE && event.failure().agent_id().value() == agent_id &&
             !event.failure().has_status();
  }
  return count;
}

TEST(MasterRecoveryTest, RecoveredAgentIsListedUntilItReregisters) {
  MasterHarness h;
  auto agent = h.RegisterAgent("host-a");
  ASSERT_TRUE(h.Restart().ok());
  v1::AgentSummary summary = h.AgentSummary(agent.agent_id);
  EXPECT_EQ(summary.info().hostname(), "host-a");
  EXPECT_EQ(summary.status(), v1::AgentSummary::RECOVERING);
  EXPECT_FALSE(summary.connected());
  EXPECT_EQ(h.core().Metrics().agents_recovering, 1u);
  EXPECT_EQ(h.core().BuildState().agents_size(), 1);

  h.Reregister(agent.info, {});
  EXPECT_EQ(agent.sink->Count(internal::MasterMessage::REREGISTERED), 0);  // Old stream.
  EXPECT_EQ(h.core().Metrics().agents_recovering, 0u);
  EXPECT_EQ(h.core().Metrics().agents_connected, 1u);
}

TEST(MasterRecoveryTest, RecoveredAgentNotBackInTimeBecomesUnreachableAndFrameworksHear) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");
  ASSERT_EQ(again.framework_id, framework.framework_id);

  h.Advance(absl::Minutes(2));
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
  EXPECT_EQ(FailuresFor(*again.sink, agent.agent_id), 1);
  ASSERT_EQ(h.registry().durable.agents_size(), 1);
  EXPECT_EQ(h.registry().durable.agents(0).status(), internal::AgentRecord::UNREACHABLE);
  EXPECT_EQ(h.core().Metrics().counters.recovered_agents_unreachable, 1u);

  ASSERT_TRUE(h.Reconcile(again, "t1", agent.agent_id).ok());
  auto updates = again.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_UNREACHABLE);
}

TEST(MasterRecoveryTest, ReconciliationGetsNoAnswerWhileTheWindowIsOpen) {
  MasterHarness h;
  auto agent = h.RegisterAgent("host-a");
  ASSERT_TRUE(h.Restart().ok());
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("reconciler"));
  h.Advance(absl::Seconds(60));
  ASSERT_TRUE(h.Reconcile(framework, "t1", agent.agent_id).ok());
  EXPECT_TRUE(framework.sink->UpdatesFor("t1").empty());
}

TEST(MasterRecoveryTest, ReconciliationOfAnUnknownTaskOnAnUnknownAgentAnswersUnknown) {
  MasterHarness h;
  h.RegisterAgent("host-a");
  ASSERT_TRUE(h.Restart().ok());
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("reconciler"));
  ASSERT_TRUE(h.Reconcile(framework, "t1", "agent-never-seen").ok());
  auto updates = framework.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_UNKNOWN);
}

TEST(MasterRecoveryTest, ReconciliationWithoutTheAgentIdAnswersUnknownEvenDuringTheWindow) {
  MasterHarness h;
  h.RegisterAgent("host-a");
  ASSERT_TRUE(h.Restart().ok());
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("reconciler"));
  ASSERT_TRUE(h.Reconcile(framework, "t1", "").ok());
  auto updates = framework.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);  // Schedulers should name the agent (documented).
  EXPECT_EQ(updates[0].state(), v1::TASK_UNKNOWN);
}

TEST(MasterRecoveryTest, WindowClosesAtTheConfiguredInstantAndNotBefore) {
  MasterOptions options = MasterHarness::DefaultOptions();
  options.agent_reregister_timeout = absl::Seconds(30);
  MasterHarness h(options);
  auto agent = h.RegisterAgent("host-a");
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Seconds(30) - absl::Milliseconds(1));
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::RECOVERING);
  h.Advance(absl::Milliseconds(1));
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
}

TEST(MasterRecoveryTest, RecoveredAgentReturningInTimeKeepsItsTasks) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_RUNNING, "u1");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");

  h.Advance(absl::Seconds(90));
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::REREGISTERED), 1);
  h.AdvanceWithHeartbeats(absl::Minutes(5), {back});
  EXPECT_EQ(h.TaskState("t1"), v1::TASK_RUNNING);
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::ACTIVE);
  EXPECT_TRUE(h.AgentSummary(agent.agent_id).connected());
  EXPECT_EQ(FailuresFor(*again.sink, agent.agent_id), 0);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 0);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 0);
}

TEST(MasterRecoveryTest, RecoveredAgentsAreMarkedUnreachableAtTheRateLimit) {
  MasterOptions options = MasterHarness::DefaultOptions();
  options.recovered_agents_unreachable_per_second = 2;
  MasterHarness h(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(h.RegisterAgent("host-" + std::to_string(i)).agent_id);
  ASSERT_TRUE(h.Restart().ok());
  auto unreachable = [&] {
    int count = 0;
    for (const auto& id : ids)
      count += h.AgentSummary(id).status() == v1::AgentSummary::UNREACHABLE;
    return count;
  };
  h.Advance(absl::Minutes(2));
  EXPECT_EQ(unreachable(), 2);
  h.Advance(absl::Seconds(1));
  EXPECT_EQ(unreachable(), 4);
  h.Advance(absl::Seconds(1));
  EXPECT_EQ(unreachable(), 5);
}

TEST(MasterRecoveryTest, MoreMissingAgentsThanTheLimitAllowsAreNotMarked) {
  MasterOptions options = MasterHarness::DefaultOptions();
  options.recovered_agents_unreachable_limit = 0.5;
  MasterHarness h(options);
  std::vector<MasterHarness::AgentConn> agents;
  for (int i = 0; i < 4; ++i) agents.push_back(h.RegisterAgent("host-" + std::to_string(i)));
  ASSERT_TRUE(h.Restart().ok());
  // One of four returns: three missing is more than half.
  h.Reregister(agents[0].info, {});
  h.Advance(absl::Minutes(3));
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(h.AgentSummary(agents[i].agent_id).status(), v1::AgentSummary::RECOVERING);
  }
  EXPECT_EQ(h.core().Metrics().counters.recovered_agents_unreachable, 0u);
}

TEST(MasterRecoveryTest, MissingAgentsWithinTheLimitAreMarked) {
  MasterOptions options = MasterHarness::DefaultOptions();
  options.recovered_agents_unreachable_limit = 0.5;
  MasterHarness h(options);
  std::vector<MasterHarness::AgentConn> agents;
  for (int i = 0; i < 4; ++i) agents.push_back(h.RegisterAgent("host-" + std::to_string(i)));
  ASSERT_TRUE(h.Restart().ok());
  h.Reregister(agents[0].info, {});
  h.Reregister(agents[1].info, {});
  h.Advance(absl::Minutes(3));
  EXPECT_EQ(h.AgentSummary(agents[2].agent_id).status(), v1::AgentSummary::UNREACHABLE);
  EXPECT_EQ(h.AgentSummary(agents[3].agent_id).status(), v1::AgentSummary::UNREACHABLE);
}

TEST(MasterRecoveryTest, AgentReturningDuringTheRateLimitedMarkingIsNotMarked) {
  MasterOptions options = MasterHarness::DefaultOptions();
  options.recovered_agents_unreachable_per_second = 1;
  MasterHarness h(options);
  auto first = h.RegisterAgent("host-1");
  auto second = h.RegisterAgent("host-2");
  ASSERT_TRUE(h.Restart().ok());
  h.Advance(absl::Minutes(2));
  // One of the two is marked now; the other returns before its turn.
  const bool first_marked =
      h.AgentSummary(first.agent_id).status() == v1::AgentSummary::UNREACHABLE;
  const auto& waiting = first_marked ? second : first;
  h.Reregister(waiting.info, {});
  h.Advance(absl::Seconds(5));
  EXPECT_EQ(h.AgentSummary(waiting.agent_id).status(), v1::AgentSummary::ACTIVE);
  EXPECT_EQ(h.core().Metrics().counters.recovered_agents_unreachable, 1u);
}

TEST(MasterRecoveryTest, UnreachableAgentsAreListedAsUnreachableAfterARestart) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");
  h.Advance(absl::Seconds(25));  // 5 s heartbeats, more than 3 missed.
  ASSERT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
  ASSERT_TRUE(h.Restart().ok());
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
  EXPECT_EQ(h.core().Metrics().agents_recovering, 0u);

  auto again = h.Resubscribe(framework.framework_id, "service");
  ASSERT_TRUE(h.Reconcile(again, "t1", agent.agent_id).ok());
  auto updates = again.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_UNREACHABLE);
}

TEST(MasterRecoveryTest, TaskOnAnAgentBackFromUnreachableAfterARestartIsReportedRunning) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  h.SendUpdate(agent, framework.framework_id, "t1", v1::TASK_RUNNING, "u1");
  h.Advance(absl::Seconds(25));
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");
  h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  auto updates = again.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_RUNNING);
  EXPECT_EQ(h.TaskState("t1"), v1::TASK_RUNNING);
}

TEST(MasterRecoveryTest, AgentReturningAfterTheWindowGetsItsTasksBackAndNothingIsKilled) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service"));
  auto agent = h.RegisterAgent("host-a");
  v1::Task task = h.Launch(framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");
  h.Advance(absl::Minutes(3));
  ASSERT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::UNREACHABLE);
  auto back = h.Reregister(agent.info, {MasterHarness::Reported(task, v1::TASK_RUNNING)});
  EXPECT_EQ(h.AgentSummary(agent.agent_id).status(), v1::AgentSummary::ACTIVE);
  auto updates = again.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_RUNNING);
  EXPECT_EQ(h.TaskState("t1"), v1::TASK_RUNNING);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::KILL_TASK), 0);
  EXPECT_EQ(back.sink->Count(internal::MasterMessage::SHUTDOWN_FRAMEWORK), 0);
}

TEST(MasterRecoveryTest, RecoveryWritesNothingUntilStart) {
  auto store = std::make_shared<testing::InMemoryRegistryStore>();
  testing::ManualEventLoop loop;
  MasterOptions options = MasterHarness::DefaultOptions();
  MasterCore core(&loop, options, "m", "127.0.0.1:1",
                  std::make_unique<testing::InMemoryRegistry>(&loop, store),
                  NewDrfAllocation(options.default_refuse, options.max_refuse));
  ASSERT_TRUE(core.Recover().ok());
  loop.RunUntilIdle();
  EXPECT_EQ(store->writes, 0);
  EXPECT_FALSE(core.Health().ready);
  core.Start();
  loop.RunUntilIdle();
  EXPECT_EQ(store->writes, 1);
  EXPECT_EQ(store->durable.epoch(), 1u);
  EXPECT_TRUE(core.Health().ready);
  core.Shutdown();
}

}  // namespace
}  // namespace agora::master
