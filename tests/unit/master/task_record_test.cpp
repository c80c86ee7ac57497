// Arena task records (task_record.hpp) in the task book, the completed
// history's bound and order, and the figures a published per-agent list
// keeps (task_chunk.hpp).
#include "master/task_record.hpp"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "master/state_sums.hpp"
#include "master/task_book.hpp"
#include "tests/unit/master/task_builders.hpp"

namespace agora::master {
namespace {

std::shared_ptr<v1::Task> Record(const std::string& framework, const std::string& id,
                                 const std::string& agent, const std::string& resources) {
  std::shared_ptr<v1::Task> task = NewTaskRecord();
  task->mutable_framework_id()->set_value(framework);
  task->mutable_task_id()->set_value(id);
  task->mutable_agent_id()->set_value(agent);
  task->set_role("r");
  task->set_state(v1::TASK_STAGING);
  *task->mutable_resources() = Resources::Parse(resources)->ToProto();
  return task;
}

v1::TaskStatus Status(const std::string& id, v1::TaskState state, const std::string& uuid) {
  v1::TaskStatus status = MakeStatus(id, state, uuid);
  status.set_message(std::string(200, 'm'));  // Not inline in the string.
  return status;
}

TEST(TaskRecordTest, ACopyIsAnEqualRecordInItsOwnArena) {
  std::shared_ptr<v1::Task> task = Record("f", "t", "a", "cpus:1;mem:64");
  ASSERT_NE(task->GetArena(), nullptr);
  std::shared_ptr<v1::Task> copy = CopyTaskRecord(*task);
  EXPECT_NE(copy->GetArena(), task->GetArena());
  EXPECT_EQ(copy->SerializeAsString(), task->SerializeAsString());
  task.reset();  // The copy outlives the original's arena.
  EXPECT_EQ(copy->task_id().value(), "t");
  EXPECT_FALSE(TaskRecordGrown(*copy));
}

TEST(TaskRecordTest, StatusesKeepTheLatestInOrderAndTheRecordStaysBounded) {
  TaskBook book(10);
  book.Add(Record("f", "t", "a", "cpus:1"));
  const int updates = 2000;
  for (int i = 0; i < updates; ++i)
    book.Update("f", Status("t", v1::TASK_RUNNING, absl::StrCat("u", i)));
  const v1::Task* task = book.Find("f", "t");
  ASSERT_NE(task, nullptr);
  ASSERT_EQ(task->statuses_size(), TaskBook::kMaxStatusesPerTask);
  for (int i = 0; i < TaskBook::kMaxStatusesPerTask; ++i) {
    EXPECT_EQ(task->statuses(i).uuid(),
              absl::StrCat("u", updates - TaskBook::kMaxStatusesPerTask + i));
  }
  EXPECT_EQ(task->status().uuid(), absl::StrCat("u", updates - 1));
  // 2,000 statuses of ~300 bytes each were recorded; the arena was renewed.
  ASSERT_NE(task->GetArena(), nullptr);
  EXPECT_LT(task->GetArena()->SpaceUsed(), 64u * 1024);
}

TEST(TaskRecordTest, CompletedHistoryKeepsTheNewestInOrderUpToItsBound) {
  TaskBook book(3);
  for (int i = 0; i < 5; ++i) {
    const std::string id = absl::StrCat("t", i);
    book.Add(Record("f", id, "a", "cpus:1"));
    book.Update("f", Status(id, v1::TASK_FINISHED, absl::StrCat("u", i)));
    ASSERT_TRUE(book.Acknowledge("f", id, absl::StrCat("u", i)));
  }
  book.Add(Record("g", "x", "a", "cpus:1"));
  book.Complete("g", "x");
  const auto& history = book.CompletedOf("f");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0]->task_id().value(), "t2");
  EXPECT_EQ(history[1]->task_id().value(), "t3");
  EXPECT_EQ(history[2]->task_id().value(), "t4");
  EXPECT_EQ(history[2]->state(), v1::TASK_FINISHED);
  EXPECT_EQ(book.FindCompleted("f", "t1"), nullptr);
  ASSERT_NE(book.FindCompleted("f", "t3"), nullptr);
  EXPECT_EQ(book.CompletedOf("g").size(), 1u);
  EXPECT_EQ(book.active_count(), 0u);
}

TEST(TaskRecordTest, AnEvictedTaskStaysReadableWhereItWasPublished) {
  TaskBook book(1);
  book.Add(Record("f", "t1", "a", "cpus:1"));
  book.Complete("f", "t1");
  std::vector<TaskBook::Shared> held = book.PublishCompleted();
  book.Add(Record("f", "t2", "a", "cpus:1"));
  book.Complete("f", "t2");  // Drops t1 from the history.
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0]->task_id().value(), "t1");
  EXPECT_EQ(book.CompletedOf("f").front()->task_id().value(), "t2");
}

// The sums of an agent's live tasks as GetState reports them.
Sums SumsOf(const std::vector<TaskBook::Chunk>& chunks) {
  StateSnapshot snapshot;
  snapshot.task_chunks = chunks;
  return SumUp(snapshot);
}

TEST(TaskChunkTest, SumsFollowTheChunkAcrossPublishAndRepublish) {
  TaskBook book(10);
  book.Add(Record("f", "t1", "a", "cpus:1;mem:100"));
  book.Add(Record("f", "t2", "a", "cpus:2;mem:200"));
  book.Add(Record("g", "t3", "b", "cpus:4"));
  std::vector<TaskBook::Chunk> first = book.PublishActiveChunks();
  ASSERT_EQ(first.size(), 2u);
  Sums sums = SumsOf(first);
  EXPECT_EQ(sums.agent["a"].tasks, 2u);
  EXPECT_EQ(sums.agent["a"].resources, *Resources::Parse("cpus:3;mem:300"));
  EXPECT_EQ(sums.framework["g"].resources, *Resources::Parse("cpus:4"));
  EXPECT_EQ(sums.role["r"].tasks, 3u);
  // Summing the same chunks again gives the same figures (kept per chunk).
  EXPECT_EQ(SumsOf(first).agent["a"].resources, *Resources::Parse("cpus:3;mem:300"));

  // t2 finishes: agent a's chunk is republished with new sums; b's is kept.
  book.Update("f", Status("t2", v1::TASK_FINISHED, "u2"));
  std::vector<TaskBook::Chunk> second = book.PublishActiveChunks();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_NE(second[0], first[0]);
  EXPECT_EQ(second[1], first[1]);
  Sums after = SumsOf(second);
  EXPECT_EQ(after.agent["a"].tasks, 1u);
  EXPECT_EQ(after.agent["a"].resources, *Resources::Parse("cpus:1;mem:100"));
  EXPECT_EQ(after.role["r"].tasks, 2u);
  // The old chunk, still held by an old snapshot, keeps its own figures.
  EXPECT_EQ(SumsOf(first).agent["a"].tasks, 2u);
}

}  // namespace
}  // namespace agora::master
