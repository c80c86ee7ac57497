// OperatorService: the operator API, run on the loop against the core that
// serves now (GetHealth, GetVersion and GetFlags answer without one).
#include "common/grpc_status.hpp"
#include "common/server_event_stream.hpp"
#include "master/service_calls.hpp"
#include "master/services.hpp"
#include "master/state_wire.hpp"

namespace agora::master {
namespace {

constexpr char kService[] = "agora.v1.MasterOperator";

// Adapts a ServerEventStream of serialized events to the core's WatchSink.
// The stream's own queue is one larger than the bound, so this adapter
// disconnects a subscriber that fell behind first, naming the flag.
class StreamWatchSink : public WatchSink {
 public:
  StreamWatchSink(std::shared_ptr<ServerEventStream<grpc::ByteBuffer>> stream, size_t bound)
      : stream_(std::move(stream)), bound_(bound) {}
  bool Send(const v1::WatchEvent& event) override {
    if (stream_->closing()) return false;
    if (stream_->queued() >= bound_) {
      stream_->Finish(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("watcher too slow: ", bound_,
                       " events queued (--max_watch_queue); watch again for a new snapshot")));
      return false;
    }
    return stream_->Send(SerializeRaw(event));
  }
  void Close(const absl::Status& status) override { stream_->Finish(ToGrpcStatus(status)); }

 private:
  std::shared_ptr<ServerEventStream<grpc::ByteBuffer>> stream_;
  size_t bound_;
};

// A parsing unary handler for a write call: `fn(core, request, done)` runs
// on the loop with the core that serves now and answers through `done`
// once its registry write committed (or at once with a refusal).
template <typename Request, typename Response, typename Fn>
grpc::internal::MethodHandler* Write(const char* method, EventLoop* loop, const CoreSlot* slot,
                                     Fn fn) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(kService, method),
      [loop, slot, fn](const Request& request, Response*, UnaryDone done) {
        loop->Post([slot, fn, &request, done = std::move(done)] {
          absl::Status refusal;
          MasterCore* core = slot->Serving(&refusal);
          if (core == nullptr) return done(refusal);
          fn(core, request, [done](absl::Status status) { done(status); });
        });
      });
}

// A state query answered as bytes: `capture(core, request)` takes a
// StateSnapshot on the loop; `encode(snapshot, request)` writes the
// response's bytes (or a refusal) on the query pool.
template <typename Request, typename Capture, typename Encode>
grpc::internal::MethodHandler* EncodedFromSnapshot(const char* method, EventLoop* loop,
                                                   const CoreSlot* slot, QueryPool* pool,
                                                   Capture capture, Encode encode) {
  return NewParsingRawResponseHandler<Request>(
      MethodPath(kService, method),
      [loop, slot, pool, capture, encode](const Request& request, grpc::ByteBuffer* response,
                                          UnaryDone done) {
        loop->Post([=, &request] {
          absl::Status refusal;
          MasterCore* core = slot->Serving(&refusal);
          if (core == nullptr) return done(refusal);
          std::shared_ptr<const StateSnapshot> snapshot = capture(core, request);
          pool->Post([=, &request] {
            absl::StatusOr<std::string> bytes = encode(*snapshot, request);
            if (!bytes.ok()) return done(bytes.status());
            *response = ByteBufferOf(std::move(*bytes));
            done(absl::OkStatus());
          });
        });
      });
}

}  // namespace

