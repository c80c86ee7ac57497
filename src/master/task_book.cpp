#include "master/task_book.hpp"

#include <algorithm>

#include "common/task_state.hpp"
#include "master/task_record.hpp"

namespace agora::master {

v1::Task& TaskBook::Add(v1::Task task) { return Add(std::make_shared<v1::Task>(std::move(task))); }

v1::Task& TaskBook::Add(std::shared_ptr<v1::Task> task) {
  Key key{task->framework_id().value(), task->task_id().value()};
  if (active_.count(key)) Complete(key.first, key.second);
  AgentTasks& on_agent = by_agent_[task->agent_id().value()];
  on_agent.keys.insert(key);
  on_agent.published.reset();
  by_framework_[key.first].insert(key.second);
  if (task->info().has_executor())
    with_executor_[Key{task->agent_id().value(), key.first}].insert(key);
  ++by_agent_count_;
  Entry entry{std::move(task), false};
  v1::Task& added = *active_.emplace(std::move(key), std::move(entry)).first->second.task;
  if (observer_) observer_(added, nullptr);
  return added;
}

v1::Task* TaskBook::Mutable(Entry& entry) {
  if (entry.shared) {
    // A snapshot may be reading the published copy on another thread; the
    // agent's published list holds that copy, so it is stale now.
    auto agent = by_agent_.find(entry.task->agent_id().value());
    if (agent != by_agent_.end()) agent->second.published.reset();
    // An arena record stays one (and sheds what it lost to old statuses).
    entry.task = entry.task->GetArena() != nullptr ? CopyTaskRecord(*entry.task)
                                                   : std::make_shared<v1::Task>(*entry.task);
    entry.shared = false;
  }
  return entry.task.get();
}

TaskBook::Shared TaskBook::Share(Entry& entry) {
  entry.shared = true;
  return entry.task;
}

v1::Task* TaskBook::Find(const std::string& framework_id, const std::string& task_id) {
  auto it = active_.find(TaskKeyRef(framework_id, task_id));
  return it == active_.end() ? nullptr : Mutable(it->second);
}

const v1::Task* TaskBook::Find(const std::string& framework_id, const std::string& task_id) const {
  auto it = active_.find(TaskKeyRef(framework_id, task_id));
  return it == active_.end() ? nullptr : it->second.task.get();
}

const v1::Task* TaskBook::FindCompleted(const std::string& framework_id,
                                        const std::string& task_id) const {
  auto it = completed_.find(framework_id);
  if (it == completed_.end()) return nullptr;
  for (auto task = it->second.rbegin(); task != it->second.rend(); ++task) {
    if ((*task)->task_id().value() == task_id) return task->get();
  }
  return nullptr;
}

bool TaskBook::IsLive(const std::string& framework_id, const std::string& task_id) const {
  const v1::Task* task = Find(framework_id, task_id);
  return task != nullptr && !IsTerminalState(task->state());
}

TaskBook::UpdateResult TaskBook::Update(const std::string& framework_id,
                                        const v1::TaskStatus& status, v1::TaskState latest_state) {
  UpdateResult result;
  auto it = active_.find(TaskKeyRef(framework_id, status.task_id().value()));
  if (it == active_.end()) return result;
  Entry& entry = it->second;
  v1::Task* task = Mutable(entry);
  result.known = true;
  if (!status.uuid().empty()) {
    for (const auto& seen : task->statuses()) {
      if (seen.uuid() == status.uuid()) {
        result.duplicate = true;
        break;
      }
    }
  }
  v1::TaskState next = latest_state == v1::TASK_STATE_UNSPECIFIED ? status.state() : latest_state;
  // A terminal task stays terminal: a late non-terminal update (e.g. a
  // retried RUNNING after FINISHED was recorded) must not revive it.
  const bool was_terminal = IsTerminalState(task->state());
  if (!was_terminal) task->set_state(next);
  result.became_terminal = !was_terminal && IsTerminalState(task->state());
  if (!result.duplicate) {
    auto* statuses = task->mutable_statuses();
    if (statuses->size() < kMaxStatusesPerTask) {
      *statuses->Add() = status;
    } else {
      // The oldest status object becomes the newest: no allocation.
      std::rotate(statuses->pointer_begin(), statuses->pointer_begin() + 1,
                  statuses->pointer_end());
      *statuses->Mutable(statuses->size() - 1) = status;
    }
    *task->mutable_status() = status;
    // A record that changed for long has lost memory to replaced fields of
    // its statuses (an arena frees nothing before it goes): start afresh.
    if (TaskRecordGrown(*task)) {
      entry.task = CopyTaskRecord(*task);
      task = entry.task.get();
    }
    if (observer_) observer_(*task, &status);
  }
  result.task = task;
  return result;
}

bool TaskBook::Acknowledge(const std::string& framework_id, const std::string& task_id,
                           const std::string& uuid) {
  // One lookup, and only a read: a task handed to a snapshot is not copied
  // to be moved to the history.
  auto it = active_.find(TaskKeyRef(framework_id, task_id));
  if (it == active_.end()) return false;
  const v1::Task& task = *it->second.task;
  if (!IsTerminalState(task.state())) return false;
  if (!IsTerminalState(task.status().state()) || task.status().uuid() != uuid) return false;
  Complete(it);
  return true;
}

void TaskBook::Complete(const std::string& framework_id, const std::string& task_id) {
  auto it = active_.find(TaskKeyRef(framework_id, task_id));
  if (it != active_.end()) Complete(it);
}

void TaskBook::Complete(Active::iterator it) {
  const std::string& framework_id = it->first.first;
  const std::string& task_id = it->first.second;
  const v1::Task& record = *it->second.task;
  auto agent = by_agent_.find(record.agent_id().value());
  if (agent != by_agent_.end()) {
    agent->second.keys.erase(it->first);
    agent->second.published.reset();
    if (agent->second.keys.empty()) by_agent_.erase(agent);
  }
  auto framework = by_framework_.find(framework_id);
  if (framework != by_framework_.end()) {
    framework->second.erase(task_id);
    if (framework->second.empty()) by_framework_.erase(framework);
  }
  if (record.info().has_executor()) {  // Only those are indexed (see Add).
    auto executors = with_executor_.find(Key{record.agent_id().value(), framework_id});
    if (executors != with_executor_.end()) {
      executors->second.erase(it->first);
      if (executors->second.empty()) with_executor_.erase(executors);
    }
  }
  --by_agent_count_;
  // Completed tasks never change, so a shared one moves as it is.
  Shared task = std::move(it->second.task);
  active_.erase(it);
  PushCompleted(std::move(task));
}

void TaskBook::PushCompleted(Shared task) {
  if (max_completed_ == 0) return;
  auto& history = completed_[task->framework_id().value()];
  history.push_back(std::move(task));
  while (history.size() > max_completed_) history.pop_front();
}

std::vector<v1::Task*> TaskBook::ActiveOfFramework(const std::string& framework_id) {
  std::vector<v1::Task*> tasks;
  auto it = by_framework_.find(framework_id);
  if (it == by_framework_.end()) return tasks;
  for (const auto& task_id : it->second) tasks.push_back(Find(framework_id, task_id));
  return tasks;
}

std::vector<v1::Task*> TaskBook::ActiveOnAgent(const std::string& agent_id) {
  std::vector<v1::Task*> tasks;
  auto it = by_agent_.find(agent_id);
  if (it == by_agent_.end()) return tasks;
  for (const auto& key : it->second.keys) tasks.push_back(Mutable(active_.at(key)));
  return tasks;
}

std::vector<TaskBook::Shared> TaskBook::PublishActive() {
  // In (framework id, task id) order: by_framework_ holds that order.
  std::vector<Shared> tasks;
  tasks.reserve(active_.size());
  for (const auto& [framework_id, task_ids] : by_framework_) {
    for (const auto& task_id : task_ids)
      tasks.push_back(Share(active_.find(TaskKeyRef(framework_id, task_id))->second));
  }
  return tasks;
}

std::vector<TaskBook::Shared> TaskBook::PublishOfFramework(const std::string& framework_id) {
  std::vector<Shared> tasks;
  auto it = by_framework_.find(framework_id);
  if (it == by_framework_.end()) return tasks;
  for (const auto& task_id : it->second)
    tasks.push_back(Share(active_.find(TaskKeyRef(framework_id, task_id))->second));
  return tasks;
}

std::vector<TaskBook::Shared> TaskBook::PublishOnAgent(const std::string& agent_id) {
  std::vector<Shared> tasks;
  auto it = by_agent_.find(agent_id);
  if (it == by_agent_.end()) return tasks;
  for (const auto& key : it->second.keys) tasks.push_back(Share(active_.at(key)));
  return tasks;
}

std::vector<TaskBook::Chunk> TaskBook::PublishActiveChunks() {
  std::vector<Chunk> chunks;
  chunks.reserve(by_agent_.size());
  for (auto& [agent_id, on_agent] : by_agent_) {
    if (on_agent.published == nullptr) {
      std::vector<Shared> list;
      list.reserve(on_agent.keys.size());
      for (const Key& key : on_agent.keys) list.push_back(Share(active_.at(key)));
      on_agent.published = std::make_shared<const TaskChunk>(std::move(list));
    }
    chunks.push_back(on_agent.published);
  }
  return chunks;
}

std::vector<TaskBook::Shared> TaskBook::PublishTask(const std::string& framework_id,
                                                    const std::string& task_id) {
  auto it = active_.find(TaskKeyRef(framework_id, task_id));
  if (it == active_.end()) return {};
  return {Share(it->second)};
}

std::vector<TaskBook::Shared> TaskBook::PublishCompleted() const {
  std::vector<Shared> tasks;
  for (const auto& [framework_id, history] : completed_)
    tasks.insert(tasks.end(), history.begin(), history.end());
  return tasks;
}

std::set<std::string> TaskBook::LiveExecutorsOn(const std::string& agent_id,
                                                const std::string& framework_id) const {
  std::set<std::string> executors;
  if (with_executor_.empty()) return executors;  // Asked per offer: no key built.
  auto it = with_executor_.find(Key{agent_id, framework_id});
  if (it == with_executor_.end()) return executors;
  for (const Key& key : it->second) {
    const v1::Task& task = *active_.at(key).task;
    if (!IsTerminalState(task.state())) executors.insert(task.executor_id().value());
  }
  return executors;
}

std::vector<const v1::Task*> TaskBook::AllActive() const {
  std::vector<const v1::Task*> tasks;
  tasks.reserve(active_.size());
  for (const auto& [framework_id, task_ids] : by_framework_) {
    for (const auto& task_id : task_ids)
      tasks.push_back(active_.find(TaskKeyRef(framework_id, task_id))->second.task.get());
  }
  return tasks;
}

const std::deque<TaskBook::Shared>& TaskBook::CompletedOf(const std::string& framework_id) const {
  static const std::deque<Shared> kEmpty;
  auto it = completed_.find(framework_id);
  return it == completed_.end() ? kEmpty : it->second;
}

std::vector<std::string> TaskBook::FrameworksWithHistory() const {
  std::vector<std::string> ids;
  for (const auto& [id, history] : completed_) ids.push_back(id);
  return ids;
}

void TaskBook::ForgetFramework(const std::string& framework_id) { completed_.erase(framework_id); }

std::map<v1::TaskState, size_t> TaskBook::CountByState() const {
  std::map<v1::TaskState, size_t> counts;
  for (const auto& [key, entry] : active_) ++counts[entry.task->state()];
  return counts;
}

}  // namespace agora::master
