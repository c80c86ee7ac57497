// SubscribeCall: one Scheduler.Subscribe stream to one master, driven by
// gRPC's callback API.
//
// Owned jointly by the driver loop (a shared_ptr) and by itself until gRPC
// calls OnDone. Reads run ahead of the loop by a bounded window: each event
// read goes to an inbox and the next read starts at once, on gRPC's thread,
// until `kMaxUnhandled` events were read and not yet reported handled with
// EventsHandled(); reading resumes as the loop catches up. A busy driver
// loop therefore costs no round trip per event, and a slow scheduler still
// pushes back on the master (whose bounded queue then drops the subscriber)
// instead of growing memory here.
//
// Hops: `on_events_ready` runs when an event lands in an empty inbox that
// nobody was told about; the loop then takes every event waiting with
// TakeEvents(). Events that arrive before the loop takes them ride along, so
// a burst costs one post and one wake-up of the loop, not one per event.
//
// Threads: `on_events_ready` and `on_done` run on gRPC threads and must only
// post to the loop. TakeEvents(), EventsHandled() and Cancel() are
// thread-safe.
#ifndef AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_
#define AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "agora/v1/scheduler.grpc.pb.h"

namespace agora::scheduler {

class SubscribeCall : public grpc::ClientReadReactor<v1::Event> {
 public:
  using EventsReadyFn = std::function<void()>;
  using DoneFn = std::function<void(absl::Status)>;

  // Starts the call; the first event is read at once.
  static std::shared_ptr<SubscribeCall> Start(v1::Scheduler::Stub* stub,
                                              const v1::SubscribeRequest& request,
                                              EventsReadyFn on_events_ready, DoneFn on_done);

  // Events read and not yet handled, at most.
  static constexpr int kMaxUnhandled = 64;

  // The events read since the last call, oldest first. The next event read
  // after this call triggers `on_events_ready` again.
  std::vector<v1::Event> TakeEvents();
  // Reports that the loop handled `count` events it took.
  void EventsHandled(int count);
  // Ends the call; on_done follows (with CANCELLED unless it already ended).
  void Cancel();

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  SubscribeCall(EventsReadyFn on_events_ready, DoneFn on_done);
  // Lets gRPC finish the call once no more reads will be started.
  void ReleaseHoldLocked(std::unique_lock<std::mutex>& lock);

  grpc::ClientContext context_;
  v1::SubscribeRequest request_;
  v1::Event event_;
  EventsReadyFn on_events_ready_;
  DoneFn on_done_;
  // Keeps this object alive until OnDone.
  std::shared_ptr<SubscribeCall> self_;

  std::mutex mu_;
  // A read is in flight, or its completion is still deciding whether to
  // start the next one: nobody else may start a read.
  bool reading_ = false;
  int unhandled_ = 0;
  std::vector<v1::Event> inbox_;
  // on_events_ready_ ran (or is about to) and TakeEvents() has not yet.
  bool ready_signalled_ = false;
  bool cancelled_ = false;
  bool hold_released_ = false;
};

}  // namespace agora::scheduler

#endif  // AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_
