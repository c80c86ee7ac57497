// MasterCore: framework subscription, failover, disconnection and removal.
#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {

absl::Status MasterCore::ValidateFrameworkInfo(const v1::FrameworkInfo& info,
                                               const std::vector<std::string>& suppressed) const {
  if (!info.id().value().empty()) {
    if (auto s = ValidateId("framework_info.id", info.id().value()); !s.ok()) return s;
  }
  if (auto s = ValidateText("framework_info.name", info.name(), 255, true); !s.ok()) return s;
  if (auto s = ValidateText("framework_info.user", info.user(), 255, true); !s.ok()) return s;
  if (info.roles_size() == 0) return InvalidField("framework_info.roles", "at least one role");
  std::set<std::string> roles;
  for (int i = 0; i < info.roles_size(); ++i) {
    const std::string field = IndexedField("framework_info.roles", i);
    if (auto s = ValidateRole(field, info.roles(i)); !s.ok()) return s;
    if (!roles.insert(info.roles(i)).second) {
      return InvalidField(field, absl::StrCat("role ", info.roles(i), " is listed twice"));
    }
  }
  if (auto s = ValidateNonNegative("framework_info.failover_timeout", info.failover_timeout());
      !s.ok())
    return s;
  for (size_t i = 0; i < suppressed.size(); ++i) {
    if (!roles.count(suppressed[i])) {
      return InvalidField(IndexedField("suppressed_roles", i),
                          absl::StrCat("role ", suppressed[i], " is not one of the framework's"));
    }
  }
  return absl::OkStatus();
}

absl::Status MasterCore::CheckResubscription(const v1::FrameworkInfo& info) const {
  const std::string& id = info.id().value();
  if (removed_frameworks_.count(id)) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "framework_info.id",
                      absl::StrCat("framework ", id,
                                   " was removed (torn down or its failover timeout expired); "
                                   "subscribe without an id to register a new framework"));
  }
  auto it = frameworks_.find(id);
  if (it == frameworks_.end()) {
    return FieldError(absl::StatusCode::kNotFound, "framework_info.id",
                      absl::StrCat("framework ", id,
                                   " is not known to this master (ids are assigned by the master "
                                   "in SUBSCRIBED); subscribe without an id to register"));
  }
  const Framework& framework = *it->second;
  if (framework.info.principal() != info.principal()) {
    return FieldError(absl::StatusCode::kPermissionDenied, "framework_info.id",
                      absl::StrCat("framework ", id, " belongs to another principal"));
  }
  if (framework.info.user() != info.user()) {
    return InvalidField("framework_info.user", "cannot change across failover");
  }
  return absl::OkStatus();
}

std::string MasterCore::NewFrameworkId() {
  // The epoch makes assigned ids unique across master restarts and
  // failovers, and only assigned ids are ever registered; the loop guards
  // against a registry that disagrees (e.g. edited by hand).
  std::string id = ids_->Next("framework");
  while (frameworks_.count(id) || removed_frameworks_.count(id)) {
    LOG(WARNING) << "Id " << id << " is already in the registry; skipping it";
    id = ids_->Next("framework");
  }
  return id;
}

void MasterCore::ReplaceFrameworkStream(Framework* framework) {
  const std::string& id = framework->info.id().value();
  if (framework->sink) {
    LOG(INFO) << "Framework failed over to a new subscriber; closing the old stream framework_id="
              << id;
    v1::Event error;
    error.set_type(v1::Event::ERROR);
    error.mutable_error()->set_message(
        "framework failed over: this stream was replaced by a newer subscription with the same "
        "framework id");
    framework->sink->Send(std::move(error));
    framework->sink->Close(absl::OkStatus());
    framework->sink.reset();
  }
  stream_frameworks_.erase(framework->stream_token);
  framework->connected = false;
  framework->subscribed = false;
  loop_->Cancel(framework->heartbeat_timer);
  loop_->Cancel(framework->failover_timer);
  framework->failover_timer = 0;
  RescindOffersOfFramework(id);
}

