// Commands of the scheduler driver: each builds its request on the loop
// (with the current framework id and stream id) and sends it as a unary
// gRPC call whose completion is posted back to the loop.
#include "common/grpc_status.hpp"
#include "glog/logging.h"
#include "scheduler_driver/driver_impl.hpp"

namespace agora {
namespace {

constexpr int kMaxAckAttempts = 5;
constexpr absl::Duration kAckRetryDelay = absl::Seconds(1);

// Failures after which the same call may succeed.
bool IsTransient(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kInternal ||
         code == absl::StatusCode::kUnknown;
}

}  // namespace

v1::CallHeader AgoraSchedulerDriver::Impl::Header() const {
  v1::CallHeader header;
  *header.mutable_framework_id() = framework_.id();
  header.set_stream_id(stream_id_);
  return header;
}

template <typename Request>
void AgoraSchedulerDriver::Impl::Send(const char* name, AsyncMethod<Request> method,
                                      Request request, ResultFn on_result) {
  DCHECK(loop_->IsInLoopThread());
  // One allocation holds what the call needs until its completion has run
  // on the loop; the closures in between copy only the pointer (gRPC may
  // copy its callback, and `on_result` can hold an ack batch).
  struct CallState {
    grpc::ClientContext context;
    Request request;
    v1::CallResponse response;
    ResultFn on_result;
  };
  auto state = std::make_shared<CallState>();
  state->request = std::move(request);
  state->on_result = std::move(on_result);
  state->context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(options_.call_timeout_seconds * 1000)));
  std::shared_ptr<LoopPoster> poster = poster_;
  poster->CallStarted();
  ++commands_in_flight_;
  VLOG(1) << "Sending " << name << " to " << channel_address_;
  (stub_->async()->*method)(
      &state->context, &state->request, &state->response,
      [this, state, poster, name](grpc::Status grpc_status) {
        poster->Post([this, name, state, status = FromGrpcStatus(grpc_status)] {
          OnCallDone(name, status, state->on_result);
        });
        poster->CallFinished();
      });
}

void AgoraSchedulerDriver::Impl::OnCallDone(const char* name, const absl::Status& status,
                                            const ResultFn& on_result) {
  --commands_in_flight_;
  if (on_result) on_result(status);
  if (!status.ok() && status_.load() == SchedulerDriverStatus::RUNNING) {
    LOG(WARNING) << "Command " << name << " failed: " << status;
    if (std::optional<std::string> leader = LeaderAddressFrom(status); leader.has_value()) {
      // The stream is bound to a master that no longer leads: reconnect to
      // the leader (the stream's end drives it).
      FollowRedirect(*leader);
      if (call_ != nullptr) call_->Cancel();
    }
    scheduler_->callFailed(driver_, name, std::string(status.message()));
  }
  if (commands_in_flight_ == 0) RunAfterCommands();
}

void AgoraSchedulerDriver::Impl::FailLaunches(const std::vector<v1::TaskID>& task_ids,
                                              v1::TaskState state, v1::TaskStatus::Reason reason,
                                              const std::string& message) {
  for (const v1::TaskID& task_id : task_ids) {
    v1::TaskStatus status;
    *status.mutable_task_id() = task_id;
    status.set_state(state);
    status.set_source(v1::TaskStatus::SOURCE_MASTER);
    status.set_reason(reason);
    status.set_message(message);
    status.set_timestamp(absl::ToDoubleSeconds(loop_->Now() - absl::UnixEpoch()));
    if (status_.load() != SchedulerDriverStatus::RUNNING) return;
    scheduler_->statusUpdate(driver_, status);
  }
}

void AgoraSchedulerDriver::Impl::DoAccept(std::vector<v1::OfferID> offer_ids,
                                          std::vector<v1::Offer::Operation> operations,
                                          v1::Filters filters) {
  // Only the task ids are kept for a failure's synthesized updates; the
  // operations themselves move into the request.
  std::vector<v1::TaskID> task_ids;
  for (const v1::Offer::Operation& operation : operations) {
    if (operation.type() != v1::Offer::Operation::LAUNCH) continue;
    for (const v1::TaskInfo& task : operation.launch().task_infos()) {
      task_ids.push_back(task.task_id());
    }
  }
  if (!connected_) {
    FailLaunches(task_ids, v1::TASK_DROPPED, v1::TaskStatus::REASON_MASTER_DISCONNECTED,
                 "the scheduler is not connected to a master");
    return;
  }
  v1::AcceptRequest request;
  *request.mutable_header() = Header();
  for (v1::OfferID& id : offer_ids) *request.add_offer_ids() = std::move(id);
  for (v1::Offer::Operation& op : operations) *request.add_operations() = std::move(op);
  *request.mutable_filters() = std::move(filters);
  Send("accept", &v1::Scheduler::Stub::async::Accept, std::move(request),
       [this, task_ids = std::move(task_ids)](const absl::Status& status) {
         if (status.ok() || status_.load() != SchedulerDriverStatus::RUNNING) return;
         // A rejected accept launched nothing; a timed-out one may have, so
         // it is left to reconciliation.
         if (status.code() == absl::StatusCode::kDeadlineExceeded) return;
         bool invalid = status.code() == absl::StatusCode::kInvalidArgument;
         FailLaunches(
             task_ids, invalid ? v1::TASK_ERROR : v1::TASK_DROPPED,
             invalid ? v1::TaskStatus::REASON_TASK_INVALID : v1::TaskStatus::REASON_INVALID_OFFERS,
             std::string(status.message()));
       });
}

