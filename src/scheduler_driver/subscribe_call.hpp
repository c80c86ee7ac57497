// SubscribeCall: one Scheduler.Subscribe stream to one master, driven by
// gRPC's callback API.
//
// Owned jointly by the driver loop (a shared_ptr) and by itself until gRPC
// calls OnDone. Reads run ahead of the loop by a bounded window: after the
// `on_event` callback (which posts the event) the next read starts at once,
// on gRPC's thread, until `kMaxUnhandled` events were handed over and not
// yet reported handled with EventHandled(); reading resumes as the loop
// catches up. A busy driver loop therefore costs no round trip per event,
// and a slow scheduler still pushes back on the master (whose bounded queue
// then drops the subscriber) instead of growing memory here.
//
// Threads: `on_event` and `on_done` run on gRPC threads and must only post to
// the loop. EventHandled() and Cancel() are thread-safe.
#ifndef AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_
#define AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "agora/v1/scheduler.grpc.pb.h"

namespace agora::scheduler {

class SubscribeCall : public grpc::ClientReadReactor<v1::Event> {
 public:
  using EventFn = std::function<void(v1::Event)>;
  using DoneFn = std::function<void(absl::Status)>;

  // Starts the call; the first event is read at once.
  static std::shared_ptr<SubscribeCall> Start(v1::Scheduler::Stub* stub,
                                              const v1::SubscribeRequest& request, EventFn on_event,
                                              DoneFn on_done);

  // Events handed to `on_event` and not yet handled, at most.
  static constexpr int kMaxUnhandled = 64;

  // Reports that the loop handled one event handed to `on_event`.
  void EventHandled();
  // Ends the call; on_done follows (with CANCELLED unless it already ended).
  void Cancel();

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  SubscribeCall(EventFn on_event, DoneFn on_done);
  // Lets gRPC finish the call once no more reads will be started.
  void ReleaseHoldLocked(std::unique_lock<std::mutex>& lock);

  grpc::ClientContext context_;
  v1::SubscribeRequest request_;
  v1::Event event_;
  EventFn on_event_;
  DoneFn on_done_;
  // Keeps this object alive until OnDone.
  std::shared_ptr<SubscribeCall> self_;

  std::mutex mu_;
  // A read is in flight, or its completion is still deciding whether to
  // start the next one: nobody else may start a read.
  bool reading_ = false;
  int unhandled_ = 0;
  bool cancelled_ = false;
  bool hold_released_ = false;
};

}  // namespace agora::scheduler

#endif  // AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_
