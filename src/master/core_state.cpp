// MasterCore: operator views (state snapshots, lists with paging) and metrics.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

constexpr uint32_t kDefaultPage = 1000;
constexpr uint32_t kMaxPage = 10000;

uint32_t PageLimit(const v1::PageRequest& page) {
  if (page.limit() == 0) return kDefaultPage;
  return std::min(page.limit(), kMaxPage);
}

}  // namespace

v1::MasterInfo MasterCore::master_info() const {
  v1::MasterInfo info;
  info.set_id(master_id_);
  info.set_address(master_address_);
  info.set_hostname(options_.hostname);
  info.mutable_version()->set_version(AGORA_VERSION_STRING);
  info.set_start_time(UnixSeconds(start_time_));
  info.set_elected_time(UnixSeconds(start_time_));
  info.set_http_address(http_address_);
  return info;
}

v1::AgentSummary MasterCore::AgentSummaryOf(const Agent& agent) const {
  const std::string& id = agent.info.id().value();
  v1::AgentSummary result;
  v1::AgentSummary* summary = &result;
  *summary->mutable_info() = agent.info;
  summary->set_status(AgentStatus(agent));
  summary->set_connected(agent.sink != nullptr);
  *summary->mutable_total() = agent.total.ToProto();
  Resources allocated;
  uint32_t active = 0;
  for (const v1::Task* task : const_cast<TaskBook&>(tasks_).ActiveOnAgent(id)) {
    if (IsTerminalState(task->state())) continue;
    ++active;
    if (auto r = Resources::FromProto(task->resources()); r.ok()) allocated += *r;
  }
  Resources offered;
  for (const auto& offer : agent.offers) offered += offers_.at(offer)->view.resources;
  *summary->mutable_allocated() = allocated.ToProto();
  *summary->mutable_offered() = offered.ToProto();
  summary->set_active_tasks(active);
  summary->set_registered_time(UnixSeconds(agent.registered_time));
  if (agent.reregistered_time != absl::Time())
    summary->set_reregistered_time(UnixSeconds(agent.reregistered_time));
  if (!agent.reachable) summary->set_unreachable_time(UnixSeconds(agent.unreachable_time));
  summary->set_version(agent.version);
  return result;
}

v1::FrameworkSummary MasterCore::FrameworkSummaryOf(const Framework& framework) const {
  const std::string& id = framework.info.id().value();
  v1::FrameworkSummary result;
  v1::FrameworkSummary* summary = &result;
  *summary->mutable_info() = framework.info;
  summary->set_connected(framework.connected);
  summary->set_active(framework.connected);
  summary->set_registered_time(UnixSeconds(framework.registered_time));
  if (framework.reregistered_time != absl::Time())
    summary->set_reregistered_time(UnixSeconds(framework.reregistered_time));
  if (!framework.connected) {
    summary->set_unregistered_time(UnixSeconds(framework.unregistered_time));
    absl::Duration timeout = framework.info.failover_timeout() > 0
                                 ? absl::Seconds(framework.info.failover_timeout())
                                 : options_.framework_failover_timeout_default;
    summary->set_failover_deadline(UnixSeconds(framework.unregistered_time + timeout));
  }
  Resources allocated;
  uint32_t active = 0;
  for (const v1::Task* task : const_cast<TaskBook&>(tasks_).ActiveOfFramework(id)) {
    if (IsTerminalState(task->state())) continue;
    ++active;
    if (auto r = Resources::FromProto(task->resources()); r.ok()) allocated += *r;
  }
  Resources offered;
  for (const auto& offer : framework.offers) offered += offers_.at(offer)->view.resources;
  *summary->mutable_allocated() = allocated.ToProto();
  *summary->mutable_offered() = offered.ToProto();
  summary->set_active_tasks(active);
  summary->set_completed_tasks(static_cast<uint32_t>(tasks_.CompletedOf(id).size()));
  for (const auto& role : framework.suppressed_roles) summary->add_suppressed_roles(role);
  return result;
}

v1::GetAgentsResponse MasterCore::GetAgents(const v1::GetAgentsRequest& request) const {
  v1::GetAgentsResponse response;
  const uint32_t limit = PageLimit(request.page());
  auto it = request.page().after().empty() ? agents_.begin()
                                           : agents_.upper_bound(request.page().after());
  for (; it != agents_.end(); ++it) {
    if (static_cast<uint32_t>(response.agents_size()) == limit) {
      response.mutable_page()->set_next_after(response.agents().rbegin()->info().id().value());
      break;
    }
    *response.add_agents() = AgentSummaryOf(*it->second);
  }
  response.mutable_page()->set_total(agents_.size());
  return response;
}

v1::GetFrameworksResponse MasterCore::GetFrameworks(const v1::GetFrameworksRequest& request) const {
  v1::GetFrameworksResponse response;
  const uint32_t limit = PageLimit(request.page());
  auto it = request.page().after().empty() ? frameworks_.begin()
                                           : frameworks_.upper_bound(request.page().after());
  for (; it != frameworks_.end(); ++it) {
    if (static_cast<uint32_t>(response.frameworks_size()) == limit) {
      response.mutable_page()->set_next_after(response.frameworks().rbegin()->info().id().value());
      break;
    }
    *response.add_frameworks() = FrameworkSummaryOf(*it->second);
  }
  response.mutable_page()->set_total(frameworks_.size());
  if (request.include_completed()) {
    for (const auto& summary : completed_frameworks_)
      *response.add_completed_frameworks() = summary;
  }
  return response;
}

