// MasterCore: the agent channel (registration, heartbeats, status updates,
// unreachable agents).
#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/link_batches.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

// The agent's resources, parsed, if `info` is valid.
absl::StatusOr<Resources> ValidateAgentInfo(const v1::AgentInfo& info, const std::string& field) {
  if (auto s = ValidateText(SubField(field, "hostname"), info.hostname(), 255, true); !s.ok())
    return s;
  return Resources::FromProto(info.resources(), SubField(field, "resources"));
}

// The checks a status update must pass before it is applied. The error
// names the member relative to the update ("status.task_id: ..."); callers
// prefix where the update was (built only on failure: this is per update).
absl::Status ValidateStatusUpdate(const internal::AgentMessage::StatusUpdate& update) {
  if (auto s = ValidateId("framework_id", update.framework_id().value()); !s.ok()) return s;
  if (auto s = ValidateId("status.task_id", update.status().task_id().value()); !s.ok()) return s;
  if (update.status().state() == v1::TASK_STATE_UNSPECIFIED)
    return InvalidField("status.state", "must be set");
  return absl::OkStatus();
}

}  // namespace

void MasterCore::OnAgentConnected(uint64_t connection, std::shared_ptr<AgentSink> sink) {
  DCHECK(loop_->IsInLoopThread());
  if (shut_down_) {
    sink->Close(absl::UnavailableError("master shutting down"));
    return;
  }
  connections_[connection] = std::move(sink);
}

absl::Status MasterCore::OnAgentMessage(uint64_t connection, internal::AgentMessage message) {
  DCHECK(loop_->IsInLoopThread());
  using internal::AgentMessage;
  auto mapped = connection_agents_.find(connection);
  Agent* agent = nullptr;
  if (mapped != connection_agents_.end()) {
    auto it = agents_.find(mapped->second);
    if (it != agents_.end() && it->second->connection == connection) {
      agent = it->second.get();
      agent->missed_heartbeats = 0;
    }
  }
  switch (message.type()) {
    case AgentMessage::REGISTER:
      CountMessage("agent_register");
      if (mapped != connection_agents_.end())
        return absl::FailedPreconditionError("this stream already registered");
      return HandleRegister(connection, message.register_());
    case AgentMessage::REREGISTER:
      CountMessage("agent_reregister");
      if (mapped != connection_agents_.end())
        return absl::FailedPreconditionError("this stream already registered");
      return HandleReregister(connection, message.mutable_reregister());
    case AgentMessage::TYPE_UNSPECIFIED:
      return InvalidField("type", "must be set");
    default:
      break;
  }
  if (agent == nullptr) {
    // Messages that race with registration are dropped; the agent retries.
    VLOG(1) << "Dropping agent message type=" << message.type() << " from an unregistered stream";
    return absl::OkStatus();
  }
  switch (message.type()) {
    case AgentMessage::HEARTBEAT:
      CountMessage("agent_heartbeat");
      return absl::OkStatus();
    case AgentMessage::STATUS_UPDATE:
      CountMessage("agent_status_update");
      ++counters_.agent_updates;
      if (auto s = ValidateStatusUpdate(message.status_update()); !s.ok()) {
        ++counters_.agent_updates_refused;
        LOG(WARNING) << "Ignoring malformed status update from agent_id="
                     << agent->info.id().value() << ": status_update." << s.message();
        return absl::OkStatus();
      }
      HandleStatusUpdate(agent, message.mutable_status_update());
      return absl::OkStatus();
    case AgentMessage::STATUS_UPDATES:
      CountMessage("agent_status_updates");
      HandleStatusUpdates(agent, &message);
      return absl::OkStatus();
    case AgentMessage::EXECUTOR_EXITED: {
      CountMessage("agent_executor_exited");
      v1::Event event;
      event.set_type(v1::Event::FAILURE);
      *event.mutable_failure()->mutable_agent_id() = agent->info.id();
      *event.mutable_failure()->mutable_executor_id() = message.executor_exited().executor_id();
      event.mutable_failure()->set_status(message.executor_exited().status());
      event.mutable_failure()->set_has_status(true);
      SendToFramework(message.executor_exited().framework_id().value(), std::move(event));
      return absl::OkStatus();
    }
    case AgentMessage::EXECUTOR_MESSAGE: {
      CountMessage("agent_executor_message");
      v1::Event event;
      event.set_type(v1::Event::MESSAGE);
      *event.mutable_message()->mutable_agent_id() = agent->info.id();
      *event.mutable_message()->mutable_executor_id() = message.executor_message().executor_id();
      event.mutable_message()->set_data(message.executor_message().data());
      SendToFramework(message.executor_message().framework_id().value(), std::move(event));
      return absl::OkStatus();
    }
    default:
      return InvalidField("type", absl::StrCat("unknown message type ", message.type()));
  }
}