OperatorService::OperatorService(EventLoop* loop, CoreSlot* slot,
                                 std::map<std::string, std::string> flags, size_t watch_queue)
    : loop_(loop), slot_(slot), flags_(std::move(flags)), watch_queue_(watch_queue) {
  // Answered by every master, leading or not: healthy means the process
  // serves and (when leading) its registry writes commit; leading means it
  // serves as the leader now.
  Serve("GetHealth",
        OnLoop<v1::GetHealthRequest, v1::GetHealthResponse>(
            kService, "GetHealth", loop_,
            [slot = slot_](const v1::GetHealthRequest&, v1::GetHealthResponse* response) {
              absl::Status refusal;
              MasterCore* core = slot->Serving(&refusal);
              const MasterHealth health =
                  slot->installed() != nullptr ? slot->installed()->Health() : MasterHealth{};
              response->set_healthy(health.durable);
              response->set_leading(core != nullptr && health.ready);
              std::vector<v1::MasterInfo> masters = slot->Masters();
              if (!masters.empty()) response->set_leader_address(masters.front().address());
              return absl::OkStatus();
            }));
  Serve("GetVersion", AtOnce<v1::GetVersionRequest, v1::VersionInfo>(
                          kService, "GetVersion", [](const auto&, v1::VersionInfo* response) {
                            response->set_version(AGORA_VERSION_STRING);
                            return absl::OkStatus();
                          }));
  Serve("GetFlags",
        AtOnce<v1::GetFlagsRequest, v1::GetFlagsResponse>(
            kService, "GetFlags", [flags = flags_](const auto&, v1::GetFlagsResponse* response) {
              for (const auto& [name, value] : flags) (*response->mutable_flags())[name] = value;
              return absl::OkStatus();
            }));
  // State queries: a snapshot is captured on the loop (cheap, see
  // state_snapshot.hpp); the response is built and serialized on the pool.
  // GetState's and GetTasks' are written as bytes straight from the
  // snapshot's shared tasks (state_wire.hpp), never copied into a message.
  Serve("GetState",
        EncodedFromSnapshot<v1::GetStateRequest>(
            "GetState", loop_, slot_, &queries_,
            [slot = slot_](MasterCore* core, const auto&) {
              return core->SnapshotState(slot->Masters());
            },
            [](const StateSnapshot& snapshot, const auto&) -> absl::StatusOr<std::string> {
              return EncodeStateView(snapshot);
            }));
  Serve("GetAgents",
        FromSnapshot<v1::GetAgentsRequest, v1::GetAgentsResponse>(
            "GetAgents",
            [](MasterCore* core, const v1::GetAgentsRequest& request) {
              return core->SnapshotAgents(request);
            },
            [](const StateSnapshot& snapshot, const auto&, v1::GetAgentsResponse* response) {
              *response = AgentsView(snapshot);
              return absl::OkStatus();
            }));
  Serve("GetFrameworks",
        FromSnapshot<v1::GetFrameworksRequest, v1::GetFrameworksResponse>(
            "GetFrameworks",
            [](MasterCore* core, const v1::GetFrameworksRequest& request) {
              return core->SnapshotFrameworks(request);
            },
            [](const StateSnapshot& snapshot, const auto&, v1::GetFrameworksResponse* response) {
              *response = FrameworksView(snapshot);
              return absl::OkStatus();
            }));
  Serve("GetTasks", EncodedFromSnapshot<v1::GetTasksRequest>(
                        "GetTasks", loop_, slot_, &queries_,
                        [](MasterCore* core, const v1::GetTasksRequest& request) {
                          return core->SnapshotTasks(request);
                        },
                        [](const StateSnapshot& snapshot,
                           const v1::GetTasksRequest& request) -> absl::StatusOr<std::string> {
                          absl::StatusOr<TaskPage> page = SelectTasks(snapshot, request);
                          if (!page.ok()) return page.status();
                          return EncodeTasksView(*page);
                        }));
  Serve("GetOffers",
        FromSnapshot<v1::GetOffersRequest, v1::GetOffersResponse>(
            "GetOffers",
            [](MasterCore* core, const v1::GetOffersRequest& request) {
              return core->SnapshotOffers(request);
            },
            [](const StateSnapshot& snapshot, const auto&, v1::GetOffersResponse* response) {
              *response = OffersView(snapshot);
              return absl::OkStatus();
            }));
  Serve("GetRoles",
        FromSnapshot<v1::GetRolesRequest, v1::GetRolesResponse>(
            "GetRoles", [](MasterCore* core, const auto&) { return core->SnapshotState(); },
            [](const StateSnapshot& snapshot, const auto&, v1::GetRolesResponse* response) {
              *response = RolesView(snapshot);
              return absl::OkStatus();
            }));
  Serve("TeardownFramework", OnCore<v1::TeardownFrameworkRequest, v1::TeardownFrameworkResponse>(
                                 kService, "TeardownFramework", loop_, slot_,
                                 [](MasterCore* core, const v1::TeardownFrameworkRequest& request,
                                    v1::TeardownFrameworkResponse*) {
                                   return core->TeardownFramework(request.framework_id().value());
                                 }));
  Serve("GetQuota", OnCore<v1::GetQuotaRequest, v1::GetQuotaResponse>(
                        kService, "GetQuota", loop_, slot_,
                        [](MasterCore* core, const auto&, v1::GetQuotaResponse* response) {
                          *response = core->GetQuota();
                          return absl::OkStatus();
                        }));
  Serve("UpdateQuota",
        Write<v1::UpdateQuotaRequest, v1::UpdateQuotaResponse>(
            "UpdateQuota", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->UpdateQuota(request, std::move(done));
            }));
  Serve("GetWeights", OnCore<v1::GetWeightsRequest, v1::GetWeightsResponse>(
                          kService, "GetWeights", loop_, slot_,
                          [](MasterCore* core, const auto&, v1::GetWeightsResponse* response) {
                            *response = core->GetWeights();
                            return absl::OkStatus();
                          }));
  Serve("UpdateWeights",
        Write<v1::UpdateWeightsRequest, v1::UpdateWeightsResponse>(
            "UpdateWeights", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->UpdateWeights(request, std::move(done));
            }));
  Serve("DrainAgent",
        Write<v1::DrainAgentRequest, v1::DrainAgentResponse>(
            "DrainAgent", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->DrainAgent(request, std::move(done));
            }));
  Serve("DeactivateAgent",
        Write<v1::DeactivateAgentRequest, v1::DeactivateAgentResponse>(
            "DeactivateAgent", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->DeactivateAgent(request.agent_id().value(), std::move(done));
            }));
  Serve("ReactivateAgent",
        Write<v1::ReactivateAgentRequest, v1::ReactivateAgentResponse>(
            "ReactivateAgent", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->ReactivateAgent(request.agent_id().value(), std::move(done));
            }));
  Serve("MarkAgentGone",
        Write<v1::MarkAgentGoneRequest, v1::MarkAgentGoneResponse>(
            "MarkAgentGone", loop_, slot_, [](MasterCore* core, const auto& request, auto done) {
              core->MarkAgentGone(request.agent_id().value(), std::move(done));
            }));
  Serve("KillTask", OnCore<v1::KillTaskRequest, v1::KillTaskResponse>(
                        kService, "KillTask", loop_, slot_,
                        [](MasterCore* core, const v1::KillTaskRequest& request,
                           v1::KillTaskResponse*) { return core->KillTask(request); }));
  Serve("Watch", NewParsingServerStreamHandler<v1::WatchRequest>(
                     MethodPath(kService, "Watch"),
                     [this](grpc::CallbackServerContext*, const v1::WatchRequest& request) {
                       return StartWatch(request);
                     }));
}

