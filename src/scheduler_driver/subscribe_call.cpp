#include "scheduler_driver/subscribe_call.hpp"

#include <algorithm>

#include "common/grpc_status.hpp"

namespace agora::scheduler {

SubscribeCall::SubscribeCall(EventsReadyFn on_events_ready, DoneFn on_done)
    : on_events_ready_(std::move(on_events_ready)), on_done_(std::move(on_done)) {}

std::shared_ptr<SubscribeCall> SubscribeCall::Start(v1::Scheduler::Stub* stub,
                                                    const v1::SubscribeRequest& request,
                                                    EventsReadyFn on_events_ready, DoneFn on_done) {
  std::shared_ptr<SubscribeCall> call(
      new SubscribeCall(std::move(on_events_ready), std::move(on_done)));
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

std::vector<v1::Event> SubscribeCall::TakeEvents() {
  std::vector<v1::Event> events;
  std::lock_guard<std::mutex> lock(mu_);
  events.swap(inbox_);
  ready_signalled_ = false;
  return events;
}

void SubscribeCall::EventsHandled(int count) {
  std::unique_lock<std::mutex> lock(mu_);
  unhandled_ = std::max(0, unhandled_ - count);
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
  inbox_.emplace_back().Swap(&event_);
  ++unhandled_;  // Before the loop can report it handled.
  if (!ready_signalled_) {
    ready_signalled_ = true;
    lock.unlock();
    on_events_ready_();
    lock.lock();
  }
  if (cancelled_) {
    // Cancel() saw a read in flight and left the hold to us.
    reading_ = false;
    ReleaseHoldLocked(lock);
    return;
  }
  if (unhandled_ >= kMaxUnhandled) {
    reading_ = false;  // EventsHandled() resumes.
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
