// SchedulerService: Subscribe streams and the unary scheduler calls, each
// run on the loop against the core that serves now.
//
// Lanes (EventLoop::PostBulk): a call is posted to the loop's ordinary lane,
// where a call that its core refuses by its caller check (unknown framework,
// stale stream) is answered at once, by the core's own method; a call of a
// live framework moves to the bulk lane, where it runs in order with the
// agents' messages and the other calls of live frameworks. Subscribe goes
// to the bulk lane directly, so a framework's calls keep their order.
#include "common/grpc_status.hpp"
#include "common/server_event_stream.hpp"
#include "master/service_calls.hpp"
#include "master/services.hpp"

namespace agora::master {
namespace {

constexpr char kService[] = "agora.v1.Scheduler";

// Adapts a ServerEventStream of serialized events to the core's
// FrameworkSink (events are serialized on the loop: Subscribe is raw).
class StreamFrameworkSink : public FrameworkSink {
 public:
  explicit StreamFrameworkSink(std::shared_ptr<ServerEventStream<grpc::ByteBuffer>> stream)
      : stream_(std::move(stream)) {}
  bool Send(v1::Event event) override { return stream_->Send(SerializeRaw(event)); }
  void Close(absl::Status status) override { stream_->Finish(ToGrpcStatus(status)); }

 private:
  std::shared_ptr<ServerEventStream<grpc::ByteBuffer>> stream_;
};

// A scheduler call: MasterCore's method for the request, on the bulk lane
// unless the caller check refuses it.
template <typename Request>
grpc::internal::MethodHandler* CoreCall(const char* method, EventLoop* loop, const CoreSlot* slot,
                                        absl::Status (MasterCore::*call)(const Request&)) {
  return NewParsingUnaryHandler<Request, v1::CallResponse>(
      MethodPath(kService, method),
      [loop, slot, call](const Request& request, v1::CallResponse*, UnaryDone done) {
        loop->Post([loop, slot, call, &request, done = std::move(done)]() mutable {
          absl::Status refusal;
          MasterCore* core = slot->Serving(&refusal);
          if (core == nullptr) return done(refusal);
          if (!core->IsLiveCaller(request.header())) return done((core->*call)(request));
          loop->PostBulk([slot, call, &request, done = std::move(done)] {
            absl::Status refusal;
            MasterCore* core = slot->Serving(&refusal);
            done(core != nullptr ? (core->*call)(request) : refusal);
          });
        });
      });
}

}  // namespace

SchedulerService::SchedulerService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity)
    : loop_(loop), slot_(slot), queue_capacity_(queue_capacity) {
  Serve("Subscribe", NewParsingServerStreamHandler<v1::SubscribeRequest>(
                         MethodPath(kService, "Subscribe"),
                         [this](grpc::CallbackServerContext*, const v1::SubscribeRequest& request) {
                           return StartSubscribe(request);
                         }));
  Serve("Accept", CoreCall("Accept", loop_, slot_, &MasterCore::Accept));
  Serve("Decline", CoreCall("Decline", loop_, slot_, &MasterCore::Decline));
  Serve("Revive", CoreCall("Revive", loop_, slot_, &MasterCore::Revive));
  Serve("Suppress", CoreCall("Suppress", loop_, slot_, &MasterCore::Suppress));
  Serve("Kill", CoreCall("Kill", loop_, slot_, &MasterCore::Kill));
  Serve("Shutdown", CoreCall("Shutdown", loop_, slot_, &MasterCore::ShutdownExecutor));
  Serve("Acknowledge", CoreCall("Acknowledge", loop_, slot_, &MasterCore::Acknowledge));
  Serve("Reconcile", CoreCall("Reconcile", loop_, slot_, &MasterCore::Reconcile));
  Serve("Message", CoreCall("Message", loop_, slot_, &MasterCore::Message));
  Serve("Teardown", CoreCall("Teardown", loop_, slot_, &MasterCore::Teardown));
  Serve("UpdateFramework", CoreCall("UpdateFramework", loop_, slot_, &MasterCore::UpdateFramework));
}

void SchedulerService::Serve(const char* method, grpc::internal::MethodHandler* handler) {
  MarkMethodRawCallback(MethodIndex(kService, method), handler);
}

namespace {

// Loop thread: subscribes on the serving core. While an elected master
// recovers its registry the stream waits in the slot's hold and subscribes
// the moment the core is installed (as agent streams do).
void SubscribeWhenServing(CoreSlot* slot,
                          const std::shared_ptr<ServerEventStream<grpc::ByteBuffer>>& stream,
                          const v1::SubscribeRequest& request, bool may_hold) {
  if (stream->closed()) return;  // Gone while held.
  absl::Status refusal;
  MasterCore* core = slot->Serving(&refusal);
  if (core == nullptr) {
    if (may_hold && slot->HoldUntilServing([slot, stream, request](const absl::Status& status) {
          if (status.ok()) {
            SubscribeWhenServing(slot, stream, request, /*may_hold=*/false);
          } else {
            stream->Finish(ToGrpcStatus(status));
          }
        })) {
      return;
    }
    stream->Finish(ToGrpcStatus(refusal));
    return;
  }
  uint64_t token = 0;
  absl::Status status =
      core->Subscribe(request, std::make_shared<StreamFrameworkSink>(stream), &token);
  if (!status.ok()) {
    stream->Finish(ToGrpcStatus(status));
    return;
  }
  // A stream outliving its core (the master stopped leading) reports to
  // nobody: the core that replaces it never knew the token.
  const uint64_t generation = slot->generation();
  auto closed = [slot, generation, token] {
    if (MasterCore* owner = slot->Of(generation)) owner->OnFrameworkStreamClosed(token);
  };
  stream->set_on_closed(closed);
  if (stream->closed()) closed();
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* SchedulerService::StartSubscribe(
    const v1::SubscribeRequest& request) {
  auto stream = ServerEventStream<grpc::ByteBuffer>::Create(loop_, queue_capacity_);
  loop_->PostBulk([slot = slot_, stream, request] {
    SubscribeWhenServing(slot, stream, request, /*may_hold=*/true);
  });
  return stream->reactor();
}

}  // namespace agora::master
