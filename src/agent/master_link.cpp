#include "agent/master_link.hpp"

#include "common/grpc_status.hpp"
#include "common/link_batches.hpp"
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
      // A client stream ends by cancellation (Close), never by a status.
      writer_(
          capacity, [this](const internal::AgentMessage* message) { StartWrite(message); }, nullptr,
          absl::ResourceExhaustedError("master link outbound queue full"),
          absl::UnavailableError("write failed"), absl::CancelledError("cancelled"),
          [this](internal::AgentMessage& batch, internal::AgentMessage& next) {
            return update_batches_.load(std::memory_order_relaxed) &&
                   MergeStatusUpdate(batch, next);
          }) {}

bool MasterLink::Send(internal::AgentMessage message) {
  DCHECK(loop_->IsInLoopThread());
  if (closed_) return false;
  return writer_.SendOr(std::move(message), [this] {
    LOG(WARNING) << "Master link outbound queue full; closing the stream";
    Close();
  });
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

// gRPC thread: starts the next queued write (a failed write stops them;
// the read side then sees the stream's end).
void MasterLink::OnWriteDone(bool ok) { writer_.OnWriteDone(ok); }

void MasterLink::EndOnLoop() {
  if (closed_) return;
  closed_ = true;
  writer_.Abort();  // No write starts after this, from any thread.
  RemoveHold();
}

void MasterLink::OnDone(const grpc::Status& status) {
  absl::Status result = FromGrpcStatus(status);
  if (result.ok()) result = absl::UnavailableError("the master ended the stream");
  done_ = true;
  loop_->Post([this, result] {
    closed_ = true;
    writer_.Abort();
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