absl::Status MasterCore::HandleRegister(uint64_t connection,
                                        const internal::AgentMessage::Register& reg) {
  if (!reg.agent_info().id().value().empty()) {
    return InvalidField("register.agent_info.id", "must be empty (use REREGISTER with an id)");
  }
  auto total = ValidateAgentInfo(reg.agent_info(), "register.agent_info");
  if (!total.ok()) return total.status();
  v1::AgentInfo info = reg.agent_info();
  info.mutable_id()->set_value(ids_->Next("agent"));
  AdmitAgent(connection, info, *std::move(total), reg.version(), /*reregister=*/false, {});
  return absl::OkStatus();
}

absl::Status MasterCore::HandleReregister(uint64_t connection,
                                          internal::AgentMessage::Reregister* message) {
  const internal::AgentMessage::Reregister& reg = *message;
  const std::string& id = reg.agent_info().id().value();
  if (auto s = ValidateId("reregister.agent_info.id", id); !s.ok()) return s;
  auto total = ValidateAgentInfo(reg.agent_info(), "reregister.agent_info");
  if (!total.ok()) return total.status();
  if (gone_agents_.count(id)) {
    internal::MasterMessage shutdown;
    shutdown.set_type(internal::MasterMessage::SHUTDOWN);
    shutdown.mutable_shutdown()->set_reason("agent was marked gone");
    connections_[connection]->Send(std::move(shutdown));
    connections_[connection]->Close(absl::OkStatus());
    return absl::OkStatus();
  }
  // Each task moves out of the message into the record the book will keep
  // (10,000 agents re-register at once after a failover at fleet scale). A
  // heap record: an arena record (task_record.hpp) took 1.7 times the CPU
  // to build here (bench/master_reregister_bench, callgrind).
  std::vector<ReportedTask> tasks;
  tasks.reserve(reg.tasks_size());
  for (int i = 0; i < reg.tasks_size(); ++i) {
    const v1::Task& task = reg.tasks(i);
    if (!ValidateId("framework_id", task.framework_id().value()).ok() ||
        !ValidateId("task_id", task.task_id().value()).ok()) {
      LOG(WARNING) << "Ignoring malformed task " << i << " reported by agent_id=" << id;
      continue;
    }
    auto resources = Resources::FromProto(task.resources());
    if (!resources.ok()) {
      LOG(WARNING) << "Ignoring malformed task " << i << " reported by agent_id=" << id;
      continue;
    }
    auto record = std::make_shared<v1::Task>(std::move(*message->mutable_tasks(i)));
    record->mutable_agent_id()->set_value(id);
    tasks.push_back(ReportedTask{std::move(record), *std::move(resources)});
  }
  AdmitAgent(connection, reg.agent_info(), *std::move(total), reg.version(), /*reregister=*/true,
             std::move(tasks));
  return absl::OkStatus();
}

void MasterCore::RelayAcknowledgement(const std::string& agent_id, const std::string& framework_id,
                                      const v1::TaskID& task_id, const std::string& uuid) {
  auto agent = agents_.find(agent_id);
  if (agent != agents_.end()) RelayAcknowledgement(*agent->second, framework_id, task_id, uuid);
}

void MasterCore::RelayAcknowledgement(Agent& agent, const std::string& framework_id,
                                      const v1::TaskID& task_id, const std::string& uuid) {
  if (!agent.sink) return;  // As SendToAgent: nothing to send it on.
  internal::MasterMessage message;
  message.set_type(internal::MasterMessage::ACKNOWLEDGE);
  auto* ack = message.mutable_acknowledge();
  ack->mutable_framework_id()->set_value(framework_id);
  *ack->mutable_task_id() = task_id;
  ack->set_uuid(uuid);
  agent.sink->Send(std::move(message));
}