absl::StatusOr<v1::GetTasksResponse> MasterCore::GetTasks(
    const v1::GetTasksRequest& request) const {
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
  // Ordered by "<framework id>/<task id>", the paging key.
  std::vector<std::pair<std::string, const v1::Task*>> selected;
  for (const v1::Task* task : tasks_.AllActive()) {
    if (matches(*task))
      selected.emplace_back(
          absl::StrCat(task->framework_id().value(), "/", task->task_id().value()), task);
  }
  if (request.include_completed()) {
    for (const auto& framework_id : tasks_.FrameworksWithHistory()) {
      for (const auto& task : tasks_.CompletedOf(framework_id)) {
        if (matches(task))
          selected.emplace_back(
              absl::StrCat(framework_id, "/", task.task_id().value(), "#",
                           absl::ToInt64Nanoseconds(absl::Seconds(task.status().timestamp()))),
              &task);
      }
    }
  }
  std::sort(selected.begin(), selected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  v1::GetTasksResponse response;
  const uint32_t limit = PageLimit(request.page());
  for (const auto& [key, task] : selected) {
    if (!request.page().after().empty() && key <= request.page().after()) continue;
    if (static_cast<uint32_t>(response.tasks_size()) == limit) {
      break;
    }
    *response.add_tasks() = *task;
    response.mutable_page()->set_next_after(key);
  }
  if (static_cast<uint32_t>(response.tasks_size()) < limit)
    response.mutable_page()->clear_next_after();
  response.mutable_page()->set_total(selected.size());
  return response;
}

v1::GetOffersResponse MasterCore::GetOffers(const v1::GetOffersRequest& request) const {
  v1::GetOffersResponse response;
  for (const auto& [id, offer] : offers_) {
    if (!request.framework_id().value().empty() &&
        offer->view.framework_id != request.framework_id().value())
      continue;
    if (!request.agent_id().value().empty() && offer->view.agent_id != request.agent_id().value())
      continue;
    *response.add_offers() = offer->offer;
  }
  return response;
}

v1::GetRolesResponse MasterCore::GetRoles() const {
  std::map<std::string, v1::RoleSummary> roles;
  for (const auto& [id, framework] : frameworks_) {
    for (const auto& role : framework->info.roles()) {
      v1::RoleSummary& summary = roles[role];
      summary.set_name(role);
      summary.set_weight(1);
      summary.add_frameworks()->set_value(id);
    }
  }
  FillRolePolicy(&roles);
  std::map<std::string, Resources> allocated;
  for (const v1::Task* task : tasks_.AllActive()) {
    if (IsTerminalState(task->state())) continue;
    if (auto r = Resources::FromProto(task->resources()); r.ok()) allocated[task->role()] += *r;
  }
  std::map<std::string, Resources> offered;
  for (const auto& [id, offer] : offers_)
    offered[offer->offer.allocation_role()] += offer->view.resources;
  const std::map<std::string, double> shares = allocation_->DominantShares();
  v1::GetRolesResponse response;
  for (auto& [name, summary] : roles) {
    *summary.mutable_allocated() = allocated[name].ToProto();
    *summary.mutable_offered() = offered[name].ToProto();
    double share = 0;
    for (const auto& framework : summary.frameworks()) {
      auto it = shares.find(framework.value());
      if (it != shares.end()) share = std::max(share, it->second);
    }
    summary.set_dominant_share(share);
    *response.add_roles() = summary;
  }
  return response;
}

v1::MasterState MasterCore::BuildState() const {
  v1::MasterState state;
  *state.mutable_master() = master_info();
  v1::GetAgentsRequest agents_request;
  agents_request.mutable_page()->set_limit(kMaxPage);
  *state.mutable_agents() = GetAgents(agents_request).agents();
  v1::GetFrameworksRequest frameworks_request;
  frameworks_request.mutable_page()->set_limit(kMaxPage);
  *state.mutable_frameworks() = GetFrameworks(frameworks_request).frameworks();
  for (const v1::Task* task : tasks_.AllActive()) *state.add_tasks() = *task;
  for (const auto& framework_id : tasks_.FrameworksWithHistory()) {
    for (const auto& task : tasks_.CompletedOf(framework_id)) *state.add_completed_tasks() = task;
  }
  for (const auto& [id, offer] : offers_) *state.add_offers() = offer->offer;
  *state.mutable_roles() = GetRoles().roles();
  return state;
}

MasterMetrics MasterCore::Metrics() const {
  MasterMetrics metrics;
  metrics.counters = counters_;
  for (const auto& [id, agent] : agents_) {
    ++metrics.agents_by_status[v1::AgentSummary::Status_Name(AgentStatus(*agent))];
    if (agent->recovered) ++metrics.agents_recovering;
    if (!agent->reachable) {
      ++metrics.agents_unreachable;
    } else if (agent->sink) {
      ++metrics.agents_connected;
    } else {
      ++metrics.agents_disconnected;
    }
  }
  for (const auto& [id, framework] : frameworks_) {
    if (framework->connected) {
      ++metrics.frameworks_connected;
    } else {
      ++metrics.frameworks_disconnected;
    }
  }
  metrics.offers_outstanding = offers_.size();
  metrics.roles = GetRoles();
  metrics.watch_subscribers = watchers_.size();
  metrics.watch_subscribers_dropped = watchers_.dropped();
  metrics.tasks_by_state = tasks_.CountByState();
  for (const auto& framework_id : tasks_.FrameworksWithHistory())
    metrics.tasks_completed += tasks_.CompletedOf(framework_id).size();
  return metrics;
}

}  // namespace agora::master
