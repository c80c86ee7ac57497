// Re-registration after a master restart: the agent's report rebuilds its
// tasks (each reported task copied once, its resources parsed once), the
// allocator learns what they use, malformed tasks are ignored, and a second
// re-registration reconciles against the tasks the first one rebuilt.
// Driven on the manual clock through MasterHarness.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/resources.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

v1::Task ReportedTask(const MasterHarness::AgentConn& agent, const std::string& framework_id,
                      const std::string& task_id, const std::string& resources) {
  v1::Task task;
  task.set_name(task_id);
  task.mutable_task_id()->set_value(task_id);
  task.mutable_framework_id()->set_value(framework_id);
  *task.mutable_agent_id() = agent.info.id();
  *task.mutable_resources() = Resources::Parse(resources)->ToProto();
  task.set_state(v1::TASK_RUNNING);
  return task;
}

// The scalar `name` of the latest offer `scheduler` holds for `agent_id`
// (-1 if it holds none).
double Offered(const MasterHarness::Scheduler& scheduler, const std::string& agent_id,
               const std::string& name) {
  double amount = -1;
  for (const auto& event : scheduler.sink->events) {
    if (event.type() != v1::Event::OFFERS) continue;
    for (const auto& offer : event.offers().offers()) {
      if (offer.agent_id().value() != agent_id) continue;
      amount = 0;
      for (const auto& resource : offer.resources()) {
        if (resource.name() == name) amount += resource.scalar();
      }
    }
  }
  return amount;
}

TEST(ReregisterTest, ReportedTasksAreRebuiltAndTheirResourcesAreNotOffered) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service", 3600));
  auto agent = h.RegisterAgent("host-a", "cpus:4;mem:4096");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");

  v1::Task malformed = ReportedTask(agent, framework.framework_id, "t-bad", "cpus:1");
  malformed.mutable_resources(0)->set_scalar(-1);
  auto back = h.Reregister(
      agent.info, {ReportedTask(agent, framework.framework_id, "t1", "cpus:1;mem:128"), malformed,
                   ReportedTask(agent, framework.framework_id, "t2", "cpus:1.5;mem:256")});
  ASSERT_EQ(back.sink->Count(internal::MasterMessage::REREGISTERED), 1);
  h.AdvanceWithHeartbeats(absl::Seconds(2), {back});

  EXPECT_EQ(h.TaskState("t1"), v1::TASK_RUNNING);
  EXPECT_EQ(h.TaskState("t2"), v1::TASK_RUNNING);
  EXPECT_EQ(h.TaskState("t-bad"), v1::TASK_STATE_UNSPECIFIED);
  v1::GetTasksRequest request;
  auto tasks = h.core().GetTasks(request);
  ASSERT_TRUE(tasks.ok());
  for (const auto& task : tasks->tasks()) {
    EXPECT_EQ(task.agent_id().value(), agent.agent_id) << task.task_id().value();
  }
  // Both tasks (one framework, one role) are the allocator's used
  // resources on the agent; the rest is offered.
  EXPECT_DOUBLE_EQ(Offered(again, agent.agent_id, "cpus"), 1.5);
  EXPECT_DOUBLE_EQ(Offered(again, agent.agent_id, "mem"), 4096 - 128 - 256);
}

TEST(ReregisterTest, ASecondReregistrationReconcilesAgainstTheRebuiltTasks) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("service", 3600));
  auto agent = h.RegisterAgent("host-a", "cpus:4;mem:4096");
  ASSERT_TRUE(h.Restart().ok());
  auto again = h.Resubscribe(framework.framework_id, "service");
  v1::Task t1 = ReportedTask(agent, framework.framework_id, "t1", "cpus:1;mem:128");
  v1::Task t2 = ReportedTask(agent, framework.framework_id, "t2", "cpus:2;mem:512");
  auto first = h.Reregister(agent.info, {t1, t2});
  ASSERT_EQ(first.sink->Count(internal::MasterMessage::REREGISTERED), 1);

  // The agent comes back on a new stream with t1 finished and t2 gone.
  t1.set_state(v1::TASK_FINISHED);
  auto second = h.Reregister(agent.info, {t1});
  ASSERT_EQ(second.sink->Count(internal::MasterMessage::REREGISTERED), 1);
  EXPECT_TRUE(first.sink->closed);
  h.AdvanceWithHeartbeats(absl::Seconds(2), {second});

  EXPECT_EQ(h.TaskState("t1"), v1::TASK_FINISHED);
  auto t2_updates = again.sink->UpdatesFor("t2");
  ASSERT_FALSE(t2_updates.empty());
  EXPECT_EQ(t2_updates.back().state(), v1::TASK_GONE);
  EXPECT_EQ(t2_updates.back().reason(), v1::TaskStatus::REASON_AGENT_RESTARTED);
  // Neither task uses anything any more: the whole agent is offered.
  EXPECT_DOUBLE_EQ(Offered(again, agent.agent_id, "cpus"), 4);
  EXPECT_DOUBLE_EQ(Offered(again, agent.agent_id, "mem"), 4096);
}

}  // namespace
}  // namespace agora::master
