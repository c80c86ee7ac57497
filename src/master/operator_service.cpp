// OperatorService: the operator API, run on the loop against the core that
// serves now (GetHealth, GetVersion and GetFlags answer without one).
#include "common/grpc_status.hpp"
#include "master/service_calls.hpp"
#include "master/services.hpp"

namespace agora::master {
namespace {

constexpr char kService[] = "agora.v1.MasterOperator";

// A method this master does not implement yet: UNIMPLEMENTED naming it
// (once the request parsed).
template <typename Request, typename Response>
grpc::internal::MethodHandler* NotYet(const char* method) {
  std::string message = absl::StrCat(method, " is not implemented by this master yet");
  return AtOnce<Request, Response>(kService, method, [message](const Request&, Response*) {
    return absl::UnimplementedError(message);
  });
}

}  // namespace

OperatorService::OperatorService(EventLoop* loop, CoreSlot* slot,
                                 std::map<std::string, std::string> flags)
    : loop_(loop), slot_(slot), flags_(std::move(flags)) {
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
  Serve("GetState", FromSnapshot<v1::GetStateRequest, v1::MasterState>(
                        "GetState",
                        [slot = slot_](MasterCore* core, const auto&) {
                          return core->SnapshotState(slot->Masters());
                        },
                        [](const StateSnapshot& snapshot, const auto&, v1::MasterState* response) {
                          *response = StateView(snapshot);
                          return absl::OkStatus();
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
  Serve("GetTasks", FromSnapshot<v1::GetTasksRequest, v1::GetTasksResponse>(
                        "GetTasks",
                        [](MasterCore* core, const v1::GetTasksRequest& request) {
                          return core->SnapshotTasks(request);
                        },
                        [](const StateSnapshot& snapshot, const v1::GetTasksRequest& request,
                           v1::GetTasksResponse* response) {
                          auto tasks = TasksView(snapshot, request);
                          if (!tasks.ok()) return tasks.status();
                          *response = std::move(*tasks);
                          return absl::OkStatus();
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
  Serve("GetQuota", NotYet<v1::GetQuotaRequest, v1::GetQuotaResponse>("GetQuota"));
  Serve("UpdateQuota", NotYet<v1::UpdateQuotaRequest, v1::UpdateQuotaResponse>("UpdateQuota"));
  Serve("GetWeights", NotYet<v1::GetWeightsRequest, v1::GetWeightsResponse>("GetWeights"));
  Serve("UpdateWeights",
        NotYet<v1::UpdateWeightsRequest, v1::UpdateWeightsResponse>("UpdateWeights"));
  Serve("DrainAgent", NotYet<v1::DrainAgentRequest, v1::DrainAgentResponse>("DrainAgent"));
  Serve("DeactivateAgent",
        NotYet<v1::DeactivateAgentRequest, v1::DeactivateAgentResponse>("DeactivateAgent"));
  Serve("ReactivateAgent",
        NotYet<v1::ReactivateAgentRequest, v1::ReactivateAgentResponse>("ReactivateAgent"));
  Serve("MarkAgentGone",
        NotYet<v1::MarkAgentGoneRequest, v1::MarkAgentGoneResponse>("MarkAgentGone"));
  Serve("Watch", NewParsingServerStreamHandler<v1::WatchRequest>(
                     MethodPath(kService, "Watch"),
                     [](grpc::CallbackServerContext*, const v1::WatchRequest&) {
                       return new FinishedWriteReactor(
                           absl::UnimplementedError("Watch is not implemented by this master yet"));
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

}  // namespace agora::master