absl::Status MasterCore::Subscribe(const v1::SubscribeRequest& request,
                                   std::shared_ptr<FrameworkSink> sink, uint64_t* stream_token) {
  DCHECK(loop_->IsInLoopThread());
  CountMessage("scheduler_subscribe");
  if (shut_down_) return absl::UnavailableError("master shutting down");
  std::vector<std::string> suppressed(request.suppressed_roles().begin(),
                                      request.suppressed_roles().end());
  if (auto s = ValidateFrameworkInfo(request.framework_info(), suppressed); !s.ok()) return s;
  const v1::FrameworkInfo& info = request.framework_info();
  const bool is_new = info.id().value().empty();
  // Everything is checked before anything changes: a refused subscription
  // leaves the framework (and its live stream, if any) as it was.
  if (!is_new) {
    if (auto s = CheckResubscription(info); !s.ok()) return s;
  }
  const uint64_t token = next_stream_token_++;
  *stream_token = token;
  const absl::Time now = loop_->Now();
  Framework* framework = nullptr;
  std::string id;
  if (is_new) {
    id = NewFrameworkId();
    auto created = std::make_unique<Framework>();
    created->registered_time = now;
    framework = created.get();
    frameworks_[id] = std::move(created);
  } else {
    id = info.id().value();
    framework = frameworks_.at(id).get();
    ReplaceFrameworkStream(framework);
    framework->reregistered_time = now;
  }
  framework->info = info;
  framework->info.mutable_id()->set_value(id);
  framework->sink = std::move(sink);
  framework->stream_id = RandomHexId();
  framework->stream_token = token;
  framework->connected = true;
  framework->subscribed = false;
  framework->suppressed_roles = std::set<std::string>(suppressed.begin(), suppressed.end());
  stream_frameworks_[token] = id;

  // The framework is persisted before SUBSCRIBED so that its failover
  // timeout survives a master restart.
  internal::Operation op;
  op.set_type(internal::Operation::PUT_FRAMEWORK);
  *op.mutable_framework()->mutable_info() = framework->info;
  op.mutable_framework()->set_registered_time(UnixSeconds(framework->registered_time));
  Persist({op}, [this, id, token] { CompleteSubscribe(id, token); });
  LOG(INFO) << (is_new ? "Subscribing new" : "Re-subscribing") << " framework framework_id=" << id
            << " name=" << info.name();
  return absl::OkStatus();
}

void MasterCore::CompleteSubscribe(const std::string& framework_id, uint64_t token) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end()) return;
  Framework* framework = it->second.get();
  if (framework->stream_token != token || !framework->sink) return;  // Replaced or gone.
  framework->subscribed = true;
  v1::Event event;
  event.set_type(v1::Event::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  subscribed->mutable_framework_id()->set_value(framework_id);
  subscribed->set_stream_id(framework->stream_id);
  subscribed->set_heartbeat_interval_seconds(
      absl::ToDoubleSeconds(options_.framework_heartbeat_interval));
  subscribed->set_master_id(master_id_);
  subscribed->set_master_address(master_address_);
  SendToFramework(framework_id, std::move(event));
  StartFrameworkHeartbeats(framework);

  std::vector<std::string> roles(framework->info.roles().begin(), framework->info.roles().end());
  const bool added = !framework->in_allocator;  // First subscription to this master.
  if (!framework->in_allocator) {
    framework->in_allocator =
        CheckAllocation(allocation_->AddFramework(framework_id, roles, framework->suppressed_roles),
                        "AddFramework");
  } else {
    CheckAllocation(allocation_->UpdateFramework(framework_id, roles, framework->suppressed_roles),
                    "UpdateFramework");
    CheckAllocation(allocation_->SetFrameworkActive(framework_id, true), "SetFrameworkActive");
  }
  // Tell the framework about tasks it has (it may have missed updates while
  // disconnected); acknowledgements are still owed for unacked ones and the
  // agents resend those on their own.
  PublishFramework(framework_id,
                   added ? v1::WatchEvent::FRAMEWORK_ADDED : v1::WatchEvent::FRAMEWORK_UPDATED);
  RequestAllocation();
}

void MasterCore::StartFrameworkHeartbeats(Framework* framework) {
  const std::string id = framework->info.id().value();
  framework->heartbeat_timer = loop_->RunAfter(options_.framework_heartbeat_interval, [this, id] {
    auto it = frameworks_.find(id);
    if (it == frameworks_.end() || !it->second->connected) return;
    v1::Event event;
    event.set_type(v1::Event::HEARTBEAT);
    SendToFramework(id, std::move(event));
    StartFrameworkHeartbeats(it->second.get());
  });
}

