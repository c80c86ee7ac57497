// MasterCore: operator views (state snapshots, lists with paging) and metrics.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "master/core_types.hpp"
#include "master/state_snapshot.hpp"

namespace agora::master {

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

std::shared_ptr<const v1::AgentSummary> MasterCore::AgentBase(Agent& agent) const {
  const AgentSummaryKey& key = agent.summary_key;
  const v1::AgentSummary::Status status = AgentStatus(agent);
  if (agent.summary != nullptr && key.status == status && key.total == agent.total &&
      key.version == agent.version && key.sink == agent.sink.get() &&
      key.connection == agent.connection && key.reachable == agent.reachable &&
      key.recovered == agent.recovered && key.registered_time == agent.registered_time &&
      key.reregistered_time == agent.reregistered_time &&
      key.unreachable_time == agent.unreachable_time) {
    return agent.summary;
  }
  auto summary = std::make_shared<v1::AgentSummary>();
  *summary->mutable_info() = agent.info;
  summary->set_status(status);
  summary->set_connected(agent.sink != nullptr);
  *summary->mutable_total() = agent.total.ToProto();
  summary->set_registered_time(UnixSeconds(agent.registered_time));
  if (agent.reregistered_time != absl::Time())
    summary->set_reregistered_time(UnixSeconds(agent.reregistered_time));
  if (!agent.reachable) summary->set_unreachable_time(UnixSeconds(agent.unreachable_time));
  summary->set_version(agent.version);
  agent.summary = std::move(summary);
  agent.summary_key = AgentSummaryKey{status,
                                      agent.total,
                                      agent.version,
                                      agent.sink.get(),
                                      agent.connection,
                                      agent.reachable,
                                      agent.recovered,
                                      agent.registered_time,
                                      agent.reregistered_time,
                                      agent.unreachable_time};
  return agent.summary;
}

v1::FrameworkSummary MasterCore::FrameworkBase(const Framework& framework) const {
  v1::FrameworkSummary summary;
  *summary.mutable_info() = framework.info;
  summary.set_connected(framework.connected);
  summary.set_active(framework.connected);
  summary.set_registered_time(UnixSeconds(framework.registered_time));
  if (framework.reregistered_time != absl::Time())
    summary.set_reregistered_time(UnixSeconds(framework.reregistered_time));
  if (!framework.connected) {
    summary.set_unregistered_time(UnixSeconds(framework.unregistered_time));
    absl::Duration timeout = framework.info.failover_timeout() > 0
                                 ? absl::Seconds(framework.info.failover_timeout())
                                 : options_.framework_failover_timeout_default;
    summary.set_failover_deadline(UnixSeconds(framework.unregistered_time + timeout));
  }
  summary.set_completed_tasks(
      static_cast<uint32_t>(tasks_.CompletedOf(framework.info.id().value()).size()));
  for (const auto& role : framework.suppressed_roles) summary.add_suppressed_roles(role);
  return summary;
}

// One agent's or framework's full summary (Watch events): the views of a
// snapshot of just it.
v1::AgentSummary MasterCore::AgentSummaryOf(Agent& agent) {
  StateSnapshot snapshot;
  snapshot.agents.push_back(AgentBase(agent));
  snapshot.tasks = tasks_.PublishOnAgent(agent.info.id().value());
  for (const auto& offer : agent.offers) snapshot.offers.push_back(offers_.at(offer)->offer);
  return AgentsView(snapshot).agents(0);
}

v1::FrameworkSummary MasterCore::FrameworkSummaryOf(const Framework& framework) {
  StateSnapshot snapshot;
  snapshot.frameworks.push_back(FrameworkBase(framework));
  snapshot.tasks = tasks_.PublishOfFramework(framework.info.id().value());
  for (const auto& offer : framework.offers) snapshot.offers.push_back(offers_.at(offer)->offer);
  return FrameworksView(snapshot).frameworks(0);
}

// Everything, for GetState, GetRoles and /state: the loop's share is a
// summary per agent and framework, a copy per offer, and a list of tasks
// per agent (rebuilt only for agents whose tasks changed).
std::shared_ptr<const StateSnapshot> MasterCore::SnapshotState(
    std::vector<v1::MasterInfo> masters) {
  auto snapshot = std::make_shared<StateSnapshot>();
  snapshot->master = master_info();
  snapshot->masters = std::move(masters);
  snapshot->agents.reserve(agents_.size());
  for (auto& [id, agent] : agents_) snapshot->agents.push_back(AgentBase(*agent));
  for (const auto& [id, framework] : frameworks_)
    snapshot->frameworks.push_back(FrameworkBase(*framework));
  snapshot->task_chunks = tasks_.PublishActiveChunks();
  snapshot->completed_tasks = tasks_.PublishCompleted();
  snapshot->offers.reserve(offers_.size());
  for (const auto& [id, offer] : offers_) snapshot->offers.push_back(offer->offer);
  snapshot->dominant_shares = allocation_->DominantShares();
  FillRolePolicy(&snapshot->role_policy);
  return snapshot;
}

// One page of agents with their tasks and offers: O(page).
std::shared_ptr<const StateSnapshot> MasterCore::SnapshotAgents(
    const v1::GetAgentsRequest& request) {
  auto snapshot = std::make_shared<StateSnapshot>();
  const uint32_t limit = PageLimit(request.page());
  auto it = request.page().after().empty() ? agents_.begin()
                                           : agents_.upper_bound(request.page().after());
  for (; it != agents_.end(); ++it) {
    if (static_cast<uint32_t>(snapshot->agents.size()) == limit) {
      snapshot->page.set_next_after(snapshot->agents.back()->info().id().value());
      break;
    }
    Agent& agent = *it->second;
    snapshot->agents.push_back(AgentBase(agent));
    for (auto& task : tasks_.PublishOnAgent(it->first)) snapshot->tasks.push_back(std::move(task));
    for (const auto& offer : agent.offers) snapshot->offers.push_back(offers_.at(offer)->offer);
  }
  snapshot->page.set_total(agents_.size());
  return snapshot;
}

// One page of frameworks with their tasks and offers: O(page).
std::shared_ptr<const StateSnapshot> MasterCore::SnapshotFrameworks(
    const v1::GetFrameworksRequest& request) {
  auto snapshot = std::make_shared<StateSnapshot>();
  const uint32_t limit = PageLimit(request.page());
  auto it = request.page().after().empty() ? frameworks_.begin()
                                           : frameworks_.upper_bound(request.page().after());
  for (; it != frameworks_.end(); ++it) {
    if (static_cast<uint32_t>(snapshot->frameworks.size()) == limit) {
      snapshot->page.set_next_after(snapshot->frameworks.back().info().id().value());
      break;
    }
    const Framework& framework = *it->second;
    snapshot->frameworks.push_back(FrameworkBase(framework));
    for (auto& task : tasks_.PublishOfFramework(it->first))
      snapshot->tasks.push_back(std::move(task));
    for (const auto& offer : framework.offers) snapshot->offers.push_back(offers_.at(offer)->offer);
  }
  snapshot->page.set_total(frameworks_.size());
  if (request.include_completed()) {
    snapshot->completed_frameworks.assign(completed_frameworks_.begin(),
                                          completed_frameworks_.end());
  }
  return snapshot;
}

// The candidates of the request's narrowest filter (one task, an agent's,
// a framework's, or all): TasksView filters, sorts and pages them.
std::shared_ptr<const StateSnapshot> MasterCore::SnapshotTasks(const v1::GetTasksRequest& request) {
  auto snapshot = std::make_shared<StateSnapshot>();
  const std::string& framework_id = request.framework_id().value();
  const std::string& agent_id = request.agent_id().value();
  if (!framework_id.empty() && !request.task_id().value().empty()) {
    snapshot->tasks = tasks_.PublishTask(framework_id, request.task_id().value());
  } else if (!agent_id.empty()) {
    snapshot->tasks = tasks_.PublishOnAgent(agent_id);
  } else if (!framework_id.empty()) {
    snapshot->tasks = tasks_.PublishOfFramework(framework_id);
  } else {
    snapshot->task_chunks = tasks_.PublishActiveChunks();
  }
  if (request.include_completed()) {
    if (!framework_id.empty()) {
      const auto& history = tasks_.CompletedOf(framework_id);
      snapshot->completed_tasks.assign(history.begin(), history.end());
    } else {
      snapshot->completed_tasks = tasks_.PublishCompleted();
    }
  }
  return snapshot;
}

std::shared_ptr<const StateSnapshot> MasterCore::SnapshotOffers(
    const v1::GetOffersRequest& request) {
  auto snapshot = std::make_shared<StateSnapshot>();
  for (const auto& [id, offer] : offers_) {
    if (!request.framework_id().value().empty() &&
        offer->view.framework_id != request.framework_id().value())
      continue;
    if (!request.agent_id().value().empty() && offer->view.agent_id != request.agent_id().value())
      continue;
    snapshot->offers.push_back(offer->offer);
  }
  return snapshot;
}

v1::MasterState MasterCore::BuildState() { return StateView(*SnapshotState()); }

v1::GetAgentsResponse MasterCore::GetAgents(const v1::GetAgentsRequest& request) {
  return AgentsView(*SnapshotAgents(request));
}

v1::GetFrameworksResponse MasterCore::GetFrameworks(const v1::GetFrameworksRequest& request) {
  return FrameworksView(*SnapshotFrameworks(request));
}

absl::StatusOr<v1::GetTasksResponse> MasterCore::GetTasks(const v1::GetTasksRequest& request) {
  return TasksView(*SnapshotTasks(request), request);
}

v1::GetOffersResponse MasterCore::GetOffers(const v1::GetOffersRequest& request) {
  return OffersView(*SnapshotOffers(request));
}

v1::GetRolesResponse MasterCore::GetRoles() { return RolesView(*SnapshotState()); }

MasterMetrics MasterCore::Metrics() {
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
  metrics.state = SnapshotState();
  metrics.watch_subscribers = watchers_.size();
  metrics.watch_subscribers_dropped = watchers_.dropped();
  // tasks_by_state is counted from `state` by the renderer, off the loop
  // (a walk over every task would cost O(tasks) here).
  for (const auto& framework_id : tasks_.FrameworksWithHistory())
    metrics.tasks_completed += tasks_.CompletedOf(framework_id).size();
  metrics.registry_writes = registry_->write_stats();
  return metrics;
}

}  // namespace agora::master
