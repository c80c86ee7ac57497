// ServerEventStream<T>: a gRPC server-streaming reactor fed by one event
// loop, with a bounded outbound queue.
//
// The service handler (on a gRPC thread) creates one with Create(), returns
// reactor() to gRPC, and posts the shared handle to its loop. From then on
// only the loop calls Send()/Finish(). Writes are paced by gRPC, not by the
// loop: a write's completion starts the next queued write on gRPC's thread
// (StreamWriteQueue), so a busy loop does not slow a stream down to one
// message per loop turn. One write is in flight at a time; up to `capacity`
// further messages wait; a subscriber that lets the queue overflow is
// finished with RESOURCE_EXHAUSTED. Finish() takes effect after the queued
// messages are written. The stream's end (cancel, done) is posted to the
// loop, so closed() and the on_closed callback are loop-owned.
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
#include <string>
#include <utility>

#include "common/event_loop.hpp"
#include "common/stream_write_queue.hpp"
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
    return writer_.SendOr(std::move(message), [this] {
      LOG(WARNING) << "Stream subscriber too slow: " << capacity_
                   << " messages queued; disconnecting it";
    });
  }

  // Finishes the stream after the queued messages are written.
  void Finish(grpc::Status status) {
    DCHECK(loop_->IsInLoopThread());
    writer_.Finish(std::move(status));
  }

  // True once Finish() was called or the peer went away.
  bool closing() const { return closed() || writer_.closing(); }
  // True once the loop heard that the peer went away or gRPC is done.
  bool closed() const { return finished_ || cancelled_; }
  size_t queued() const { return writer_.queued(); }

 private:
  using Writer = StreamWriteQueue<T, grpc::Status>;

  ServerEventStream(EventLoop* loop, size_t capacity)
      : loop_(loop),
        capacity_(capacity),
        writer_(
            capacity, [this](const T* message) { this->StartWrite(message); },
            [this](const grpc::Status& status) {
              this->grpc::ServerWriteReactor<T>::Finish(status);
            },
            grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                         "subscriber too slow: outbound queue full"),
            grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"), grpc::Status::CANCELLED) {}

  // gRPC threads. Writes chain without the loop; the end is posted to it.
  void OnWriteDone(bool ok) override { writer_.OnWriteDone(ok); }
  void OnCancel() override {
    writer_.Cancel();
    loop_->Post([this] {
      cancelled_ = true;
      NotifyClosed();
    });
  }
  void OnDone() override {
    loop_->Post([this] {
      finished_ = true;
      NotifyClosed();
      self_.reset();  // May delete this; nothing may follow.
    });
  }

  void NotifyClosed() {
    if (!on_closed_) return;
    auto callback = std::move(on_closed_);
    on_closed_ = nullptr;
    callback();
  }

  EventLoop* loop_;
  const size_t capacity_;
  Writer writer_;
  // Loop-owned.
  bool finished_ = false;
  bool cancelled_ = false;
  std::function<void()> on_closed_;
  std::shared_ptr<ServerEventStream> self_;
};

}  // namespace agora

#endif  // AGORA_COMMON_SERVER_EVENT_STREAM_HPP_
