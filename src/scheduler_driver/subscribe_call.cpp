#include "scheduler_driver/subscribe_call.hpp"

#include "common/grpc_status.hpp"

namespace agora::scheduler {

SubscribeCall::SubscribeCall(EventFn on_event, DoneFn on_done)
    : on_event_(std::move(on_event)), on_done_(std::move(on_done)) {}

std::shared_ptr<SubscribeCall> SubscribeCall::Start(v1::Scheduler::Stub* stub,
                                                    const v1::SubscribeRequest& request,
                                                    EventFn on_event, DoneFn on_done) {
  std::shared_ptr<SubscribeCall> call(new SubscribeCall(std::move(on_event), std::move(on_done)));
  call->self_ = call;
  call->request_ = request;
  stub->async()->Subscribe(&call->context_, &call->request_, call.get());
  // The hold keeps OnDone from running while the loop still handles an
  // event and may start another read.
  call->AddHold();
  {
    std::lock_guard<std::mutex> lock(call->mu_);
    call->reading_ = true;
  }
  call->StartRead(&call->event_);
  call->StartCall();
  return call;
}

void SubscribeCall::EventHandled() {
  std::unique_lock<std::mutex> lock(mu_);
  if (unhandled_ > 0) --unhandled_;
  if (cancelled_ || hold_released_ || reading_ || unhandled_ >= kMaxUnhandled) return;
  reading_ = true;
  lock.unlock();
  StartRead(&event_);
}

void SubscribeCall::Cancel() {
  std::unique_lock<std::mutex> lock(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  context_.TryCancel();
  // With a read in flight, OnReadDone(false) releases the hold.
  if (!reading_) ReleaseHoldLocked(lock);
}

void SubscribeCall::ReleaseHoldLocked(std::unique_lock<std::mutex>& lock) {
  if (hold_released_) return;
  hold_released_ = true;
  lock.unlock();
  // May run OnDone inline; nothing touches members after it. The caller
  // holds a reference (the loop's shared_ptr or self_ via OnDone's post).
  RemoveHold();
}

void SubscribeCall::OnReadDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!ok || cancelled_) {
    reading_ = false;
    ReleaseHoldLocked(lock);
    return;
  }
  // Take the event out before the next read can start into it.
  v1::Event event;
  event.Swap(&event_);
  ++unhandled_;  // Before the loop can report it handled.
  lock.unlock();
  on_event_(std::move(event));
  lock.lock();
  if (cancelled_) {
    // Cancel() saw a read in flight and left the hold to us.
    reading_ = false;
    ReleaseHoldLocked(lock);
    return;
  }
  if (unhandled_ >= kMaxUnhandled) {
    reading_ = false;  // EventHandled() resumes.
    return;
  }
  lock.unlock();
  StartRead(&event_);
}

void SubscribeCall::OnDone(const grpc::Status& status) {
  // The posted closure keeps the object alive until the loop has seen the
  // end (or until the loop drops the closure at shutdown).
  DoneFn done = std::move(on_done_);
  std::shared_ptr<SubscribeCall> self = std::move(self_);
  done(FromGrpcStatus(status));
  // `self` may be the last reference: this object dies here.
}

}  // namespace agora::scheduler
