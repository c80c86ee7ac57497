#include "agent/master_link.hpp"

#include "common/grpc_status.hpp"
#include "glog/logging.h"

namespace agora::agent {

std::shared_ptr<MasterLink> MasterLink::Start(EventLoop* loop, internal::AgentChannel::Stub* stub,
                                              MessageFn on_message, ClosedFn on_closed,
                                              size_t capacity) {
  std::shared_ptr<MasterLink> link(
      new MasterLink(loop, std::move(on_message), std::move(on_closed), capacity));
  link->self_ = link;
  stub->async()->Connect(&link->context_, link.get());
  // gRPC may not finish the stream (OnDone) before the loop has seen its
  // end and stopped writing: a StartWrite racing OnDone would touch a
  // finished call. The loop removes this hold in EndOnLoop().
  link->AddHold();
  link->StartRead(&link->incoming_);
  link->StartCall();
  return link;
}

MasterLink::MasterLink(EventLoop* loop, MessageFn on_message, ClosedFn on_closed, size_t capacity)
    : loop_(loop),
      on_message_(std::move(on_message)),
      on_closed_(std::move(on_closed)),
      queue_(capacity) {}

bool MasterLink::Send(internal::AgentMessage message) {
  DCHECK(loop_->IsInLoopThread());
  if (closed_) return false;
  if (!in_flight_) {
    in_flight_ = std::move(message);
    StartWrite(&*in_flight_);
    return true;
  }
  if (!queue_.Push(std::move(message))) {
    LOG(WARNING) << "Master link outbound queue full; closing the stream";
    Close();
    return false;
  }
  return true;
}

void MasterLink::Close() {
  DCHECK(loop_->IsInLoopThread());
  if (closed_) return;
  context_.TryCancel();
}

void MasterLink::ReleaseIfDone() {
  if (done_) self_.reset();
}

void MasterLink::OnReadDone(bool ok) {
  if (!ok) {
    // The stream ended (OnDone reports why, once the loop let it go).
    loop_->Post([this] { EndOnLoop(); });
    return;
  }
  internal::MasterMessage message = std::move(incoming_);
  incoming_.Clear();
  loop_->Post([this, message = std::move(message)] {
    if (!closed_ && on_message_) on_message_(message);
  });
  StartRead(&incoming_);
}

void MasterLink::OnWriteDone(bool ok) {
  loop_->Post([this, ok] { HandleWriteDone(ok); });
}

void MasterLink::EndOnLoop() {
  if (closed_) return;
  closed_ = true;  // No write starts after this.
  queue_.Clear();
  RemoveHold();
}

void MasterLink::HandleWriteDone(bool ok) {
  in_flight_.reset();
  if (!ok || closed_) {
    queue_.Clear();
    return;
  }
  StartNextWrite();
}

void MasterLink::StartNextWrite() {
  if (std::optional<internal::AgentMessage> next = queue_.Pop()) {
    in_flight_ = std::move(*next);
    StartWrite(&*in_flight_);
  }
}

void MasterLink::OnDone(const grpc::Status& status) {
  absl::Status result = FromGrpcStatus(status);
  if (result.ok()) result = absl::UnavailableError("the master ended the stream");
  done_ = true;
  loop_->Post([this, result] {
    closed_ = true;
    queue_.Clear();
    if (on_closed_) {
      auto callback = std::move(on_closed_);
      on_closed_ = nullptr;
      on_message_ = nullptr;
      callback(result);
    }
    self_.reset();  // May delete this; nothing may follow.
  });
}

}  // namespace agora::agent
