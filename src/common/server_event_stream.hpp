// ServerEventStream<T>: a gRPC server-streaming reactor whose writes are
// driven by one event loop, with a bounded outbound queue.
//
// The service handler (on a gRPC thread) creates one with Create(), returns
// reactor() to gRPC, and posts the shared handle to its loop. From then on
// only the loop calls Send()/Finish(). gRPC callbacks (write done, cancel,
// done) are posted to the loop, so the stream's state is loop-owned like
// everything else. One write is in flight at a time; up to `capacity`
// further messages wait; a subscriber that lets the queue overflow is
// finished with RESOURCE_EXHAUSTED.
//
// Lifetime: the stream keeps itself alive until gRPC reports it done (and
// that report has reached the loop); owners may hold the shared handle for
// longer and must check closed() before relying on it.
#ifndef AGORA_COMMON_SERVER_EVENT_STREAM_HPP_
#define AGORA_COMMON_SERVER_EVENT_STREAM_HPP_

#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/bounded_queue.hpp"
#include "common/event_loop.hpp"
#include "glog/logging.h"

namespace agora {

template <typename T>
class ServerEventStream : public grpc::ServerWriteReactor<T> {
 public:
  static std::shared_ptr<ServerEventStream> Create(EventLoop* loop, size_t capacity) {
    std::shared_ptr<ServerEventStream> stream(new ServerEventStream(loop, capacity));
    stream->self_ = stream;
    return stream;
  }

  grpc::ServerWriteReactor<T>* reactor() { return this; }

  // Called once, on the loop, when the peer goes away or the stream finishes
  // (whichever is first). Loop thread only.
  void set_on_closed(std::function<void()> on_closed) { on_closed_ = std::move(on_closed); }

  // Queues `message`. False if the stream is closed or closing, or if the
  // queue overflowed (the stream is then finished with RESOURCE_EXHAUSTED).
  bool Send(T message) {
    DCHECK(loop_->IsInLoopThread());
    if (closing()) return false;
    if (!in_flight_) {
      StartWriteOf(std::move(message));
      return true;
    }
    if (!queue_.Push(std::move(message))) {
      LOG(WARNING) << "Stream subscriber too slow: " << queue_.capacity()
                   << " messages queued; disconnecting it";
      queue_.Clear();
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "subscriber too slow: outbound queue full"));
      return false;
    }
    return true;
  }

  // Finishes the stream after the queued messages are written.
  void Finish(grpc::Status status) {
    DCHECK(loop_->IsInLoopThread());
    if (closing()) return;
    pending_finish_ = std::move(status);
    MaybeFinish();
  }

  // True once Finish() was called or the peer went away.
  bool closing() const { return pending_finish_.has_value() || finished_ || cancelled_; }
  bool closed() const { return finished_ || cancelled_; }
  size_t queued() const { return queue_.size(); }

 private:
  ServerEventStream(EventLoop* loop, size_t capacity) : loop_(loop), queue_(capacity) {}

  // gRPC threads: hand everything to the loop.
  void OnWriteDone(bool ok) override {
    loop_->Post([this, ok] { HandleWriteDone(ok); });
  }
  void OnCancel() override {
    loop_->Post([this] { HandleCancel(); });
  }
  void OnDone() override {
    loop_->Post([this] {
      finished_ = true;
      NotifyClosed();
      self_.reset();  // May delete this; nothing may follow.
    });
  }

  void StartWriteOf(T message) {
    in_flight_ = std::move(message);
    this->StartWrite(&*in_flight_);
  }

  void HandleWriteDone(bool ok) {
    in_flight_.reset();
    if (!ok) {
      // The peer is gone; the rest of the queue can never be delivered.
      queue_.Clear();
      if (!pending_finish_)
        pending_finish_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
    }
    if (std::optional<T> next = queue_.Pop(); next && !cancelled_) {
      StartWriteOf(std::move(*next));
      return;
    }
    MaybeFinish();
  }

  void HandleCancel() {
    cancelled_ = true;
    queue_.Clear();
    if (!pending_finish_) pending_finish_ = grpc::Status::CANCELLED;
    MaybeFinish();
    NotifyClosed();
  }

  void MaybeFinish() {
    if (!pending_finish_ || in_flight_ || finish_called_ || !queue_.empty()) return;
    finish_called_ = true;
    this->grpc::ServerWriteReactor<T>::Finish(*pending_finish_);
  }

  void NotifyClosed() {
    if (!on_closed_) return;
    auto callback = std::move(on_closed_);
    on_closed_ = nullptr;
    callback();
  }

  EventLoop* loop_;
  BoundedQueue<T> queue_;
  std::optional<T> in_flight_;
  std::optional<grpc::Status> pending_finish_;
  bool finish_called_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  std::function<void()> on_closed_;
  std::shared_ptr<ServerEventStream> self_;
};

}  // namespace agora

#endif  // AGORA_COMMON_SERVER_EVENT_STREAM_HPP_
