// The master's gRPC services: thin adapters that post every call to the
// master's loop, run it on the MasterCore that serves now (CoreSlot; when
// none does, the slot's refusal: UNAVAILABLE with a LeaderRedirect) and hand
// the result back to gRPC. Constructed by Master; they hold raw pointers to
// the loop and slot, which outlive the gRPC server (shut down first).
#ifndef AGORA_MASTER_SERVICES_HPP_
#define AGORA_MASTER_SERVICES_HPP_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "agora/internal/agent_master.grpc.pb.h"
#include "agora/v1/master.grpc.pb.h"
#include "agora/v1/scheduler.grpc.pb.h"
#include "common/event_loop.hpp"
#include "master/core_slot.hpp"

namespace agora::master {

class SchedulerService : public v1::Scheduler::CallbackService {
 public:
  SchedulerService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity)
      : loop_(loop), slot_(slot), queue_capacity_(queue_capacity) {}

  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext* context,
                                                 const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* Accept(grpc::CallbackServerContext* context,
                                   const v1::AcceptRequest* request,
                                   v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Decline(grpc::CallbackServerContext* context,
                                    const v1::DeclineRequest* request,
                                    v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Revive(grpc::CallbackServerContext* context,
                                   const v1::ReviveRequest* request,
                                   v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Suppress(grpc::CallbackServerContext* context,
                                     const v1::SuppressRequest* request,
                                     v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Kill(grpc::CallbackServerContext* context,
                                 const v1::KillRequest* request,
                                 v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const v1::ShutdownRequest* request,
                                     v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Acknowledge(grpc::CallbackServerContext* context,
                                        const v1::AcknowledgeRequest* request,
                                        v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Reconcile(grpc::CallbackServerContext* context,
                                      const v1::ReconcileRequest* request,
                                      v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Message(grpc::CallbackServerContext* context,
                                    const v1::MessageRequest* request,
                                    v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* Teardown(grpc::CallbackServerContext* context,
                                     const v1::TeardownRequest* request,
                                     v1::CallResponse* response) override;
  grpc::ServerUnaryReactor* UpdateFramework(grpc::CallbackServerContext* context,
                                            const v1::UpdateFrameworkRequest* request,
                                            v1::CallResponse* response) override;

 private:
  EventLoop* loop_;
  CoreSlot* slot_;
  size_t queue_capacity_;
};

class AgentChannelService : public internal::AgentChannel::CallbackService {
 public:
  AgentChannelService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity)
      : loop_(loop), slot_(slot), queue_capacity_(queue_capacity) {}

  grpc::ServerBidiReactor<internal::AgentMessage, internal::MasterMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  EventLoop* loop_;
  CoreSlot* slot_;
  size_t queue_capacity_;
  std::atomic<uint64_t> next_connection_{1};
};

class OperatorService : public v1::MasterOperator::CallbackService {
 public:
  OperatorService(EventLoop* loop, CoreSlot* slot, std::map<std::string, std::string> flags)
      : loop_(loop), slot_(slot), flags_(std::move(flags)) {}

  grpc::ServerUnaryReactor* GetHealth(grpc::CallbackServerContext* context,
                                      const v1::GetHealthRequest* request,
                                      v1::GetHealthResponse* response) override;
  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* context,
                                       const v1::GetVersionRequest* request,
                                       v1::VersionInfo* response) override;
  grpc::ServerUnaryReactor* GetFlags(grpc::CallbackServerContext* context,
                                     const v1::GetFlagsRequest* request,
                                     v1::GetFlagsResponse* response) override;
  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* context,
                                     const v1::GetStateRequest* request,
                                     v1::MasterState* response) override;
  grpc::ServerUnaryReactor* GetAgents(grpc::CallbackServerContext* context,
                                      const v1::GetAgentsRequest* request,
                                      v1::GetAgentsResponse* response) override;
  grpc::ServerUnaryReactor* GetFrameworks(grpc::CallbackServerContext* context,
                                          const v1::GetFrameworksRequest* request,
                                          v1::GetFrameworksResponse* response) override;
  grpc::ServerUnaryReactor* GetTasks(grpc::CallbackServerContext* context,
                                     const v1::GetTasksRequest* request,
                                     v1::GetTasksResponse* response) override;
  grpc::ServerUnaryReactor* GetOffers(grpc::CallbackServerContext* context,
                                      const v1::GetOffersRequest* request,
                                      v1::GetOffersResponse* response) override;
  grpc::ServerUnaryReactor* GetRoles(grpc::CallbackServerContext* context,
                                     const v1::GetRolesRequest* request,
                                     v1::GetRolesResponse* response) override;
  grpc::ServerUnaryReactor* TeardownFramework(grpc::CallbackServerContext* context,
                                              const v1::TeardownFrameworkRequest* request,
                                              v1::TeardownFrameworkResponse* response) override;
  grpc::ServerUnaryReactor* GetQuota(grpc::CallbackServerContext* context,
                                     const v1::GetQuotaRequest* request,
                                     v1::GetQuotaResponse* response) override;
  grpc::ServerUnaryReactor* UpdateQuota(grpc::CallbackServerContext* context,
                                        const v1::UpdateQuotaRequest* request,
                                        v1::UpdateQuotaResponse* response) override;
  grpc::ServerUnaryReactor* GetWeights(grpc::CallbackServerContext* context,
                                       const v1::GetWeightsRequest* request,
                                       v1::GetWeightsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateWeights(grpc::CallbackServerContext* context,
                                          const v1::UpdateWeightsRequest* request,
                                          v1::UpdateWeightsResponse* response) override;
  grpc::ServerUnaryReactor* DrainAgent(grpc::CallbackServerContext* context,
                                       const v1::DrainAgentRequest* request,
                                       v1::DrainAgentResponse* response) override;
  grpc::ServerUnaryReactor* DeactivateAgent(grpc::CallbackServerContext* context,
                                            const v1::DeactivateAgentRequest* request,
                                            v1::DeactivateAgentResponse* response) override;
  grpc::ServerUnaryReactor* ReactivateAgent(grpc::CallbackServerContext* context,
                                            const v1::ReactivateAgentRequest* request,
                                            v1::ReactivateAgentResponse* response) override;
  grpc::ServerUnaryReactor* MarkAgentGone(grpc::CallbackServerContext* context,
                                          const v1::MarkAgentGoneRequest* request,
                                          v1::MarkAgentGoneResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext* context,
                                                  const v1::WatchRequest* request) override;

 private:
  EventLoop* loop_;
  CoreSlot* slot_;
  std::map<std::string, std::string> flags_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_SERVICES_HPP_