template <typename Request, typename Response, typename Capture, typename Build>
grpc::internal::MethodHandler* OperatorService::FromSnapshot(const char* method, Capture capture,
                                                             Build build) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(kService, method),
      [loop = loop_, slot = slot_, pool = &queries_, capture, build](
          const Request& request, Response* response, UnaryDone done) {
        loop->Post([=, &request]() {
          absl::Status refusal;
          MasterCore* core = slot->Serving(&refusal);
          if (core == nullptr) return done(refusal);
          std::shared_ptr<const StateSnapshot> snapshot = capture(core, request);
          // `done` serializes the response: on the pool too.
          pool->Post([=, &request] { done(build(*snapshot, request, response)); });
        });
      });
}

void OperatorService::Serve(const char* method, grpc::internal::MethodHandler* handler) {
  MarkMethodRawCallback(MethodIndex(kService, method), handler);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* OperatorService::StartWatch(
    const v1::WatchRequest& request) {
  auto stream = ServerEventStream<grpc::ByteBuffer>::Create(loop_, watch_queue_ + 1);
  loop_->Post([slot = slot_, stream, request, bound = watch_queue_] {
    absl::Status refusal;
    MasterCore* core = slot->Serving(&refusal);
    if (core == nullptr) {
      stream->Finish(ToGrpcStatus(refusal));
      return;
    }
    auto id =
        core->Watch(request, std::make_shared<StreamWatchSink>(stream, bound), slot->Masters());
    if (!id.ok()) {
      stream->Finish(ToGrpcStatus(id.status()));
      return;
    }
    // Like a scheduler stream: a watcher outliving its core reports to
    // nobody (the core closed it when it stopped serving).
    const uint64_t generation = slot->generation();
    auto closed = [slot, generation, id = *id] {
      if (MasterCore* owner = slot->Of(generation)) owner->OnWatchClosed(id);
    };
    stream->set_on_closed(closed);
    if (stream->closed()) closed();
  });
  return stream->reactor();
}

}  // namespace agora::master