void MasterCore::OnFrameworkStreamClosed(uint64_t stream_token) {
  DCHECK(loop_->IsInLoopThread());
  // Streams closed by the master's own shutdown or step-down do not start
  // failover clocks: the registry keeps the framework as connected, so the
  // next master gives it its full timeout.
  if (shut_down_) return;
  auto token = stream_frameworks_.find(stream_token);
  if (token == stream_frameworks_.end()) return;
  const std::string id = token->second;
  stream_frameworks_.erase(token);
  auto it = frameworks_.find(id);
  if (it == frameworks_.end() || it->second->stream_token != stream_token) return;
  DisconnectFramework(it->second.get());
}

void MasterCore::DisconnectFramework(Framework* framework) {
  const std::string id = framework->info.id().value();
  LOG(INFO) << "Framework disconnected framework_id=" << id;
  framework->sink.reset();
  framework->connected = false;
  framework->subscribed = false;
  framework->unregistered_time = loop_->Now();
  loop_->Cancel(framework->heartbeat_timer);
  RescindOffersOfFramework(id);
  if (framework->in_allocator) {
    CheckAllocation(allocation_->SetFrameworkActive(id, false), "SetFrameworkActive");
  }
  ArmFailoverTimer(framework, FailoverTimeout(*framework));
  PersistFramework(*framework);
  PublishFramework(id, v1::WatchEvent::FRAMEWORK_UPDATED);
}

absl::Duration MasterCore::FailoverTimeout(const Framework& framework) const {
  return framework.info.failover_timeout() > 0 ? absl::Seconds(framework.info.failover_timeout())
                                               : options_.framework_failover_timeout_default;
}

void MasterCore::ArmFailoverTimer(Framework* framework, absl::Duration remaining) {
  const std::string id = framework->info.id().value();
  loop_->Cancel(framework->failover_timer);
  framework->failover_timer = loop_->RunAfter(remaining, [this, id] { OnFailoverTimeout(id); });
}

void MasterCore::PersistFramework(const Framework& framework) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_FRAMEWORK);
  *op.mutable_framework()->mutable_info() = framework.info;
  op.mutable_framework()->set_registered_time(UnixSeconds(framework.registered_time));
  if (!framework.connected) {
    op.mutable_framework()->set_disconnected_time(UnixSeconds(framework.unregistered_time));
  }
  Persist({op}, nullptr);
}

void MasterCore::OnFailoverTimeout(const std::string& framework_id) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || it->second->connected) return;
  LOG(INFO) << "Framework failover timeout expired; removing framework_id=" << framework_id;
  RemoveFramework(framework_id, "failover timeout expired");
}

void MasterCore::RemoveFramework(const std::string& framework_id_ref, const std::string& reason) {
  const std::string framework_id = framework_id_ref;  // The caller's may live in the record.
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end()) return;
  Framework* framework = it->second.get();
  std::set<std::string> offers = framework->offers;
  for (const auto& offer : offers) RemoveOffer(offer, /*rescind=*/false, std::nullopt);
  std::set<std::string> agents;
  for (v1::Task* task : tasks_.ActiveOfFramework(framework_id)) {
    agents.insert(task->agent_id().value());
    if (!IsTerminalState(task->state())) {
      tasks_.Update(framework_id, MasterStatus(*task, v1::TASK_KILLED,
                                               v1::TaskStatus::REASON_FRAMEWORK_REMOVED, reason));
    }
  }
  std::vector<std::string> task_ids;
  for (v1::Task* task : tasks_.ActiveOfFramework(framework_id))
    task_ids.push_back(task->task_id().value());
  for (const auto& task_id : task_ids) tasks_.Complete(framework_id, task_id);
  for (const auto& agent_id : agents) {
    internal::MasterMessage message;
    message.set_type(internal::MasterMessage::SHUTDOWN_FRAMEWORK);
    message.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
    SendToAgent(agent_id, std::move(message));
  }
  if (framework->in_allocator) {
    CheckAllocation(allocation_->RemoveFramework(framework_id), "RemoveFramework");
  }
  loop_->Cancel(framework->heartbeat_timer);
  loop_->Cancel(framework->failover_timer);
  if (framework->sink) framework->sink->Close(absl::OkStatus());
  stream_frameworks_.erase(framework->stream_token);

  v1::FrameworkSummary summary;
  *summary.mutable_info() = framework->info;
  summary.set_registered_time(UnixSeconds(framework->registered_time));
  summary.set_unregistered_time(UnixSeconds(loop_->Now()));
  summary.set_completed_tasks(static_cast<uint32_t>(tasks_.CompletedOf(framework_id).size()));
  completed_frameworks_.push_back(std::move(summary));
  while (completed_frameworks_.size() > 100) completed_frameworks_.pop_front();
  removed_frameworks_.insert(framework_id);
  frameworks_.erase(it);
  PublishFramework(framework_id, v1::WatchEvent::FRAMEWORK_REMOVED);

  internal::Operation op;
  op.set_type(internal::Operation::REMOVE_FRAMEWORK);
  op.mutable_framework_id()->set_value(framework_id);
  Persist({op}, nullptr);
  dedup_.ForgetFramework(framework_id);
  LOG(INFO) << "Removed framework framework_id=" << framework_id << " reason=" << reason;
  RequestAllocation();
}

