// SubscribeCall: one Scheduler.Subscribe stream to one master, driven by
// gRPC's callback API.
//
// Owned jointly by the driver loop (a shared_ptr) and by itself until gRPC
// calls OnDone. Reads are flow-controlled by the driver: after the
// `on_event` callback the call waits until the loop has handled the event
// and calls ReadNext(), so a slow scheduler pushes back on the master (whose
// bounded queue then drops the subscriber) instead of growing memory here.
//
// Threads: `on_event` and `on_done` run on gRPC threads and must only post to
// the loop. ReadNext() and Cancel() are thread-safe.
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

  // Asks for the next event (after the previous one has been handled).
  void ReadNext();
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
  bool reading_ = false;
  bool cancelled_ = false;
  bool hold_released_ = false;
};

}  // namespace agora::scheduler

#endif  // AGORA_SCHEDULER_DRIVER_SUBSCRIBE_CALL_HPP_
