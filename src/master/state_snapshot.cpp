// The operator views: pure functions of a StateSnapshot, run off the loop.
#include "master/state_snapshot.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "master/state_sums.hpp"

namespace agora::master {
namespace {

constexpr uint32_t kDefaultPage = 1000;

void AddAgents(const StateSnapshot& snapshot, const Sums& sums,
               google::protobuf::RepeatedPtrField<v1::AgentSummary>* out) {
  out->Reserve(static_cast<int>(snapshot.agents.size()));
  for (const auto& shared : snapshot.agents) {
    v1::AgentSummary* summary = out->Add();
    *summary = *shared;
    SetFigures(sums, shared->info().id().value(), summary);
  }
}

void AddFrameworks(const StateSnapshot& snapshot, const Sums& sums,
                   google::protobuf::RepeatedPtrField<v1::FrameworkSummary>* out) {
  for (const v1::FrameworkSummary& framework : snapshot.frameworks) {
    v1::FrameworkSummary* summary = out->Add();
    *summary = framework;
    SetFigures(sums, framework.info().id().value(), summary);
  }
}

}  // namespace

size_t ActiveTaskCount(const StateSnapshot& snapshot) {
  size_t count = snapshot.tasks.size();
  for (const TaskBook::Chunk& chunk : snapshot.task_chunks) count += chunk->size();
  return count;
}

uint32_t PageLimit(const v1::PageRequest& page) {
  if (page.limit() == 0) return kDefaultPage;
  return std::min(page.limit(), kMaxPage);
}

v1::GetAgentsResponse AgentsView(const StateSnapshot& snapshot) {
  v1::GetAgentsResponse response;
  Sums sums = SumUp(snapshot);
  AddAgents(snapshot, sums, response.mutable_agents());
  *response.mutable_page() = snapshot.page;
  return response;
}

v1::GetFrameworksResponse FrameworksView(const StateSnapshot& snapshot) {
  v1::GetFrameworksResponse response;
  Sums sums = SumUp(snapshot);
  AddFrameworks(snapshot, sums, response.mutable_frameworks());
  for (const auto& summary : snapshot.completed_frameworks)
    *response.add_completed_frameworks() = summary;
  *response.mutable_page() = snapshot.page;
  return response;
}

absl::StatusOr<TaskPage> SelectTasks(const StateSnapshot& snapshot,
                                     const v1::GetTasksRequest& request) {
  for (int i = 0; i < request.states_size(); ++i) {
    if (!v1::TaskState_IsValid(request.states(i)) ||
        request.states(i) == v1::TASK_STATE_UNSPECIFIED) {
      return InvalidField(IndexedField("states", i), "not a task state");
    }
  }
  std::set<int> states(request.states().begin(), request.states().end());
  auto matches = [&](const v1::Task& task) {
    if (!request.framework_id().value().empty() &&
        task.framework_id().value() != request.framework_id().value())
      return false;
    if (!request.agent_id().value().empty() &&
        task.agent_id().value() != request.agent_id().value())
      return false;
    if (!request.task_id().value().empty() && task.task_id().value() != request.task_id().value())
      return false;
    return states.empty() || states.count(task.state()) > 0;
  };
  // Ordered by "<framework id>/<task id>" (completed lives: "#<nanos>"), the
  // paging key.
  std::vector<std::pair<std::string, const v1::Task*>> selected;
  ForEachActiveTask(snapshot, [&](const TaskBook::Shared& task) {
    if (matches(*task))
      selected.emplace_back(
          absl::StrCat(task->framework_id().value(), "/", task->task_id().value()), task.get());
  });
  for (const TaskBook::Shared& task : snapshot.completed_tasks) {
    if (matches(*task))
      selected.emplace_back(
          absl::StrCat(task->framework_id().value(), "/", task->task_id().value(), "#",
                       absl::ToInt64Nanoseconds(absl::Seconds(task->status().timestamp()))),
          task.get());
  }
  std::sort(selected.begin(), selected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  TaskPage page;
  const uint32_t limit = PageLimit(request.page());
  for (const auto& [key, task] : selected) {
    if (!request.page().after().empty() && key <= request.page().after()) continue;
    if (static_cast<uint32_t>(page.tasks.size()) == limit) break;
    page.tasks.push_back(task);
    page.page.set_next_after(key);
  }
  if (static_cast<uint32_t>(page.tasks.size()) < limit) page.page.clear_next_after();
  page.page.set_total(selected.size());
  return page;
}

absl::StatusOr<v1::GetTasksResponse> TasksView(const StateSnapshot& snapshot,
                                               const v1::GetTasksRequest& request) {
  absl::StatusOr<TaskPage> page = SelectTasks(snapshot, request);
  if (!page.ok()) return page.status();
  v1::GetTasksResponse response;
  response.mutable_tasks()->Reserve(static_cast<int>(page->tasks.size()));
  for (const v1::Task* task : page->tasks) *response.add_tasks() = *task;
  *response.mutable_page() = std::move(page->page);
  return response;
}

v1::GetOffersResponse OffersView(const StateSnapshot& snapshot) {
  v1::GetOffersResponse response;
  for (const v1::Offer& offer : snapshot.offers) *response.add_offers() = offer;
  return response;
}

v1::GetRolesResponse RolesView(const StateSnapshot& snapshot) {
  v1::GetRolesResponse response;
  Sums sums = SumUp(snapshot);
  AddRoles(snapshot, sums, response.mutable_roles());
  return response;
}

v1::MasterState StateView(const StateSnapshot& snapshot) {
  v1::MasterState state;
  *state.mutable_master() = snapshot.master;
  Sums sums = SumUp(snapshot);
  AddAgents(snapshot, sums, state.mutable_agents());
  AddFrameworks(snapshot, sums, state.mutable_frameworks());
  const std::vector<const v1::Task*> tasks = OrderedActiveTasks(snapshot);
  state.mutable_tasks()->Reserve(static_cast<int>(tasks.size()));
  for (const v1::Task* task : tasks) *state.add_tasks() = *task;
  for (const TaskBook::Shared& task : snapshot.completed_tasks)
    *state.add_completed_tasks() = *task;
  for (const v1::Offer& offer : snapshot.offers) *state.add_offers() = offer;
  AddRoles(snapshot, sums, state.mutable_roles());
  for (const v1::MasterInfo& info : snapshot.masters) *state.add_masters() = info;
  return state;
}

}  // namespace agora::master
