// TaskBook's incremental publication (PublishActiveChunks): after any
// sequence of changes its per-agent lists hold exactly the tasks a full
// publication would, lists of unchanged agents are reused, and a list once
// published never changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "master/task_book.hpp"
#include "tests/unit/master/task_builders.hpp"

namespace agora::master {
namespace {

std::vector<TaskBook::Shared> Flatten(const std::vector<TaskBook::Chunk>& chunks) {
  std::vector<TaskBook::Shared> tasks;
  for (const auto& chunk : chunks) tasks.insert(tasks.end(), chunk->begin(), chunk->end());
  std::sort(tasks.begin(), tasks.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a->framework_id().value(), a->task_id().value()) <
           std::make_pair(b->framework_id().value(), b->task_id().value());
  });
  return tasks;
}

std::vector<std::string> Serialized(const std::vector<TaskBook::Chunk>& chunks) {
  std::vector<std::string> bytes;
  for (const auto& chunk : chunks)
    for (const auto& task : *chunk) bytes.push_back(task->SerializeAsString());
  return bytes;
}

TEST(TaskBookChunksTest, IncrementalListsEqualAFullPublicationAfterRandomChanges) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    std::mt19937 random(seed);
    TaskBook book(/*max_completed_per_framework=*/5);
    std::vector<std::pair<std::string, std::string>> known;  // (framework, task)
    std::vector<TaskBook::Chunk> held;                       // The last snapshot's lists.
    std::vector<std::string> held_bytes;
    int next_id = 0, next_uuid = 0, snapshots = 0;
    for (int step = 0; step < 3000; ++step) {
      const int op = static_cast<int>(random() % 6);
      if (op == 0 || known.empty()) {
        std::string framework = absl::StrCat("f", random() % 4);
        std::string id = absl::StrCat("t", next_id++);
        book.Add(MakeTask(framework, id, absl::StrCat("a", random() % 25)));
        known.emplace_back(framework, id);
        continue;
      }
      const auto& [framework, id] = known[random() % known.size()];
      if (op == 1) {
        const v1::TaskState state = random() % 4 == 0 ? v1::TASK_FINISHED : v1::TASK_RUNNING;
        book.Update(framework, MakeStatus(id, state, absl::StrCat("u", next_uuid++)));
      } else if (op == 2) {
        book.Complete(framework, id);
      } else if (op == 3) {
        if (v1::Task* task = book.Find(framework, id)) task->set_name(absl::StrCat("n", step));
      } else {
        // A snapshot: the lists equal a full publication, pointer for
        // pointer, and the previous snapshot's lists did not change.
        std::vector<TaskBook::Chunk> chunks = book.PublishActiveChunks();
        std::vector<TaskBook::Shared> full = book.PublishActive();
        std::vector<TaskBook::Shared> flat = Flatten(chunks);
        ASSERT_EQ(flat.size(), full.size()) << "step " << step;
        for (size_t i = 0; i < full.size(); ++i) ASSERT_EQ(flat[i], full[i]) << "step " << step;
        EXPECT_EQ(book.active_count(), full.size());
        ASSERT_EQ(Serialized(held), held_bytes) << "a published list changed, step " << step;
        held = chunks;
        held_bytes = Serialized(chunks);
        ++snapshots;
      }
    }
    EXPECT_GT(snapshots, 100);
  }
}

TEST(TaskBookChunksTest, OnlyTheChangedAgentsListIsRebuilt) {
  TaskBook book(5);
  for (int agent = 0; agent < 3; ++agent)
    for (int i = 0; i < 2; ++i)
      book.Add(MakeTask("f", absl::StrCat("t", agent, "-", i), absl::StrCat("a", agent)));
  std::vector<TaskBook::Chunk> first = book.PublishActiveChunks();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(book.PublishActiveChunks(), first);  // Nothing changed: the same lists.

  book.Update("f", MakeStatus("t1-0", v1::TASK_RUNNING, "u1"));
  std::vector<TaskBook::Chunk> second = book.PublishActiveChunks();
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0], first[0]);
  EXPECT_NE(second[1], first[1]);
  EXPECT_EQ(second[2], first[2]);
  EXPECT_EQ((*first[1])[0]->state(), v1::TASK_STAGING);  // The old list is unchanged.
  EXPECT_EQ((*second[1])[0]->state(), v1::TASK_RUNNING);

  // An agent whose last task completes has no list; a new task adds one.
  book.Complete("f", "t2-0");
  book.Complete("f", "t2-1");
  EXPECT_EQ(book.PublishActiveChunks().size(), 2u);
  book.Add(MakeTask("f", "t3-0", "a3"));
  std::vector<TaskBook::Chunk> third = book.PublishActiveChunks();
  ASSERT_EQ(third.size(), 3u);
  EXPECT_EQ(third[0], first[0]);
  EXPECT_EQ(third[2]->size(), 1u);
}

}  // namespace
}  // namespace agora::master