void MasterCore::HandleStatusUpdates(Agent* agent, internal::AgentMessage* message) {
  const int size = message->status_updates_size();
  ++counters_.agent_update_batches;
  // The bound keeps one read's work on the loop bounded (the read budget
  // counts messages, and a batch is one).
  if (auto s = ValidateLinkBatchSize("status_updates", size); !s.ok()) {
    counters_.agent_updates_refused += std::max(size, 1);
    LOG(WARNING) << "Refusing a status update batch from agent_id=" << agent->info.id().value()
                 << ": " << s.message();
    return;
  }
  counters_.agent_updates += size;
  // Each entry is a whole update: the agent (or the connection) may be gone
  // after one (a removed framework's shutdown), so look it up again.
  const std::string agent_id = agent->info.id().value();
  for (int i = 0; i < size; ++i) {
    auto* update = message->mutable_status_updates(i);
    if (auto s = ValidateStatusUpdate(*update); !s.ok()) {
      ++counters_.agent_updates_refused;
      LOG(WARNING) << "Ignoring malformed status update from agent_id=" << agent_id
                   << ": status_updates[" << i << "]." << s.message();
      continue;
    }
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) return;
    HandleStatusUpdate(it->second.get(), update);
  }
}

// `update` passed ValidateStatusUpdate.
void MasterCore::HandleStatusUpdate(Agent* agent, internal::AgentMessage::StatusUpdate* update) {
  const std::string& framework_id = update->framework_id().value();
  // The status is read in place (with the agent's id set, as forwarded) and
  // moves into the event that forwards it: the book keeps its own copies.
  v1::TaskStatus& status = *update->mutable_status();
  *status.mutable_agent_id() = agent->info.id();
  const std::string agent_id = agent->info.id().value();
  const std::string& task_id = status.task_id().value();
  auto framework = frameworks_.find(framework_id);
  if (framework == frameworks_.end()) {
    // Removed for good: nobody will acknowledge, so the master does (the
    // agent stops retrying), and a live task is shut down with it.
    VLOG(1) << "Status update for removed framework_id=" << framework_id << " task_id=" << task_id;
    if (!status.uuid().empty()) {
      RelayAcknowledgement(agent_id, framework_id, status.task_id(), status.uuid());
    }
    if (!IsTerminalState(status.state())) {
      internal::MasterMessage message;
      message.set_type(internal::MasterMessage::SHUTDOWN_FRAMEWORK);
      message.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
      SendToAgent(agent_id, std::move(message));
    }
    return;
  }
  TaskBook::UpdateResult result = tasks_.Update(framework_id, status, update->latest_state());
  if (result.became_terminal) {
    RecoverTaskResources(*result.task);
    MaybeFinishDrain(agent);
  }
  const Framework& owner = *framework->second;
  const uint64_t live_stream = owner.connected && owner.subscribed ? owner.stream_token : 0;
  switch (dedup_.OnAgentUpdate(framework_id, task_id, status.uuid(), live_stream)) {
    case UpdateDedup::Decision::kReacknowledge:
      ++counters_.status_updates_duplicate;
      ++counters_.acknowledgements_relayed_again;
      VLOG(1) << "Update already acknowledged; relaying the ack again task_id=" << task_id;
      RelayAcknowledgement(agent_id, framework_id, status.task_id(), status.uuid());
      tasks_.Acknowledge(framework_id, task_id, status.uuid());
      return;
    case UpdateDedup::Decision::kDrop:
      ++counters_.status_updates_duplicate;
      VLOG(1) << "Dropping a repeat of an update in flight task_id=" << task_id;
      return;
    case UpdateDedup::Decision::kForward:
      break;
  }
  VLOG(1) << "Status update task_id=" << task_id << " state=" << ShortStateName(status.state())
          << " framework_id=" << framework_id;
  if (live_stream != 0) {
    ++counters_.status_updates_forwarded;
    dedup_.OnForwarded(framework_id, task_id, status.uuid(), live_stream);
  }
  const bool complete = result.known && status.uuid().empty() && IsTerminalState(status.state());
  // The book forgets the task before the event goes (the event owns the
  // status, and `task_id` with it, from here on); nothing the send does
  // reads the book.
  if (complete) tasks_.Complete(framework_id, task_id);
  v1::Event event;
  event.set_type(v1::Event::UPDATE);
  *event.mutable_update()->mutable_status() = std::move(status);
  SendToFramework(framework_id, std::move(event));
}

