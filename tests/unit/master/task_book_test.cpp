#include "master/task_book.hpp"

#include <gtest/gtest.h>

#include "tests/unit/master/task_builders.hpp"

namespace agora::master {
namespace {

TEST(TaskBookTest, TracksLatestStateAndReportsTerminalOnce) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  EXPECT_TRUE(book.IsLive("f", "t"));
  auto running = book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  EXPECT_TRUE(running.known);
  EXPECT_FALSE(running.became_terminal);
  EXPECT_EQ(book.Find("f", "t")->state(), v1::TASK_RUNNING);
  auto finished = book.Update("f", MakeStatus("t", v1::TASK_FINISHED, "u2"));
  EXPECT_TRUE(finished.became_terminal);
  // A retried update is a duplicate and does not free resources twice.
  auto again = book.Update("f", MakeStatus("t", v1::TASK_FINISHED, "u2"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.became_terminal);
  EXPECT_FALSE(book.IsLive("f", "t"));
  EXPECT_EQ(book.Find("f", "t")->statuses_size(), 2);
}

TEST(TaskBookTest, UpdateReturnsTheTaskItChanged) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  EXPECT_EQ(book.Update("f", MakeStatus("u", v1::TASK_RUNNING, "u1")).task, nullptr);
  // Published first: the update makes the task private, and returns that.
  auto published = book.PublishTask("f", "t");
  auto running = book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  ASSERT_NE(running.task, nullptr);
  EXPECT_NE(running.task, published[0].get());
  EXPECT_EQ(running.task->state(), v1::TASK_RUNNING);
  EXPECT_EQ(published[0]->state(), v1::TASK_STAGING);
  EXPECT_EQ(running.task, book.Find("f", "t"));
  auto again = book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.task, book.Find("f", "t"));
}

TEST(TaskBookTest, LatestStateWinsOverTheUpdateBeingDelivered) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  auto result = book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"), v1::TASK_FINISHED);
  EXPECT_TRUE(result.became_terminal);
  EXPECT_EQ(book.Find("f", "t")->state(), v1::TASK_FINISHED);
}

TEST(TaskBookTest, LateNonTerminalUpdateDoesNotReviveATask) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  book.Update("f", MakeStatus("t", v1::TASK_FAILED, "u2"));
  book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  EXPECT_EQ(book.Find("f", "t")->state(), v1::TASK_FAILED);
}

TEST(TaskBookTest, KeepsTheHealthOfTheLatestStatusForGetTasks) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  EXPECT_FALSE(book.Find("f", "t")->status().has_healthy());
  v1::TaskStatus healthy = MakeStatus("t", v1::TASK_RUNNING, "u2");
  healthy.set_has_healthy(true);
  healthy.set_healthy(true);
  book.Update("f", healthy);
  v1::TaskStatus unhealthy = MakeStatus("t", v1::TASK_RUNNING, "u3");
  unhealthy.set_has_healthy(true);
  unhealthy.set_healthy(false);
  book.Update("f", unhealthy);
  const v1::Task* task = book.Find("f", "t");
  EXPECT_EQ(task->state(), v1::TASK_RUNNING);
  EXPECT_TRUE(task->status().has_healthy());
  EXPECT_FALSE(task->status().healthy());
  EXPECT_EQ(task->statuses_size(), 3);
}

TEST(TaskBookTest, AcknowledgedTerminalTaskMovesToBoundedHistory) {
  TaskBook book(2);
  for (const char* id : {"t1", "t2", "t3"}) {
    book.Add(MakeTask("f", id, "a"));
    book.Update("f", MakeStatus(id, v1::TASK_FINISHED, std::string("u-") + id));
    EXPECT_FALSE(book.Acknowledge("f", id, "wrong-uuid"));
    EXPECT_TRUE(book.Acknowledge("f", id, std::string("u-") + id));
  }
  EXPECT_EQ(book.active_count(), 0u);
  ASSERT_EQ(book.CompletedOf("f").size(), 2u);
  EXPECT_EQ(book.CompletedOf("f").front()->task_id().value(), "t2");
}

TEST(TaskBookTest, AcknowledgingANonTerminalUpdateKeepsTheTask) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  book.Update("f", MakeStatus("t", v1::TASK_RUNNING, "u1"));
  EXPECT_FALSE(book.Acknowledge("f", "t", "u1"));
  EXPECT_NE(book.Find("f", "t"), nullptr);
}

