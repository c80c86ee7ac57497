// Reconciliation of completed tasks on MasterCore (MasterHarness): explicit
// reconciliation answers what GetTasks lists while the completed history
// holds the task, TASK_UNKNOWN once it does not; implicit reconciliation
// covers active tasks only.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

// The framework runs t1 on `agent` to TASK_FINISHED and acknowledges it.
void RunToCompletion(MasterHarness& h, const MasterHarness::Scheduler& framework,
                     const MasterHarness::AgentConn& agent, const std::string& task_id) {
  h.Launch(framework, agent, task_id);
  h.SendUpdate(agent, framework.framework_id, task_id, v1::TASK_RUNNING, task_id + "-run");
  ASSERT_TRUE(h.Acknowledge(framework, agent.agent_id, task_id, task_id + "-run").ok());
  h.SendUpdate(agent, framework.framework_id, task_id, v1::TASK_FINISHED, task_id + "-fin");
  ASSERT_TRUE(h.Acknowledge(framework, agent.agent_id, task_id, task_id + "-fin").ok());
}

// The state GetTasks (with completed tasks) lists for `task_id`.
v1::TaskState ListedState(MasterHarness& h, const std::string& task_id) {
  v1::GetTasksRequest request;
  request.set_include_completed(true);
  auto tasks = h.core().GetTasks(request);
  EXPECT_TRUE(tasks.ok()) << tasks.status();
  for (const auto& task : tasks->tasks()) {
    if (task.task_id().value() == task_id) return task.state();
  }
  return v1::TASK_STATE_UNSPECIFIED;
}

TEST(ReconcileTest, ACompletedTaskAnswersItsTerminalStateAsGetTasksListsIt) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto agent = h.RegisterAgent("host-a");
  RunToCompletion(h, framework, agent, "t1");
  ASSERT_EQ(ListedState(h, "t1"), v1::TASK_FINISHED);

  const size_t before = framework.sink->UpdatesFor("t1").size();
  for (const std::string agent_id : {agent.agent_id, std::string()}) {
    ASSERT_TRUE(h.Reconcile(framework, "t1", agent_id).ok());
    auto updates = framework.sink->UpdatesFor("t1");
    ASSERT_GT(updates.size(), before);
    const v1::TaskStatus& answer = updates.back();
    EXPECT_EQ(answer.state(), v1::TASK_FINISHED) << agent_id;
    EXPECT_EQ(answer.reason(), v1::TaskStatus::REASON_RECONCILIATION);
    EXPECT_EQ(answer.source(), v1::TaskStatus::SOURCE_MASTER);
    EXPECT_TRUE(answer.uuid().empty());  // Nothing to acknowledge.
    EXPECT_EQ(answer.agent_id().value(), agent.agent_id);
  }
}

TEST(ReconcileTest, ImplicitReconciliationCoversActiveTasksOnly) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  RunToCompletion(h, framework, a, "done");
  h.Launch(framework, b, "live");
  const size_t done_before = framework.sink->UpdatesFor("done").size();
  const size_t live_before = framework.sink->UpdatesFor("live").size();
  v1::ReconcileRequest request;
  *request.mutable_header() = framework.header();
  ASSERT_TRUE(h.core().Reconcile(request).ok());
  h.loop().RunUntilIdle();
  EXPECT_EQ(framework.sink->UpdatesFor("done").size(), done_before);
  ASSERT_EQ(framework.sink->UpdatesFor("live").size(), live_before + 1);
  EXPECT_EQ(framework.sink->UpdatesFor("live").back().state(), v1::TASK_STAGING);
}

TEST(ReconcileTest, ATaskThatAgedOutOfTheHistoryIsUnknown) {
  master::MasterOptions options = MasterHarness::DefaultOptions();
  options.max_completed_tasks_per_framework = 1;
  MasterHarness h(options);
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto a = h.RegisterAgent("host-a");
  auto b = h.RegisterAgent("host-b");
  RunToCompletion(h, framework, a, "t1");
  RunToCompletion(h, framework, b, "t2");  // Pushes t1 out of the history.
  ASSERT_TRUE(h.Reconcile(framework, "t1", a.agent_id).ok());
  ASSERT_TRUE(h.Reconcile(framework, "t2", b.agent_id).ok());
  EXPECT_EQ(framework.sink->UpdatesFor("t1").back().state(), v1::TASK_UNKNOWN);
  EXPECT_EQ(ListedState(h, "t1"), v1::TASK_STATE_UNSPECIFIED);  // Not listed either.
  EXPECT_EQ(framework.sink->UpdatesFor("t2").back().state(), v1::TASK_FINISHED);
}

TEST(ReconcileTest, AfterAMasterRestartACompletedTaskIsUnknown) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch", 100));
  auto agent = h.RegisterAgent("host-a");
  RunToCompletion(h, framework, agent, "t1");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "batch");
  ASSERT_EQ(again.framework_id, framework.framework_id);
  // The agent no longer reports the acknowledged task.
  auto back = h.Reregister(agent.info, {});
  ASSERT_TRUE(h.Reconcile(again, "t1", back.agent_id).ok());
  auto updates = again.sink->UpdatesFor("t1");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_UNKNOWN);
}

}  // namespace
}  // namespace agora::master
