// State snapshots (state_snapshot.hpp): what a query captured stays as it
// was while the master moves on, cached agent summaries follow the agent,
// and filtered queries see exactly their tasks. Driven through MasterHarness.
#include "master/state_snapshot.hpp"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "master/http_endpoints.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

TEST(StateSnapshotTest, ACapturedStateDoesNotChangeWhenTheTaskDoes) {
  MasterHarness h;
  auto scheduler = h.Subscribe(MasterHarness::FrameworkInfo("snap"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(scheduler, agent, "t1");
  std::shared_ptr<const StateSnapshot> before = h.core().SnapshotState();
  h.SendUpdate(agent, scheduler.framework_id, "t1", v1::TASK_RUNNING, "u1");

  v1::MasterState then = StateView(*before);
  ASSERT_EQ(then.tasks_size(), 1);
  EXPECT_EQ(then.tasks(0).state(), v1::TASK_STAGING);
  v1::MasterState now = h.core().BuildState();
  ASSERT_EQ(now.tasks_size(), 1);
  EXPECT_EQ(now.tasks(0).state(), v1::TASK_RUNNING);
  // The earlier view is still intact after the master's change.
  EXPECT_EQ(StateView(*before).tasks(0).state(), v1::TASK_STAGING);
}

// A full snapshot holds tasks as per-agent lists; GetState still lists them
// in (framework id, task id) order, and a change on one agent shows.
TEST(StateSnapshotTest, GetStateListsTasksOfAllAgentsInTaskOrder) {
  MasterHarness h;
  auto scheduler = h.Subscribe(MasterHarness::FrameworkInfo("snap"));
  // Agents in id order carry tasks out of id order.
  const std::vector<std::string> task_ids = {"t3", "t1", "t0", "t2"};
  std::vector<MasterHarness::AgentConn> agents;
  for (size_t i = 0; i < task_ids.size(); ++i)
    agents.push_back(h.RegisterAgent(absl::StrCat("host-", i)));
  for (size_t i = 0; i < task_ids.size(); ++i) h.Launch(scheduler, agents[i], task_ids[i]);
  (void)h.core().BuildState();
  h.SendUpdate(agents[3], scheduler.framework_id, "t2", v1::TASK_RUNNING, "u1");

  v1::MasterState state = h.core().BuildState();
  ASSERT_EQ(state.tasks_size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(state.tasks(i).task_id().value(), absl::StrCat("t", i));
    EXPECT_EQ(state.tasks(i).state(), i == 2 ? v1::TASK_RUNNING : v1::TASK_STAGING) << i;
  }
}

// /metrics counts tasks by state from the snapshot Metrics() captured (off
// the loop), as the task book holds them.
TEST(StateSnapshotTest, MetricsCountTasksByStateFromTheSnapshot) {
  MasterHarness h;
  auto scheduler = h.Subscribe(MasterHarness::FrameworkInfo("snap"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  h.Launch(scheduler, a, "t1");
  h.Launch(scheduler, b, "t2");
  h.SendUpdate(b, scheduler.framework_id, "t2", v1::TASK_RUNNING, "u1");
  const std::string text = RenderMetrics(h.core().Metrics());
  EXPECT_NE(text.find("agora_master_tasks{state=\"STAGING\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("agora_master_tasks{state=\"RUNNING\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("agora_master_tasks{state=\"FINISHED\"} 0"), std::string::npos) << text;
}

TEST(StateSnapshotTest, AgentSummaryFollowsTheAgentAfterBeingCached) {
  MasterHarness h;
  auto agent = h.RegisterAgent("host-a");
  EXPECT_TRUE(h.AgentSummary(agent.agent_id).connected());
  EXPECT_TRUE(h.AgentSummary(agent.agent_id).connected());  // From the cache.
  h.Disconnect(agent);
  EXPECT_FALSE(h.AgentSummary(agent.agent_id).connected());
  auto back = h.Reregister(agent.info, {});
  v1::AgentSummary summary = h.AgentSummary(agent.agent_id);
  EXPECT_TRUE(summary.connected());
  EXPECT_GT(summary.reregistered_time(), 0);
}

TEST(StateSnapshotTest, TasksFilteredByAgentAreThatAgentsAndCountInItsSummary) {
  MasterHarness h;
  auto scheduler = h.Subscribe(MasterHarness::FrameworkInfo("snap"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  h.Launch(scheduler, a, "on-a");
  h.Launch(scheduler, b, "on-b");

  v1::GetTasksRequest request;
  request.mutable_agent_id()->set_value(a.agent_id);
  auto tasks = h.core().GetTasks(request);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->tasks_size(), 1);
  EXPECT_EQ(tasks->tasks(0).task_id().value(), "on-a");
  EXPECT_EQ(tasks->page().total(), 1u);

  request.clear_agent_id();
  request.mutable_framework_id()->set_value(scheduler.framework_id);
  request.mutable_task_id()->set_value("on-b");
  tasks = h.core().GetTasks(request);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->tasks_size(), 1);
  EXPECT_EQ(tasks->tasks(0).agent_id().value(), b.agent_id);

  v1::AgentSummary summary = h.AgentSummary(a.agent_id);
  EXPECT_EQ(summary.active_tasks(), 1u);
  EXPECT_EQ(Resources::FromProto(summary.allocated())->ToString(),
            Resources::Parse("cpus:1;mem:128")->ToString());
}

TEST(StateSnapshotTest, AnInvalidStateFilterNamesTheField) {
  MasterHarness h;
  v1::GetTasksRequest request;
  request.add_states(v1::TASK_RUNNING);
  request.add_states(static_cast<v1::TaskState>(99));
  auto tasks = h.core().GetTasks(request);
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tasks.status().message().find("states[1]"), std::string::npos) << tasks.status();
}

}  // namespace
}  // namespace agora::master
