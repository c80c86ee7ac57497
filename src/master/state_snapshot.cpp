// The operator views: pure functions of a StateSnapshot, run off the loop.
#include "master/state_snapshot.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"

namespace agora::master {
namespace {

constexpr uint32_t kDefaultPage = 1000;

// Resources and live tasks, summed per key.
struct Use {
  Resources resources;
  uint32_t tasks = 0;
};

// What the snapshot's live tasks use and its offers hold, per agent,
// framework and role: one pass, each task's resources parsed once.
struct Sums {
  std::unordered_map<std::string, Use> agent, framework, role;
  std::unordered_map<std::string, Resources> agent_offered, framework_offered, role_offered;
};

Sums SumUp(const StateSnapshot& snapshot) {
  Sums sums;
  ForEachActiveTask(snapshot, [&sums](const TaskBook::Shared& task) {
    if (IsTerminalState(task->state())) return;
    auto r = Resources::FromProto(task->resources());
    for (Use* use : {&sums.agent[task->agent_id().value()],
                     &sums.framework[task->framework_id().value()], &sums.role[task->role()]}) {
      ++use->tasks;
      if (r.ok()) use->resources += *r;
    }
  });
  for (const v1::Offer& offer : snapshot.offers) {
    auto r = Resources::FromProto(offer.resources());
    if (!r.ok()) continue;
    sums.agent_offered[offer.agent_id().value()] += *r;
    sums.framework_offered[offer.framework_id().value()] += *r;
    sums.role_offered[offer.allocation_role()] += *r;
  }
  return sums;
}

void AddAgents(const StateSnapshot& snapshot, Sums& sums,
               google::protobuf::RepeatedPtrField<v1::AgentSummary>* out) {
  out->Reserve(static_cast<int>(snapshot.agents.size()));
  for (const auto& shared : snapshot.agents) {
    v1::AgentSummary* summary = out->Add();
    *summary = *shared;
    const std::string& id = shared->info().id().value();
    const Use& use = sums.agent[id];
    *summary->mutable_allocated() = use.resources.ToProto();
    *summary->mutable_offered() = sums.agent_offered[id].ToProto();
    summary->set_active_tasks(use.tasks);
  }
}

void AddFrameworks(const StateSnapshot& snapshot, Sums& sums,
                   google::protobuf::RepeatedPtrField<v1::FrameworkSummary>* out) {
  for (const v1::FrameworkSummary& framework : snapshot.frameworks) {
    v1::FrameworkSummary* summary = out->Add();
    *summary = framework;
    const std::string& id = framework.info().id().value();
    const Use& use = sums.framework[id];
    *summary->mutable_allocated() = use.resources.ToProto();
    *summary->mutable_offered() = sums.framework_offered[id].ToProto();
    summary->set_active_tasks(use.tasks);
  }
}

void AddRoles(const StateSnapshot& snapshot, Sums& sums,
              google::protobuf::RepeatedPtrField<v1::RoleSummary>* out) {
  std::map<std::string, v1::RoleSummary> roles = snapshot.role_policy;
  for (const v1::FrameworkSummary& framework : snapshot.frameworks) {
    for (const auto& role : framework.info().roles()) {
      v1::RoleSummary& summary = roles[role];
      if (summary.name().empty()) {
        summary.set_name(role);
        summary.set_weight(1);
      }
      *summary.add_frameworks() = framework.info().id();
    }
  }
  for (auto& [name, summary] : roles) {
    *summary.mutable_allocated() = sums.role[name].resources.ToProto();
    *summary.mutable_offered() = sums.role_offered[name].ToProto();
    double share = 0;
    for (const auto& framework : summary.frameworks()) {
      auto it = snapshot.dominant_shares.find(framework.value());
      if (it != snapshot.dominant_shares.end()) share = std::max(share, it->second);
    }
    summary.set_dominant_share(share);
    *out->Add() = std::move(summary);
  }
}

// The snapshot's active tasks in (framework id, task id) order: `tasks` is
// in that order; per-agent lists are merged by sorting (off the loop) on
// keys gathered once, so comparisons do not chase each task's sub-messages.
std::vector<const v1::Task*> OrderedActiveTasks(const StateSnapshot& snapshot) {
  struct Keyed {
    absl::string_view framework_id;
    absl::string_view task_id;
    const v1::Task* task;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(ActiveTaskCount(snapshot));
  ForEachActiveTask(snapshot, [&keyed](const TaskBook::Shared& task) {
    keyed.push_back({task->framework_id().value(), task->task_id().value(), task.get()});
  });
  if (!snapshot.task_chunks.empty()) {
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
      const int framework = a.framework_id.compare(b.framework_id);
      return framework != 0 ? framework < 0 : a.task_id < b.task_id;
    });
  }
  std::vector<const v1::Task*> ordered;
  ordered.reserve(keyed.size());
  for (const Keyed& entry : keyed) ordered.push_back(entry.task);
  return ordered;
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

absl::StatusOr<v1::GetTasksResponse> TasksView(const StateSnapshot& snapshot,
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
  v1::GetTasksResponse response;
  const uint32_t limit = PageLimit(request.page());
  for (const auto& [key, task] : selected) {
    if (!request.page().after().empty() && key <= request.page().after()) continue;
    if (static_cast<uint32_t>(response.tasks_size()) == limit) break;
    *response.add_tasks() = *task;
    response.mutable_page()->set_next_after(key);
  }
  if (static_cast<uint32_t>(response.tasks_size()) < limit)
    response.mutable_page()->clear_next_after();
  response.mutable_page()->set_total(selected.size());
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