void MasterCore::OnAgentHeartbeatTick(const std::string& agent_id) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second->reachable || shut_down_) return;
  Agent* agent = it->second.get();
  ++agent->missed_heartbeats;
  if (agent->missed_heartbeats > options_.max_missed_heartbeats) {
    LOG(WARNING) << "Agent missed " << options_.max_missed_heartbeats
                 << " heartbeats; marking it unreachable agent_id=" << agent_id;
    MarkAgentUnreachable(agent_id);
    return;
  }
  if (agent->sink) {
    internal::MasterMessage beat;
    beat.set_type(internal::MasterMessage::HEARTBEAT);
    agent->sink->Send(std::move(beat));
  }
  agent->heartbeat_timer = loop_->RunAfter(options_.agent_heartbeat_interval,
                                           [this, agent_id] { OnAgentHeartbeatTick(agent_id); });
}

void MasterCore::MarkAgentUnreachable(const std::string& agent_id) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  Agent* agent = it->second.get();
  agent->reachable = false;
  if (agent->recovered) {
    agent->recovered = false;
    --recovering_agents_;
  }
  agent->unreachable_time = loop_->Now();
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  *op.mutable_agent()->mutable_info() = agent->info;
  op.mutable_agent()->set_status(internal::AgentRecord::UNREACHABLE);
  op.mutable_agent()->set_status_time(UnixSeconds(agent->unreachable_time));
  FillMaintenance(agent_id, op.mutable_agent());
  // Act only once the registry says so.
  Persist({op}, [this, agent_id] {
    auto it = agents_.find(agent_id);
    if (it == agents_.end() || it->second->reachable) return;
    Agent* agent = it->second.get();
    DetachAgentConnection(agent);
    for (v1::Task* task : tasks_.ActiveOnAgent(agent_id)) {
      if (IsTerminalState(task->state())) continue;
      v1::TaskStatus update =
          MasterStatus(*task, v1::TASK_UNREACHABLE, v1::TaskStatus::REASON_AGENT_UNREACHABLE,
                       "the agent is unreachable");
      const std::string framework_id = task->framework_id().value();
      tasks_.Update(framework_id, update);
      SendUpdate(framework_id, update);
    }
    v1::Event failure;
    failure.set_type(v1::Event::FAILURE);
    failure.mutable_failure()->mutable_agent_id()->set_value(agent_id);
    for (const auto& [framework_id, framework] : frameworks_) {
      if (framework->connected) SendToFramework(framework_id, failure);
    }
    PublishAgent(agent_id, v1::WatchEvent::AGENT_UPDATED);
  });
}

void MasterCore::DetachAgentConnection(Agent* agent) {
  const std::string agent_id = agent->info.id().value();
  RescindOffersOfAgent(agent_id);
  if (agent->in_allocator) {
    CheckAllocation(allocation_->SetAgentActive(agent_id, false), "SetAgentActive");
  }
  if (agent->sink) {
    agent->sink->Close(absl::UnavailableError("agent detached"));
    connection_agents_.erase(agent->connection);
  }
  agent->sink.reset();
  agent->connection = 0;
}

void MasterCore::OnAgentDisconnected(uint64_t connection) {
  DCHECK(loop_->IsInLoopThread());
  connections_.erase(connection);
  auto mapped = connection_agents_.find(connection);
  if (mapped == connection_agents_.end()) return;
  auto it = agents_.find(mapped->second);
  connection_agents_.erase(mapped);
  if (it == agents_.end() || it->second->connection != connection) return;
  LOG(INFO) << "Agent disconnected agent_id=" << it->first;
  it->second->sink.reset();
  DetachAgentConnection(it->second.get());
  PublishAgent(it->first, v1::WatchEvent::AGENT_UPDATED);
}

}  // namespace agora::master
