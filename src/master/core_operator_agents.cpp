// MasterCore: agent maintenance by operators (deactivate, reactivate, drain,
// mark gone). Maintenance state lives on the
// Agent record, is written to the registry with every PUT_AGENT (so an
// admission never loses it) and is recovered with the agent: a master that
// takes over mid-drain keeps the agent out of allocation and kills what is
// still running once the agent re-registers.
#include "absl/strings/str_cat.h"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

size_t LiveTasks(const std::vector<v1::Task*>& tasks) {
  size_t live = 0;
  for (const v1::Task* task : tasks) live += IsTerminalState(task->state()) ? 0 : 1;
  return live;
}

// Each maintenance write puts the agent's whole record (status and
// maintenance) so that it reads back as it is now.
internal::Operation PutAgent(const v1::AgentInfo& info, bool reachable, double unreachable_time) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  *op.mutable_agent()->mutable_info() = info;
  op.mutable_agent()->set_status(reachable ? internal::AgentRecord::ADMITTED
                                           : internal::AgentRecord::UNREACHABLE);
  if (!reachable) op.mutable_agent()->set_status_time(unreachable_time);
  return op;
}

}  // namespace

absl::StatusOr<MasterCore::Agent*> MasterCore::OperatorAgent(const std::string& agent_id) {
  if (auto s = ValidateId("agent_id", agent_id); !s.ok()) return s;
  if (gone_agents_.count(agent_id)) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "agent_id",
                      absl::StrCat("agent ", agent_id, " was marked gone"));
  }
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return FieldError(absl::StatusCode::kNotFound, "agent_id",
                      absl::StrCat("agent ", agent_id, " is not known"));
  }
  return it->second.get();
}

void MasterCore::FillMaintenance(const std::string& agent_id, internal::AgentRecord* record) const {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  const Agent& agent = *it->second;
  record->set_deactivated(agent.deactivated);
  record->set_draining(agent.draining);
  record->set_drain_grace_period_seconds(agent.drain_grace_seconds);
  record->set_drain_mark_gone(agent.drain_mark_gone);
}

void MasterCore::RecoverMaintenance(const internal::AgentRecord& record, Agent* agent) {
  agent->deactivated = record.deactivated();
  agent->draining = record.draining();
  agent->drain_grace_seconds = record.drain_grace_period_seconds();
  agent->drain_mark_gone = record.drain_mark_gone();
}

v1::AgentSummary::Status MasterCore::AgentStatus(const Agent& agent) const {
  if (!agent.reachable) return v1::AgentSummary::UNREACHABLE;
  if (agent.recovered) return v1::AgentSummary::RECOVERING;
  if (agent.draining) {
    const auto tasks = const_cast<TaskBook&>(tasks_).ActiveOnAgent(agent.info.id().value());
    return LiveTasks(tasks) > 0 ? v1::AgentSummary::DRAINING : v1::AgentSummary::DRAINED;
  }
  if (agent.deactivated) return v1::AgentSummary::DEACTIVATED;
  return v1::AgentSummary::ACTIVE;
}

void MasterCore::ApplyMaintenance(Agent* agent) {
  if (!agent->deactivated && !agent->draining) return;
  const std::string id = agent->info.id().value();
  if (agent->in_allocator)
    CheckAllocation(allocation_->SetAgentActive(id, false), "SetAgentActive");
  RescindOffersOfAgent(id);
  if (agent->draining) {
    KillForDrain(agent);
    MaybeFinishDrain(agent);
  }
}

void MasterCore::KillForDrain(Agent* agent) {
  for (const v1::Task* task : tasks_.ActiveOnAgent(agent->info.id().value())) {
    if (!IsTerminalState(task->state())) SendKill(*task, agent->drain_grace_seconds, true);
  }
}

void MasterCore::MaybeFinishDrain(Agent* agent) {
  if (!agent->draining || agent->recovered) return;
  const std::string agent_id = agent->info.id().value();
  if (LiveTasks(tasks_.ActiveOnAgent(agent_id)) > 0) return;
  LOG(INFO) << "Agent drained agent_id=" << agent_id;
  PublishAgent(agent_id, v1::WatchEvent::AGENT_UPDATED);
  if (!agent->drain_mark_gone) return;
  agent->drain_mark_gone = false;  // Asked once.
  MarkAgentGone(agent_id, [agent_id](const absl::Status& status) {
    if (!status.ok()) LOG(ERROR) << "Could not mark drained agent_id=" << agent_id << " gone";
  });
}

void MasterCore::DeactivateAgent(const std::string& agent_id, OperatorDone done) {
  CountMessage("operator_deactivate_agent");
  auto agent = OperatorAgent(agent_id);
  if (!agent.ok()) return done(agent.status());
  (*agent)->deactivated = true;
  internal::Operation op =
      PutAgent((*agent)->info, (*agent)->reachable, UnixSeconds((*agent)->unreachable_time));
  FillMaintenance(agent_id, op.mutable_agent());
  PersistThen(
      {op},
      [this, agent_id] {
        auto it = agents_.find(agent_id);
        if (it == agents_.end()) return;
        LOG(INFO) << "Agent deactivated agent_id=" << agent_id;
        ApplyMaintenance(it->second.get());
        PublishAgent(agent_id, v1::WatchEvent::AGENT_UPDATED);
      },
      std::move(done));
}

