#include "agent/completed_tasks.hpp"

namespace agora::agent {

void CompletedTasks::Add(const v1::Task& task, const std::string& sandbox) {
  if (max_executors_ == 0 || max_tasks_per_executor_ == 0) return;
  const std::string& framework_id = task.framework_id().value();
  const std::string& executor_id = task.executor_id().value();
  Executor executor;
  for (auto it = executors_.begin(); it != executors_.end(); ++it) {
    if (it->framework_id == framework_id && it->executor_id == executor_id) {
      executor = std::move(*it);
      executors_.erase(it);
      break;
    }
  }
  executor.framework_id = framework_id;
  executor.executor_id = executor_id;
  executor.sandbox = sandbox;
  executor.tasks.push_back(task);
  while (executor.tasks.size() > max_tasks_per_executor_) executor.tasks.pop_front();
  executors_.push_back(std::move(executor));
  while (executors_.size() > max_executors_) executors_.pop_front();
}

const CompletedTasks::Executor* CompletedTasks::FindTask(const std::string& framework_id,
                                                         const std::string& task_id,
                                                         std::set<std::string>* frameworks) const {
  const Executor* newest = nullptr;
  for (auto it = executors_.rbegin(); it != executors_.rend(); ++it) {
    if (!framework_id.empty() && it->framework_id != framework_id) continue;
    for (const v1::Task& task : it->tasks) {
      if (task.task_id().value() != task_id) continue;
      if (newest == nullptr) newest = &*it;
      if (frameworks != nullptr) frameworks->insert(it->framework_id);
    }
  }
  return newest;
}

const CompletedTasks::Executor* CompletedTasks::FindExecutor(const std::string& framework_id,
                                                             const std::string& executor_id) const {
  for (auto it = executors_.rbegin(); it != executors_.rend(); ++it) {
    if (it->framework_id == framework_id && it->executor_id == executor_id) return &*it;
  }
  return nullptr;
}

}  // namespace agora::agent
