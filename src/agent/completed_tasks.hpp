// CompletedTasks: the agent's bounded memory of tasks it has forgotten
// (terminal, acknowledged, executor gone), grouped by executor with the
// executor's sandbox, so that the operator API still lists them and still
// reads their sandbox files -- `agora logs` after a failure.
//
// Bounded: at most `max_executors` executors (the oldest dropped first),
// at most `max_tasks_per_executor` tasks each (the oldest dropped first).
// Lost on restart (the sandboxes stay; they can still be named by
// framework and executor id). A plain value owned by the agent's loop; not
// thread-safe.
#ifndef AGORA_AGENT_COMPLETED_TASKS_HPP_
#define AGORA_AGENT_COMPLETED_TASKS_HPP_

#include <cstddef>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"

namespace agora::agent {

class CompletedTasks {
 public:
  struct Executor {
    std::string framework_id;
    std::string executor_id;
    std::string sandbox;
    std::deque<v1::Task> tasks;  // Oldest first.
  };

  CompletedTasks(size_t max_executors, size_t max_tasks_per_executor)
      : max_executors_(max_executors), max_tasks_per_executor_(max_tasks_per_executor) {}

  // Records `task` (its framework and executor ids name its executor) and
  // the executor's sandbox. The executor becomes the newest.
  void Add(const v1::Task& task, const std::string& sandbox);

  // The newest executor that ran task `task_id` of `framework_id` (any
  // framework if empty), or null. The frameworks of every executor that
  // ran it are added to `frameworks` (if set).
  const Executor* FindTask(const std::string& framework_id, const std::string& task_id,
                           std::set<std::string>* frameworks = nullptr) const;
  const Executor* FindExecutor(const std::string& framework_id,
                               const std::string& executor_id) const;

  // Oldest first.
  const std::deque<Executor>& executors() const { return executors_; }

 private:
  size_t max_executors_;
  size_t max_tasks_per_executor_;
  std::deque<Executor> executors_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_COMPLETED_TASKS_HPP_
