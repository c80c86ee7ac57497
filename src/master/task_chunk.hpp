// TaskChunk: one agent's active tasks as TaskBook publishes them for a full
// state snapshot (TaskBook::PublishActiveChunks), with what the state views
// compute from them once per chunk rather than once per query: the sums of
// the tasks' resources (per agent, framework and role) and the tasks'
// serialized sizes.
//
// Why: a chunk is immutable and stays the same object across snapshots
// until one of its agent's tasks changes, so a GetState re-sums and re-sizes
// only the agents whose tasks changed since the previous one. The figures
// are computed by the first state view that needs them (on its thread, off
// the master's loop) and kept with the chunk: they go when it goes.
//
// Thread-safe: immutable but for the figures, each computed exactly once
// (absl::call_once); read it and release it on any thread.
#ifndef AGORA_MASTER_TASK_CHUNK_HPP_
#define AGORA_MASTER_TASK_CHUNK_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "agora/v1/common.pb.h"
#include "common/resources.hpp"

namespace agora::master {

// Resources and live tasks, summed per key.
struct Use {
  Resources resources;
  uint32_t tasks = 0;
};

// What live tasks use and offers hold, per agent, framework and role.
struct Sums {
  std::unordered_map<std::string, Use> agent, framework, role;
  std::unordered_map<std::string, Resources> agent_offered, framework_offered, role_offered;
};

// Adds a live task's use to its agent's, framework's and role's (a terminal
// task uses nothing).
void AddTask(const v1::Task& task, Sums* sums);

class TaskChunk {
 public:
  using Shared = std::shared_ptr<const v1::Task>;

  // `tasks` in (framework id, task id) order.
  explicit TaskChunk(std::vector<Shared> tasks) : tasks_(std::move(tasks)) {}
  TaskChunk(const TaskChunk&) = delete;
  TaskChunk& operator=(const TaskChunk&) = delete;

  std::vector<Shared>::const_iterator begin() const { return tasks_.begin(); }
  std::vector<Shared>::const_iterator end() const { return tasks_.end(); }
  size_t size() const { return tasks_.size(); }
  bool empty() const { return tasks_.empty(); }
  const Shared& operator[](size_t i) const { return tasks_[i]; }

  // Adds the sums of the chunk's tasks to `sums` (computed on the first
  // call, on its thread).
  void AddSumsTo(Sums* sums) const;

  // Caches every task's serialized size in the task (protobuf's cached
  // size, for GetCachedSize()); the work is done on the first call only. A
  // published task never changes, so its size stays valid.
  void CacheTaskSizes() const;

 private:
  // The sums of the tasks: a few keys each (the agent, its tasks'
  // frameworks and roles).
  using Keyed = std::vector<std::pair<std::string, Use>>;
  struct Figures {
    Keyed agent, framework, role;
  };

  std::vector<Shared> tasks_;
  mutable absl::once_flag sums_once_;
  mutable Figures sums_;
  mutable absl::once_flag sizes_once_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_TASK_CHUNK_HPP_