absl::StatusOr<MasterCore::Framework*> MasterCore::CheckCaller(const v1::CallHeader& header) {
  if (auto s = ValidateId("header.framework_id", header.framework_id().value()); !s.ok()) return s;
  if (header.stream_id().empty()) return InvalidField("header.stream_id", "required");
  auto it = frameworks_.find(header.framework_id().value());
  if (it == frameworks_.end()) {
    return absl::NotFoundError(
        absl::StrCat("framework ", header.framework_id().value(), " is not subscribed"));
  }
  if (!it->second->connected || !it->second->subscribed ||
      it->second->stream_id != header.stream_id()) {
    return absl::FailedPreconditionError(
        "header.stream_id: not the framework's live stream (failed over or disconnected)");
  }
  return it->second.get();
}

absl::Status MasterCore::Teardown(const v1::TeardownRequest& request) {
  CountMessage("scheduler_teardown");
  auto framework = CheckCaller(request.header());
  if (!framework.ok()) return framework.status();
  RemoveFramework(request.header().framework_id().value(), "torn down by the framework");
  return absl::OkStatus();
}

absl::Status MasterCore::TeardownFramework(const std::string& framework_id) {
  CountMessage("operator_teardown");
  if (auto s = ValidateId("framework_id", framework_id); !s.ok()) return s;
  if (!frameworks_.count(framework_id)) {
    return absl::NotFoundError(absl::StrCat("framework ", framework_id, " is not known"));
  }
  RemoveFramework(framework_id, "torn down by an operator");
  return absl::OkStatus();
}

absl::Status MasterCore::UpdateFramework(const v1::UpdateFrameworkRequest& request) {
  CountMessage("scheduler_update_framework");
  auto caller = CheckCaller(request.header());
  if (!caller.ok()) return caller.status();
  Framework* framework = *caller;
  const v1::FrameworkInfo& info = request.framework_info();
  if (info.id().value() != request.header().framework_id().value()) {
    return InvalidField("framework_info.id", "must equal header.framework_id");
  }
  std::vector<std::string> suppressed(request.suppressed_roles().begin(),
                                      request.suppressed_roles().end());
  if (auto s = ValidateFrameworkInfo(info, suppressed); !s.ok()) return s;
  if (info.user() != framework->info.user()) {
    return InvalidField("framework_info.user", "cannot change");
  }
  if (info.principal() != framework->info.principal()) {
    return InvalidField("framework_info.principal", "cannot change");
  }
  framework->info = info;
  framework->suppressed_roles = std::set<std::string>(suppressed.begin(), suppressed.end());
  std::vector<std::string> roles(info.roles().begin(), info.roles().end());
  CheckAllocation(
      allocation_->UpdateFramework(info.id().value(), roles, framework->suppressed_roles),
      "UpdateFramework");
  RescindOffersOfFramework(info.id().value());
  std::set<std::string> agents;
  for (v1::Task* task : tasks_.ActiveOfFramework(info.id().value()))
    agents.insert(task->agent_id().value());
  for (const auto& agent_id : agents) {
    internal::MasterMessage message;
    message.set_type(internal::MasterMessage::UPDATE_FRAMEWORK);
    *message.mutable_update_framework()->mutable_framework_info() = info;
    SendToAgent(agent_id, std::move(message));
  }
  PersistFramework(*framework);
  PublishFramework(info.id().value(), v1::WatchEvent::FRAMEWORK_UPDATED);
  RequestAllocation();
  return absl::OkStatus();
}

}  // namespace agora::master
