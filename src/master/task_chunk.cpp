// Published per-agent task lists and their figures (task_chunk.hpp).
#include "master/task_chunk.hpp"

#include "common/task_state.hpp"

namespace agora::master {
namespace {

void Merge(const std::vector<std::pair<std::string, Use>>& from,
           std::unordered_map<std::string, Use>* into) {
  for (const auto& [key, use] : from) {
    Use& total = (*into)[key];
    total.tasks += use.tasks;
    total.resources += use.resources;
  }
}

}  // namespace

void AddTask(const v1::Task& task, Sums* sums) {
  if (IsTerminalState(task.state())) return;
  auto r = Resources::FromProto(task.resources());
  for (Use* use : {&sums->agent[task.agent_id().value()],
                   &sums->framework[task.framework_id().value()], &sums->role[task.role()]}) {
    ++use->tasks;
    if (r.ok()) use->resources += *r;
  }
}

void TaskChunk::AddSumsTo(Sums* sums) const {
  absl::call_once(sums_once_, [this] {
    Sums own;
    for (const Shared& task : tasks_) AddTask(*task, &own);
    sums_.agent.assign(own.agent.begin(), own.agent.end());
    sums_.framework.assign(own.framework.begin(), own.framework.end());
    sums_.role.assign(own.role.begin(), own.role.end());
  });
  Merge(sums_.agent, &sums->agent);
  Merge(sums_.framework, &sums->framework);
  Merge(sums_.role, &sums->role);
}

void TaskChunk::CacheTaskSizes() const {
  absl::call_once(sizes_once_, [this] {
    for (const Shared& task : tasks_) task->ByteSizeLong();
  });
}

}  // namespace agora::master