void MasterCore::ReactivateAgent(const std::string& agent_id, OperatorDone done) {
  CountMessage("operator_reactivate_agent");
  auto agent = OperatorAgent(agent_id);
  if (!agent.ok()) return done(agent.status());
  Agent* a = *agent;
  a->deactivated = false;
  a->draining = false;
  a->drain_grace_seconds = 0;
  a->drain_mark_gone = false;
  internal::Operation op = PutAgent(a->info, a->reachable, UnixSeconds(a->unreachable_time));
  FillMaintenance(agent_id, op.mutable_agent());
  PersistThen(
      {op},
      [this, agent_id] {
        auto it = agents_.find(agent_id);
        if (it == agents_.end()) return;
        Agent* agent = it->second.get();
        if (agent->deactivated || agent->draining) return;  // Changed again meanwhile.
        LOG(INFO) << "Agent reactivated agent_id=" << agent_id;
        if (agent->in_allocator && agent->sink && agent->reachable) {
          CheckAllocation(allocation_->SetAgentActive(agent_id, true), "SetAgentActive");
        }
        PublishAgent(agent_id, v1::WatchEvent::AGENT_UPDATED);
        RequestAllocation();
      },
      std::move(done));
}

void MasterCore::DrainAgent(const v1::DrainAgentRequest& request, OperatorDone done) {
  CountMessage("operator_drain_agent");
  const std::string agent_id = request.agent_id().value();
  auto agent = OperatorAgent(agent_id);
  if (!agent.ok()) return done(agent.status());
  if (auto s = ValidateNonNegative("grace_period_seconds", request.grace_period_seconds()); !s.ok())
    return done(s);
  Agent* a = *agent;
  a->draining = true;
  a->drain_grace_seconds = request.grace_period_seconds();
  a->drain_mark_gone = request.mark_gone();
  internal::Operation op = PutAgent(a->info, a->reachable, UnixSeconds(a->unreachable_time));
  FillMaintenance(agent_id, op.mutable_agent());
  PersistThen(
      {op},
      [this, agent_id] {
        auto it = agents_.find(agent_id);
        if (it == agents_.end() || !it->second->draining) return;
        LOG(INFO) << "Draining agent agent_id=" << agent_id
                  << " grace_period_seconds=" << it->second->drain_grace_seconds
                  << " mark_gone=" << it->second->drain_mark_gone;
        ApplyMaintenance(it->second.get());
        PublishAgent(agent_id, v1::WatchEvent::AGENT_UPDATED);
      },
      std::move(done));
}

void MasterCore::MarkAgentGone(const std::string& agent_id, OperatorDone done) {
  CountMessage("operator_mark_agent_gone");
  if (auto s = ValidateId("agent_id", agent_id); !s.ok()) return done(s);
  if (gone_agents_.count(agent_id)) return done(absl::OkStatus());
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return done(FieldError(absl::StatusCode::kNotFound, "agent_id",
                           absl::StrCat("agent ", agent_id, " is not known")));
  }
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  *op.mutable_agent()->mutable_info() = it->second->info;
  op.mutable_agent()->set_status(internal::AgentRecord::GONE);
  op.mutable_agent()->set_status_time(UnixSeconds(loop_->Now()));
  PersistThen(
      {op}, [this, agent_id] { RemoveGoneAgent(agent_id); }, std::move(done));
}

void MasterCore::RemoveGoneAgent(const std::string& agent_id) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  Agent* agent = it->second.get();
  RescindOffersOfAgent(agent_id);
  std::vector<std::pair<std::string, std::string>> keys;
  for (v1::Task* task : tasks_.ActiveOnAgent(agent_id)) {
    const std::string framework_id = task->framework_id().value();
    keys.emplace_back(framework_id, task->task_id().value());
    if (IsTerminalState(task->state())) continue;
    v1::TaskStatus status =
        MasterStatus(*task, v1::TASK_GONE_BY_OPERATOR, v1::TaskStatus::REASON_AGENT_REMOVED,
                     "the agent was marked gone by an operator");
    tasks_.Update(framework_id, status);
    SendUpdate(framework_id, status);
  }
  for (const auto& [framework_id, task_id] : keys) tasks_.Complete(framework_id, task_id);
  // Forgetting the agent frees everything allocated on it.
  if (agent->in_allocator) CheckAllocation(allocation_->RemoveAgent(agent_id), "RemoveAgent");
  loop_->Cancel(agent->heartbeat_timer);
  if (agent->sink) {
    internal::MasterMessage shutdown;
    shutdown.set_type(internal::MasterMessage::SHUTDOWN);
    shutdown.mutable_shutdown()->set_reason("agent was marked gone");
    agent->sink->Send(std::move(shutdown));
    agent->sink->Close(absl::OkStatus());
    connection_agents_.erase(agent->connection);
  }
  if (agent->recovered) --recovering_agents_;
  agents_.erase(it);
  gone_agents_.insert(agent_id);
  PublishAgent(agent_id, v1::WatchEvent::AGENT_REMOVED);
  LOG(INFO) << "Agent marked gone agent_id=" << agent_id << "; " << keys.size()
            << " of its tasks are TASK_GONE_BY_OPERATOR";
  RequestAllocation();
}

}  // namespace agora::master
