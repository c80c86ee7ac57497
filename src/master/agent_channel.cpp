// AgentChannelService: one bidirectional stream per agent.
//
// AgentStream is the loop-driven bidi reactor (the pattern of
// ServerEventStream, plus reads): gRPC callbacks only post to the loop; the
// loop hands each received message to MasterCore and only then starts the
// next read (natural back-pressure), and it owns the bounded outbound queue
// with one write in flight. The stream keeps itself alive until gRPC reports
// it done and that report reached the loop. A stream belongs to the core that
// served when it opened (CoreSlot generation); once that core is dropped the
// stream is closed and never reaches its successor.
//
// The method is registered raw (common/raw_methods.hpp): the stream parses
// each message itself, so a message that does not parse ends the stream
// with INVALID_ARGUMENT naming it (a typed bidi stream would see it as the
// end of the stream), and serializes what it sends on the loop.
#include "common/bounded_queue.hpp"
#include "common/grpc_status.hpp"
#include "common/raw_methods.hpp"
#include "glog/logging.h"
#include "master/services.hpp"

namespace agora::master {
namespace {

using internal::AgentMessage;
using internal::MasterMessage;

constexpr char kMethod[] = "/agora.internal.AgentChannel/Connect";

class AgentStream : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                    public AgentSink {
 public:
  static std::shared_ptr<AgentStream> Create(EventLoop* loop, const CoreSlot* slot,
                                             uint64_t connection, size_t capacity) {
    std::shared_ptr<AgentStream> stream(new AgentStream(loop, slot, connection, capacity));
    stream->self_ = stream;
    loop->Post([stream] {
      absl::Status refusal;
      MasterCore* core = stream->slot_->Serving(&refusal);
      if (core == nullptr) {
        stream->disconnected_ = true;  // The core never knew it.
        stream->Close(refusal);
        return;
      }
      stream->generation_ = stream->slot_->generation();
      core->OnAgentConnected(stream->connection_, stream);
      // A core that is shutting down (stepped down) closes the stream at
      // once; no read may start on a finished call.
      if (!stream->closing()) stream->StartRead(&stream->in_);
    });
    return stream;
  }

  bool Send(MasterMessage message) override {
    DCHECK(loop_->IsInLoopThread());
    if (closing()) return false;
    grpc::ByteBuffer bytes = SerializeRaw(message);
    if (!in_flight_) {
      in_flight_ = std::move(bytes);
      StartWrite(&*in_flight_);
      return true;
    }
    if (!queue_.Push(std::move(bytes))) {
      LOG(WARNING) << "Agent stream too slow; disconnecting it connection=" << connection_;
      queue_.Clear();
      Close(absl::ResourceExhaustedError("agent too slow: outbound queue full"));
      return false;
    }
    return true;
  }

  void Close(absl::Status status) override {
    DCHECK(loop_->IsInLoopThread());
    if (closing()) return;
    pending_finish_ = ToGrpcStatus(status);
    MaybeFinish();
  }

 private:
  AgentStream(EventLoop* loop, const CoreSlot* slot, uint64_t connection, size_t capacity)
      : loop_(loop), slot_(slot), connection_(connection), queue_(capacity) {}

  bool closing() const { return pending_finish_.has_value() || done_ || cancelled_; }

  void OnReadDone(bool ok) override {
    if (!ok) {
      loop_->Post([this] {
        NotifyDisconnected();
        Close(absl::OkStatus());
      });
      return;
    }
    AgentMessage message;
    absl::Status parsed = ParseRaw(in_, kMethod, &message);
    loop_->Post([this, parsed, message = std::move(message)] {
      if (closing()) return;
      MasterCore* core = slot_->Of(generation_);
      absl::Status status =
          !parsed.ok()      ? parsed
          : core != nullptr ? core->OnAgentMessage(connection_, message)
                            : absl::UnavailableError("the master serving this stream stepped down");
      if (!status.ok()) {
        LOG(WARNING) << "Closing agent stream connection=" << connection_ << ": " << status;
        NotifyDisconnected();
        Close(status);
        return;
      }
      if (!closing()) StartRead(&in_);
    });
  }

  void OnWriteDone(bool ok) override {
    loop_->Post([this, ok] {
      in_flight_.reset();
      if (!ok) {
        queue_.Clear();
        if (!pending_finish_)
          pending_finish_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
      }
      if (auto next = queue_.Pop(); next && !cancelled_) {
        in_flight_ = std::move(*next);
        StartWrite(&*in_flight_);
        return;
      }
      MaybeFinish();
    });
  }

  void OnCancel() override {
    loop_->Post([this] {
      cancelled_ = true;
      queue_.Clear();
      if (!pending_finish_) pending_finish_ = grpc::Status::CANCELLED;
      MaybeFinish();
      NotifyDisconnected();
    });
  }

  void OnDone() override {
    loop_->Post([this] {
      done_ = true;
      NotifyDisconnected();
      self_.reset();  // May delete this.
    });
  }

  void MaybeFinish() {
    if (!pending_finish_ || in_flight_ || finish_called_ || !queue_.empty()) return;
    finish_called_ = true;
    Finish(*pending_finish_);
  }

  void NotifyDisconnected() {
    if (disconnected_) return;
    disconnected_ = true;
    if (MasterCore* core = slot_->Of(generation_)) core->OnAgentDisconnected(connection_);
  }

  EventLoop* loop_;
  const CoreSlot* slot_;
  uint64_t generation_ = 0;
  uint64_t connection_;
  grpc::ByteBuffer in_;
  BoundedQueue<grpc::ByteBuffer> queue_;
  std::optional<grpc::ByteBuffer> in_flight_;
  std::optional<grpc::Status> pending_finish_;
  bool finish_called_ = false;
  bool done_ = false;
  bool cancelled_ = false;
  bool disconnected_ = false;
  std::shared_ptr<AgentStream> self_;
};

}  // namespace

AgentChannelService::AgentChannelService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity)
    : loop_(loop), slot_(slot), queue_capacity_(queue_capacity) {
  MarkMethodRawCallback(MethodIndex("agora.internal.AgentChannel", "Connect"),
                        NewRawBidiHandler([this](grpc::CallbackServerContext*) {
                          auto stream = AgentStream::Create(loop_, slot_, next_connection_++,
                                                            queue_capacity_);
                          return stream.get();
                        }));
}

}  // namespace agora::master
