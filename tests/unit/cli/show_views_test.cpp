#include "cli/show_views.hpp"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Resource::SCALAR);
  r.set_scalar(value);
  return r;
}

v1::TaskStatus Status(v1::TaskState state, double time, const std::string& message) {
  v1::TaskStatus status;
  status.set_state(state);
  status.set_timestamp(time);
  status.set_message(message);
  status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  return status;
}

TEST(ShowViewsTest, TimestampsAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(0), "-");
  EXPECT_EQ(FormatTimestamp(1700000000.25), "2023-11-14T22:13:20.250Z");
}

TEST(ShowViewsTest, TaskShowsFieldsAndStatusHistoryOldestFirst) {
  v1::Task task;
  task.mutable_task_id()->set_value("job-0");
  task.set_name("job");
  task.mutable_framework_id()->set_value("fw-1");
  task.mutable_agent_id()->set_value("ag-1");
  task.set_state(v1::TASK_KILLED);
  task.set_role("*");
  *task.add_resources() = Scalar("cpus", 0.1);
  task.mutable_info()->mutable_command()->set_shell(true);
  task.mutable_info()->mutable_command()->set_value("sleep 100");
  *task.add_statuses() = Status(v1::TASK_RUNNING, 1700000000, "");
  v1::TaskStatus killed = Status(v1::TASK_KILLED, 1700000005, "Killed by signal 15");
  killed.set_reason(v1::TaskStatus::REASON_AGENT_DRAINING);
  *task.add_statuses() = killed;
  *task.mutable_status() = killed;
  const std::string text = TaskText(task, {});
  EXPECT_TRUE(absl::StrContains(text, "Task:       job-0\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "State:      KILLED\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Command:    sleep 100\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Message:    Killed by signal 15\n")) << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "Status history (oldest first):\n"
      "TIME                      STATE    SOURCE    REASON          MESSAGE\n"
      "2023-11-14T22:13:20.000Z  RUNNING  EXECUTOR  -               -\n"
      "2023-11-14T22:13:25.000Z  KILLED   EXECUTOR  AGENT_DRAINING  Killed by signal 15\n"))
      << text;
}

TEST(ShowViewsTest, RunningTaskShowsItsHealth) {
  v1::Task task;
  task.mutable_task_id()->set_value("web");
  task.set_state(v1::TASK_RUNNING);
  v1::TaskStatus running = Status(v1::TASK_RUNNING, 1700000000, "");
  running.set_has_healthy(true);
  running.set_healthy(true);
  *task.mutable_status() = running;
  EXPECT_TRUE(absl::StrContains(TaskText(task, {}), "Health:     healthy\n")) << TaskText(task, {});
}

TEST(ShowViewsTest, AgentShowsStatusResourcesAndItsTasks) {
  v1::AgentSummary agent;
  agent.mutable_info()->mutable_id()->set_value("ag-1");
  agent.mutable_info()->set_hostname("node1");
  agent.set_status(v1::AgentSummary::DRAINING);
  agent.set_connected(true);
  *agent.add_total() = Scalar("cpus", 4);
  *agent.add_allocated() = Scalar("cpus", 1);
  v1::GetTasksResponse tasks;
  v1::Task* task = tasks.add_tasks();
  task->mutable_task_id()->set_value("t-1");
  task->set_state(v1::TASK_RUNNING);
  const std::string text = AgentText(agent, tasks, {});
  EXPECT_TRUE(absl::StrContains(text, "Status:         DRAINING\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Total:          cpus:4\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Allocated:      cpus:1\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\nTasks:\nID   NAME  STATE"));
  EXPECT_TRUE(absl::StrContains(text, "t-1  -     RUNNING")) << text;
  EXPECT_TRUE(absl::StrContains(AgentText(agent, {}, {}), "\nTasks: none\n"));
}

TEST(ShowViewsTest, FrameworkSaysTornDownOrConnected) {
  v1::FrameworkSummary framework;
  framework.mutable_info()->mutable_id()->set_value("fw-1");
  framework.mutable_info()->set_name("batch");
  framework.mutable_info()->add_roles("eng");
  framework.set_connected(true);
  framework.set_active_tasks(2);
  framework.set_completed_tasks(5);
  std::string text = FrameworkText(framework, false, {}, {});
  EXPECT_TRUE(absl::StrContains(text, "State:             connected\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Tasks:             2 active, 5 completed\n")) << text;
  EXPECT_TRUE(absl::StrContains(FrameworkText(framework, true, {}, {}), "torn down"));
}

TEST(ShowViewsTest, WatchLinesSayWhatChanged) {
  v1::WatchEvent event;
  event.set_type(v1::WatchEvent::TASK_UPDATED);
  event.set_timestamp(1700000000);
  event.mutable_task()->mutable_task_id()->set_value("t-1");
  event.mutable_task()->mutable_framework_id()->set_value("fw-1");
  event.mutable_task()->mutable_agent_id()->set_value("ag-1");
  *event.mutable_status() = Status(v1::TASK_FINISHED, 1700000000, "Command exited with status 0");
  EXPECT_EQ(
      WatchLine(event),
      "2023-11-14T22:13:20.000Z  TASK_UPDATED       task t-1 FINISHED framework fw-1 agent ag-1"
      "  Command exited with status 0");
  v1::WatchEvent subscribed;
  subscribed.set_type(v1::WatchEvent::SUBSCRIBED);
  subscribed.mutable_snapshot()->mutable_master()->set_address("h:5050");
  subscribed.mutable_snapshot()->add_agents();
  EXPECT_EQ(WatchLine(subscribed),
            "-  SUBSCRIBED         master h:5050: 1 agents, 0 frameworks, 0 active tasks");
  v1::WatchEvent removed;
  removed.set_type(v1::WatchEvent::AGENT_REMOVED);
  removed.mutable_agent_id()->set_value("ag-2");
  EXPECT_EQ(WatchLine(removed), "-  AGENT_REMOVED      agent ag-2");
  v1::WatchEvent heartbeat;
  heartbeat.set_type(v1::WatchEvent::HEARTBEAT);
  EXPECT_EQ(WatchLine(heartbeat), "-  HEARTBEAT");
}

}  // namespace
}  // namespace agora::cli
