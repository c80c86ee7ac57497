// MasterCore: admitting an agent (registration and re-registration). The
// admission is committed to the registry first; then the agent's task report
// is reconciled with what the master knows (tasks added, states refreshed,
// missing ones dropped or gone, tasks of removed frameworks shut down) and
// the commands deferred while it was away are sent.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {

void MasterCore::AdmitAgent(uint64_t connection, const v1::AgentInfo& info, Resources total,
                            const std::string& version, bool reregister,
                            std::vector<ReportedTask> tasks) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  *op.mutable_agent()->mutable_info() = info;
  op.mutable_agent()->set_status(internal::AgentRecord::ADMITTED);
  FillMaintenance(info.id().value(), op.mutable_agent());
  // The admission is durable before the agent hears about it. A failed
  // write steps the master down (every stream closes; the agent retries
  // elsewhere).
  Persist({op}, [this, connection, info, total = std::move(total), version, reregister,
                 tasks = std::move(tasks)]() mutable {
    auto link = connections_.find(connection);
    if (link == connections_.end()) return;  // Stream gone; the agent retries.
    const std::string id = info.id().value();
    const absl::Time now = loop_->Now();
    auto& slot = agents_[id];
    const bool added = !slot;
    if (!slot) {
      slot = std::make_unique<Agent>();
      slot->registered_time = now;
    } else if (slot->sink && slot->connection != connection) {
      slot->sink->Close(absl::AbortedError("replaced by a newer connection of the same agent"));
      connection_agents_.erase(slot->connection);
    }
    Agent* agent = slot.get();
    const bool was_unreachable = !agent->reachable;
    const bool was_recovered = agent->recovered;
    if (agent->recovered) {
      agent->recovered = false;
      --recovering_agents_;
    }
    if (agent->registered_time == absl::Time()) agent->registered_time = now;
    agent->info = info;
    agent->total = std::move(total);
    agent->version = version;
    agent->sink = link->second;
    agent->connection = connection;
    agent->reachable = true;
    agent->missed_heartbeats = 0;
    if (reregister) agent->reregistered_time = now;
    connection_agents_[connection] = id;

    // Rebuild the agent's tasks from its report. Tasks of frameworks that
    // are neither live nor in the registry (removed while the agent was
    // away) are not resurrected: the agent is told to shut those down.
    std::set<std::string> unknown_frameworks;
    // The book's records of the reported tasks (one per reported id), and
    // the resources parsed in HandleReregister of those added from the
    // report, by record.
    std::vector<const v1::Task*> reported;
    std::vector<std::pair<const v1::Task*, const Resources*>> parsed;
    reported.reserve(tasks.size());
    parsed.reserve(tasks.size());
    for (ReportedTask& reported_task : tasks) {
      const v1::Task& task = *reported_task.record;
      const std::string& framework_id = task.framework_id().value();
      if (!frameworks_.count(framework_id)) {
        unknown_frameworks.insert(framework_id);
        continue;
      }
      v1::Task* known = tasks_.Find(framework_id, task.task_id().value());
      if (known == nullptr) {
        v1::Task& added = tasks_.Add(std::move(reported_task.record));
        reported.push_back(&added);
        parsed.emplace_back(&added, &reported_task.resources);
        // The framework heard TASK_UNREACHABLE (possibly from an earlier
        // master); tell it the task's real state.
        if (was_unreachable && !IsTerminalState(added.state())) {
          SendUpdate(std::string(framework_id),
                     MasterStatus(added, added.state(), v1::TaskStatus::REASON_UNSPECIFIED,
                                  "the agent re-registered"));
        }
        continue;
      }
      reported.push_back(known);
      const v1::TaskState before = known->state();
      if (!IsTerminalState(before)) known->set_state(task.state());
      if (task.has_status()) *known->mutable_status() = task.status();
      if (before == v1::TASK_UNREACHABLE) {
        SendUpdate(std::string(framework_id),
                   MasterStatus(*known, known->state(), v1::TaskStatus::REASON_UNSPECIFIED,
                                "the agent re-registered"));
      }
    }
    std::sort(reported.begin(), reported.end());
    std::vector<v1::Task*> active = tasks_.ActiveOnAgent(id);
    std::vector<v1::Task*> missing;
    for (v1::Task* task : active) {
      if (reregister && !IsTerminalState(task->state()) &&
          !std::binary_search(reported.begin(), reported.end(), task)) {
        missing.push_back(task);
      }
    }
    for (v1::Task* task : missing) {
      const std::string framework_id = task->framework_id().value();
      const std::string task_id = task->task_id().value();
      // Never received by the agent (launched while the agent was away, or
      // lost with its stream) versus lost after it started.
      v1::TaskState state = task->state() == v1::TASK_STAGING ? v1::TASK_DROPPED : v1::TASK_GONE;
      v1::TaskStatus status = MasterStatus(*task, state, v1::TaskStatus::REASON_AGENT_RESTARTED,
                                           "the re-registered agent does not have this task");
      tasks_.Update(framework_id, status);
      SendUpdate(framework_id, status);
      tasks_.Complete(framework_id, task_id);
    }
    // The allocator learns the agent with what its live tasks use (the
    // book is unchanged since `active` unless a task went missing), one
    // entry per framework and role: the allocator sums them anyway, and
    // each entry is copied for its thread.
    if (!missing.empty()) active = tasks_.ActiveOnAgent(id);
    std::sort(parsed.begin(), parsed.end());
    std::vector<ResourceUse> used;
    for (const v1::Task* task : active) {
      if (IsTerminalState(task->state())) continue;
      auto it = std::lower_bound(parsed.begin(), parsed.end(),
                                 std::make_pair(task, static_cast<const Resources*>(nullptr)));
      const bool from_report = it != parsed.end() && it->first == task;
      Resources resources = from_report ? *it->second : *Resources::FromProto(task->resources());
      const std::string& framework_id = task->framework_id().value();
      std::string role = TaskRole(*task);
      auto same = std::find_if(used.begin(), used.end(), [&](const ResourceUse& use) {
        return use.framework_id == framework_id && use.role == role;
      });
      if (same == used.end()) {
        used.push_back(ResourceUse{framework_id, std::move(role), std::move(resources)});
      } else {
        same->resources += resources;
      }
    }
    // Offers still out on a replaced connection would double-book resources
    // once the allocator re-learns the agent.
    RescindOffersOfAgent(id);
    if (agent->in_allocator) CheckAllocation(allocation_->RemoveAgent(id), "RemoveAgent");
    agent->in_allocator =
        CheckAllocation(allocation_->AddAgent(id, agent->total, used), "AddAgent");

    internal::MasterMessage reply;
    reply.set_type(reregister ? internal::MasterMessage::REREGISTERED
                              : internal::MasterMessage::REGISTERED);
    reply.mutable_registered()->mutable_agent_id()->set_value(id);
    reply.mutable_registered()->set_master_id(master_id_);
    reply.mutable_registered()->set_heartbeat_interval_seconds(
        absl::ToDoubleSeconds(options_.agent_heartbeat_interval));
    reply.mutable_registered()->set_max_missed_heartbeats(
        static_cast<uint32_t>(options_.max_missed_heartbeats));
    reply.mutable_registered()->set_accepts_status_update_batches(true);
    agent->sink->Send(std::move(reply));
    SendDeferredCommands(agent, unknown_frameworks);
    ApplyMaintenance(agent);
    PublishAgent(id, added ? v1::WatchEvent::AGENT_ADDED : v1::WatchEvent::AGENT_UPDATED);
    loop_->Cancel(agent->heartbeat_timer);
    agent->heartbeat_timer = loop_->RunAfter(options_.agent_heartbeat_interval,
                                             [this, id] { OnAgentHeartbeatTick(id); });
    // After a failover the whole fleet of recovered agents re-registers at
    // once: a glog line each was ~9 % of the new leader's loop at 10,000
    // agents (perf, 2026-12-01). Those lines are logged at --v=1 only; INFO
    // counts down every 1,000 agents and when the last one is back.
    if (!was_recovered || VLOG_IS_ON(1)) {
      LOG(INFO) << (reregister ? "Agent re-registered" : "Agent registered") << " agent_id=" << id
                << " hostname=" << info.hostname() << " resources=" << agent->total
                << (was_unreachable ? " (was unreachable)" : "")
                << (was_recovered ? " (recovered from the registry)" : "");
    }
    if (was_recovered && recovering_agents_ % 1000 == 0) {
      LOG(INFO) << "Recovered agents re-registering: " << recovering_agents_ << " of "
                << recovered_agents_total_ << " still to come (latest agent_id=" << id << ")";
    }
    RequestAllocation();
  });
}

void MasterCore::SendDeferredCommands(Agent* agent, const std::set<std::string>& unknown) {
  const std::string id = agent->info.id().value();
  for (const auto& framework_id : unknown) {
    LOG(INFO) << "Agent agent_id=" << id << " reported tasks of framework_id=" << framework_id
              << ", which was removed; shutting it down there";
    internal::MasterMessage message;
    message.set_type(internal::MasterMessage::SHUTDOWN_FRAMEWORK);
    message.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
    agent->sink->Send(std::move(message));
  }
  auto kills = std::move(agent->pending_kills);
  agent->pending_kills.clear();
  for (auto& [key, message] : kills) {
    const v1::Task* task = tasks_.Find(key.first, key.second);
    if (task == nullptr || IsTerminalState(task->state())) continue;
    LOG(INFO) << "Sending the kill deferred during the agent's absence task_id=" << key.second
              << " framework_id=" << key.first << " agent_id=" << id;
    agent->sink->Send(std::move(message));
  }
}

}  // namespace agora::master