TEST(TaskBookTest, IndexesByAgentAndFramework) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t1", "a"));
  book.Add(MakeTask("f", "t2", "b"));
  book.Add(MakeTask("g", "t1", "a"));
  EXPECT_EQ(book.ActiveOnAgent("a").size(), 2u);
  EXPECT_EQ(book.ActiveOfFramework("f").size(), 2u);
  book.Complete("f", "t1");
  EXPECT_EQ(book.ActiveOnAgent("a").size(), 1u);
  EXPECT_EQ(book.CountByState()[v1::TASK_STAGING], 2u);
}

TEST(TaskBookTest, LiveExecutorsOnAnAgentAreThoseOfNonTerminalTasksWithAnExecutor) {
  TaskBook book(10);
  auto with_executor = [](v1::Task task, const std::string& executor) {
    task.mutable_executor_id()->set_value(executor);
    task.mutable_info()->mutable_executor()->mutable_executor_id()->set_value(executor);
    return task;
  };
  book.Add(with_executor(MakeTask("f", "t1", "a"), "e1"));
  book.Add(with_executor(MakeTask("f", "t2", "a"), "e1"));
  book.Add(with_executor(MakeTask("f", "t3", "a"), "e2"));
  book.Add(with_executor(MakeTask("f", "t4", "b"), "e3"));  // another agent
  book.Add(with_executor(MakeTask("g", "t5", "a"), "e4"));  // another framework
  book.Add(MakeTask("f", "t6", "a"));                       // a command task
  EXPECT_EQ(book.LiveExecutorsOn("a", "f"), (std::set<std::string>{"e1", "e2"}));
  book.Update("f", MakeStatus("t3", v1::TASK_FINISHED, "u3"));  // terminal, not yet acknowledged
  EXPECT_EQ(book.LiveExecutorsOn("a", "f"), (std::set<std::string>{"e1"}));
  book.Complete("f", "t1");
  EXPECT_EQ(book.LiveExecutorsOn("a", "f"), (std::set<std::string>{"e1"}));
  book.Complete("f", "t2");
  EXPECT_TRUE(book.LiveExecutorsOn("a", "f").empty());
  EXPECT_TRUE(book.LiveExecutorsOn("c", "f").empty());
}

TEST(TaskBookTest, RelaunchingATerminalIdReplacesIt) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t", "a"));
  book.Update("f", MakeStatus("t", v1::TASK_FAILED, "u1"));
  book.Add(MakeTask("f", "t", "b"));
  EXPECT_EQ(book.Find("f", "t")->agent_id().value(), "b");
  EXPECT_EQ(book.CompletedOf("f").size(), 1u);
  EXPECT_EQ(book.active_count(), 1u);
}

}  // namespace
TEST(TaskBookTest, PublishedTasksNeverChangeAfterwards) {
  TaskBook book(10);
  book.Add(MakeTask("f", "t1", "a"));
  book.Add(MakeTask("f", "t2", "a"));
  std::vector<TaskBook::Shared> snapshot = book.PublishActive();
  ASSERT_EQ(snapshot.size(), 2u);
  book.Update("f", MakeStatus("t1", v1::TASK_RUNNING, "u1"));
  book.Find("f", "t2")->set_role("changed");
  EXPECT_EQ(snapshot[0]->state(), v1::TASK_STAGING);
  EXPECT_EQ(snapshot[1]->role(), "");
  EXPECT_EQ(book.Find("f", "t1")->state(), v1::TASK_RUNNING);
  EXPECT_EQ(book.Find("f", "t2")->role(), "changed");
  // A task that did not change since is shared, not copied, by the next one.
  std::vector<TaskBook::Shared> next = book.PublishOnAgent("a");
  ASSERT_EQ(next.size(), 2u);
  EXPECT_NE(next[0].get(), snapshot[0].get());
  EXPECT_EQ(book.PublishTask("f", "t1").front().get(), next[0].get());
  EXPECT_TRUE(book.PublishTask("f", "unknown").empty());
  book.Complete("f", "t1");
  ASSERT_EQ(book.PublishCompleted().size(), 1u);
  EXPECT_EQ(book.PublishCompleted().front().get(), next[0].get());
}

}  // namespace agora::master