void AgoraSchedulerDriver::Impl::DoTeardown(std::function<void(const absl::Status&)> done) {
  v1::TeardownRequest request;
  *request.mutable_header() = Header();
  Send("teardown", &v1::Scheduler::Stub::async::Teardown, std::move(request), std::move(done));
}

void AgoraSchedulerDriver::Impl::DoDecline(v1::OfferID offer_id, v1::Filters filters) {
  if (!connected_) return;
  v1::DeclineRequest request;
  *request.mutable_header() = Header();
  *request.add_offer_ids() = std::move(offer_id);
  *request.mutable_filters() = filters;
  Send("decline", &v1::Scheduler::Stub::async::Decline, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoRevive(std::vector<std::string> roles) {
  for (const std::string& role : roles) {
    suppressed_roles_.erase(std::remove(suppressed_roles_.begin(), suppressed_roles_.end(), role),
                            suppressed_roles_.end());
  }
  if (roles.empty()) suppressed_roles_.clear();
  if (!connected_) return;
  v1::ReviveRequest request;
  *request.mutable_header() = Header();
  for (std::string& role : roles) request.add_roles(std::move(role));
  Send("revive", &v1::Scheduler::Stub::async::Revive, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoSuppress(std::vector<std::string> roles) {
  // Remembered so a re-subscription starts suppressed too.
  if (roles.empty()) {
    suppressed_roles_.assign(framework_.roles().begin(), framework_.roles().end());
  } else {
    for (const std::string& role : roles) {
      if (std::find(suppressed_roles_.begin(), suppressed_roles_.end(), role) ==
          suppressed_roles_.end()) {
        suppressed_roles_.push_back(role);
      }
    }
  }
  if (!connected_) return;
  v1::SuppressRequest request;
  *request.mutable_header() = Header();
  for (std::string& role : roles) request.add_roles(std::move(role));
  Send("suppress", &v1::Scheduler::Stub::async::Suppress, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoKill(v1::TaskID task_id, v1::AgentID agent_id) {
  if (!connected_) return;
  v1::KillRequest request;
  *request.mutable_header() = Header();
  *request.mutable_task_id() = std::move(task_id);
  if (!agent_id.value().empty()) *request.mutable_agent_id() = std::move(agent_id);
  Send("kill", &v1::Scheduler::Stub::async::Kill, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoAcknowledge(const v1::TaskStatus& status) {
  DoAcknowledge(AckOf(status));
}

void AgoraSchedulerDriver::Impl::DoAcknowledge(AckBatcher::Ack&& ack) {
  ack.stream = stream_number_;
  QueueAcknowledgement(std::move(ack));
}

AckBatcher::Ack AgoraSchedulerDriver::Impl::AckOf(const v1::TaskStatus& status) {
  AckBatcher::Ack ack;
  ack.agent_id = status.agent_id().value();
  ack.task_id = status.task_id().value();
  ack.uuid = status.uuid();
  return ack;
}

void AgoraSchedulerDriver::Impl::QueueAcknowledgement(AckBatcher::Ack&& ack) {
  // Without a connection the agent re-sends the update later; nothing is
  // lost. Likewise for a retry whose stream has been replaced since.
  if (!connected_ || ack.uuid.empty() || ack.stream != stream_number_) return;
  // One ACKNOWLEDGE per uuid and stream: a second one would only be a stray.
  if (!ledger_.OnAcknowledge(ack.uuid, stream_id_)) return;
  acks_.Add(std::move(ack));
  if (ack_flush_posted_) return;
  // Sent at the end of this loop turn, with every ack queued meanwhile (the
  // scheduler acknowledges a burst of updates in closures already posted).
  // The flush counts as a command in flight: a teardown waits for it.
  ack_flush_posted_ = true;
  ++commands_in_flight_;
  loop_->Post([this] {
    ack_flush_posted_ = false;
    SendAcknowledgements();
    if (--commands_in_flight_ == 0) RunAfterCommands();
  });
}

void AgoraSchedulerDriver::Impl::SendAcknowledgements() {
  if (!connected_ || finished_) {
    acks_.Clear();
    return;
  }
  const std::vector<AckBatcher::Ack>* batch = acks_.NextBatch(stream_number_);
  if (batch == nullptr) return;  // One call in flight; the rest wait for it.
  v1::AcknowledgeRequest request;
  *request.mutable_header() = Header();
  if (batch->size() == 1) {
    // The single form: what any master understands.
    const AckBatcher::Ack& ack = batch->front();
    request.mutable_agent_id()->set_value(ack.agent_id);
    request.mutable_task_id()->set_value(ack.task_id);
    request.set_uuid(ack.uuid);
  } else {
    request.mutable_acknowledgements()->Reserve(static_cast<int>(batch->size()));
    for (const AckBatcher::Ack& ack : *batch) {
      v1::AcknowledgeRequest::Acknowledgement* entry = request.add_acknowledgements();
      entry->mutable_agent_id()->set_value(ack.agent_id);
      entry->mutable_task_id()->set_value(ack.task_id);
      entry->set_uuid(ack.uuid);
    }
  }
  VLOG(1) << "Acknowledging " << batch->size() << " update(s) in one call";
  // The master drops an update re-sent on the stream that already carried
  // it, so an ACKNOWLEDGE lost in transit is retried here, not by waiting
  // for a re-delivery.
  // The batch stays in acks_ (last_batch) until the next call is sent.
  auto on_result = [this](const absl::Status& result) {
    acks_.OnCallDone();
    if (!result.ok() && IsTransient(result.code())) RetryAcknowledgements(acks_.last_batch());
    SendAcknowledgements();  // What queued meanwhile.
  };
  Send("acknowledge", &v1::Scheduler::Stub::async::Acknowledge, std::move(request),
       std::move(on_result));
}

void AgoraSchedulerDriver::Impl::RetryAcknowledgements(const std::vector<AckBatcher::Ack>& batch) {
  std::vector<AckBatcher::Ack> retries;
  for (const AckBatcher::Ack& ack : batch) {
    // An ack of an earlier stream id needs no forgetting: stream ids are not
    // reused, so the ledger will not see that stream again.
    if (ack.stream == last_stream_number_) {
      ledger_.ForgetAcknowledge(ack.uuid, last_numbered_stream_);
    }
    if (ack.attempt >= kMaxAckAttempts) continue;
    retries.push_back(ack);
    ++retries.back().attempt;
  }
  if (retries.empty() || finished_) return;
  loop_->RunAfter(kAckRetryDelay, [this, retries = std::move(retries)] {
    for (const AckBatcher::Ack& ack : retries) QueueAcknowledgement(AckBatcher::Ack(ack));
  });
}

void AgoraSchedulerDriver::Impl::DoMessage(v1::ExecutorID executor_id, v1::AgentID agent_id,
                                           std::string data) {
  if (!connected_) return;
  v1::MessageRequest request;
  *request.mutable_header() = Header();
  *request.mutable_executor_id() = std::move(executor_id);
  *request.mutable_agent_id() = std::move(agent_id);
  request.set_data(std::move(data));
  Send("message", &v1::Scheduler::Stub::async::Message, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoReconcile(std::vector<v1::TaskStatus> statuses) {
  if (!connected_) return;
  v1::ReconcileRequest request;
  *request.mutable_header() = Header();
  for (const v1::TaskStatus& status : statuses) {
    v1::ReconcileRequest::Task* task = request.add_tasks();
    *task->mutable_task_id() = status.task_id();
    if (!status.agent_id().value().empty()) *task->mutable_agent_id() = status.agent_id();
  }
  Send("reconcile", &v1::Scheduler::Stub::async::Reconcile, std::move(request));
}

void AgoraSchedulerDriver::Impl::DoUpdateFramework(v1::FrameworkInfo info,
                                                   std::vector<std::string> suppressed_roles) {
  *info.mutable_id() = framework_.id();
  if (info.user().empty()) info.set_user(framework_.user());
  if (info.hostname().empty()) info.set_hostname(framework_.hostname());
  if (info.roles().empty()) info.add_roles("*");
  framework_ = info;
  suppressed_roles_ = suppressed_roles;
  if (!connected_) return;  // The next subscription carries it.
  v1::UpdateFrameworkRequest request;
  *request.mutable_header() = Header();
  *request.mutable_framework_info() = std::move(info);
  for (std::string& role : suppressed_roles) request.add_suppressed_roles(std::move(role));
  Send("update_framework", &v1::Scheduler::Stub::async::UpdateFramework, std::move(request));
}

}  // namespace agora
