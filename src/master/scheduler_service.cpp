// SchedulerService and OperatorService: unary calls run on the loop.
#include "common/grpc_status.hpp"
#include "common/server_event_stream.hpp"
#include "master/services.hpp"

namespace agora::master {
namespace {

// Runs `fn(core)` (returning absl::Status) on the loop with the core that
// serves now, or answers the slot's refusal, and finishes the call.
template <typename Fn>
grpc::ServerUnaryReactor* OnCore(grpc::CallbackServerContext* context, EventLoop* loop,
                                 const CoreSlot* slot, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  loop->Post([reactor, slot, fn = std::move(fn)]() mutable {
    absl::Status refusal;
    MasterCore* core = slot->Serving(&refusal);
    reactor->Finish(ToGrpcStatus(core != nullptr ? fn(core) : refusal));
  });
  return reactor;
}

// Runs `fn()` on the loop, whether or not a core serves.
template <typename Fn>
grpc::ServerUnaryReactor* OnLoop(grpc::CallbackServerContext* context, EventLoop* loop, Fn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  loop->Post([reactor, fn = std::move(fn)]() mutable { reactor->Finish(ToGrpcStatus(fn())); });
  return reactor;
}

grpc::ServerUnaryReactor* Unimplemented(grpc::CallbackServerContext* context, const char* method) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                               std::string(method) + " is not implemented by this master yet"));
  return reactor;
}

// Adapts a ServerEventStream to the core's FrameworkSink.
class StreamFrameworkSink : public FrameworkSink {
 public:
  explicit StreamFrameworkSink(std::shared_ptr<ServerEventStream<v1::Event>> stream)
      : stream_(std::move(stream)) {}
  bool Send(v1::Event event) override { return stream_->Send(std::move(event)); }
  void Close(absl::Status status) override { stream_->Finish(ToGrpcStatus(status)); }

 private:
  std::shared_ptr<ServerEventStream<v1::Event>> stream_;
};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* SchedulerService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  auto stream = ServerEventStream<v1::Event>::Create(loop_, queue_capacity_);
  loop_->Post([slot = slot_, stream, request = *request] {
    absl::Status refusal;
    MasterCore* core = slot->Serving(&refusal);
    if (core == nullptr) {
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
  });
  return stream->reactor();
}

#define AGORA_SCHEDULER_CALL(Method, Request, CoreMethod)                                    \
  grpc::ServerUnaryReactor* SchedulerService::Method(                                        \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::CallResponse*) { \
    return OnCore(context, loop_, slot_,                                                     \
                  [request](MasterCore* core) { return core->CoreMethod(*request); });       \
  }

AGORA_SCHEDULER_CALL(Accept, AcceptRequest, Accept)
AGORA_SCHEDULER_CALL(Decline, DeclineRequest, Decline)
AGORA_SCHEDULER_CALL(Revive, ReviveRequest, Revive)
AGORA_SCHEDULER_CALL(Suppress, SuppressRequest, Suppress)
AGORA_SCHEDULER_CALL(Kill, KillRequest, Kill)
AGORA_SCHEDULER_CALL(Shutdown, ShutdownRequest, ShutdownExecutor)
AGORA_SCHEDULER_CALL(Acknowledge, AcknowledgeRequest, Acknowledge)
AGORA_SCHEDULER_CALL(Reconcile, ReconcileRequest, Reconcile)
AGORA_SCHEDULER_CALL(Message, MessageRequest, Message)
AGORA_SCHEDULER_CALL(Teardown, TeardownRequest, Teardown)
AGORA_SCHEDULER_CALL(UpdateFramework, UpdateFrameworkRequest, UpdateFramework)
#undef AGORA_SCHEDULER_CALL

// ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* OperatorService::GetHealth(grpc::CallbackServerContext* context,
                                                     const v1::GetHealthRequest*,
                                                     v1::GetHealthResponse* response) {
  // Answered by every master, leading or not: healthy means the process
  // serves and (when leading) its registry writes commit; leading means it
  // serves as the leader now.
  return OnLoop(context, loop_, [slot = slot_, response] {
    absl::Status refusal;
    MasterCore* core = slot->Serving(&refusal);
    const MasterHealth health =
        slot->installed() != nullptr ? slot->installed()->Health() : MasterHealth{};
    response->set_healthy(health.durable);
    response->set_leading(core != nullptr && health.ready);
    std::vector<v1::MasterInfo> masters = slot->Masters();
    if (!masters.empty()) response->set_leader_address(masters.front().address());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetVersion(grpc::CallbackServerContext* context,
                                                      const v1::GetVersionRequest*,
                                                      v1::VersionInfo* response) {
  response->set_version(AGORA_VERSION_STRING);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* OperatorService::GetFlags(grpc::CallbackServerContext* context,
                                                    const v1::GetFlagsRequest*,
                                                    v1::GetFlagsResponse* response) {
  for (const auto& [name, value] : flags_) (*response->mutable_flags())[name] = value;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* OperatorService::GetState(grpc::CallbackServerContext* context,
                                                    const v1::GetStateRequest*,
                                                    v1::MasterState* response) {
  return OnCore(context, loop_, slot_, [slot = slot_, response](MasterCore* core) {
    *response = core->BuildState();
    for (v1::MasterInfo& info : slot->Masters()) *response->add_masters() = std::move(info);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetAgents(grpc::CallbackServerContext* context,
                                                     const v1::GetAgentsRequest* request,
                                                     v1::GetAgentsResponse* response) {
  return OnCore(context, loop_, slot_, [request, response](MasterCore* core) {
    *response = core->GetAgents(*request);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetFrameworks(grpc::CallbackServerContext* context,
                                                         const v1::GetFrameworksRequest* request,
                                                         v1::GetFrameworksResponse* response) {
  return OnCore(context, loop_, slot_, [request, response](MasterCore* core) {
    *response = core->GetFrameworks(*request);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetTasks(grpc::CallbackServerContext* context,
                                                    const v1::GetTasksRequest* request,
                                                    v1::GetTasksResponse* response) {
  return OnCore(context, loop_, slot_, [request, response](MasterCore* core) {
    auto tasks = core->GetTasks(*request);
    if (!tasks.ok()) return tasks.status();
    *response = std::move(*tasks);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetOffers(grpc::CallbackServerContext* context,
                                                     const v1::GetOffersRequest* request,
                                                     v1::GetOffersResponse* response) {
  return OnCore(context, loop_, slot_, [request, response](MasterCore* core) {
    *response = core->GetOffers(*request);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::GetRoles(grpc::CallbackServerContext* context,
                                                    const v1::GetRolesRequest*,
                                                    v1::GetRolesResponse* response) {
  return OnCore(context, loop_, slot_, [response](MasterCore* core) {
    *response = core->GetRoles();
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorService::TeardownFramework(
    grpc::CallbackServerContext* context, const v1::TeardownFrameworkRequest* request,
    v1::TeardownFrameworkResponse*) {
  return OnCore(context, loop_, slot_, [request](MasterCore* core) {
    return core->TeardownFramework(request->framework_id().value());
  });
}

#define AGORA_OPERATOR_UNIMPLEMENTED(Method, Request, Response)                           \
  grpc::ServerUnaryReactor* OperatorService::Method(grpc::CallbackServerContext* context, \
                                                    const v1::Request*, v1::Response*) {  \
    return Unimplemented(context, #Method);                                               \
  }

AGORA_OPERATOR_UNIMPLEMENTED(GetQuota, GetQuotaRequest, GetQuotaResponse)
AGORA_OPERATOR_UNIMPLEMENTED(UpdateQuota, UpdateQuotaRequest, UpdateQuotaResponse)
AGORA_OPERATOR_UNIMPLEMENTED(GetWeights, GetWeightsRequest, GetWeightsResponse)
AGORA_OPERATOR_UNIMPLEMENTED(UpdateWeights, UpdateWeightsRequest, UpdateWeightsResponse)
AGORA_OPERATOR_UNIMPLEMENTED(DrainAgent, DrainAgentRequest, DrainAgentResponse)
AGORA_OPERATOR_UNIMPLEMENTED(DeactivateAgent, DeactivateAgentRequest, DeactivateAgentResponse)
AGORA_OPERATOR_UNIMPLEMENTED(ReactivateAgent, ReactivateAgentRequest, ReactivateAgentResponse)
AGORA_OPERATOR_UNIMPLEMENTED(MarkAgentGone, MarkAgentGoneRequest, MarkAgentGoneResponse)
#undef AGORA_OPERATOR_UNIMPLEMENTED

namespace {
// Finishes a server stream at once with a status.
class FinishedWatch : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  explicit FinishedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};
}  // namespace

grpc::ServerWriteReactor<v1::WatchEvent>* OperatorService::Watch(grpc::CallbackServerContext*,
                                                                 const v1::WatchRequest*) {
  return new FinishedWatch(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "Watch is not implemented by this master yet"));
}

}  // namespace agora::master
