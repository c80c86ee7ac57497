// MasterCore: all of a master's state and behaviour, on one event loop.
//
// Frameworks, agents, outstanding offers and tasks live here and are touched
// only on `loop`. The gRPC services are thin adapters: they post each call to
// the loop, call the matching method, and hand the returned Status back to
// gRPC. Outbound traffic goes through two sink interfaces (a framework's
// event stream and an agent's message stream), so the core has no gRPC
// dependency and its behaviour can be driven directly.
//
// Implementation split: master_core.cpp (lifecycle, allocation, offers),
// core_frameworks.cpp (subscribe, failover, teardown), core_calls.cpp
// (scheduler commands), core_agents.cpp (agent channel), core_state.cpp
// (operator snapshots, metrics).
#ifndef AGORA_MASTER_MASTER_CORE_HPP_
#define AGORA_MASTER_MASTER_CORE_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agora/internal/agent_master.pb.h"
#include "agora/v1/master.pb.h"
#include "agora/v1/scheduler.pb.h"
#include "common/event_loop.hpp"
#include "common/ids.hpp"
#include "common/resources.hpp"
#include "master/accept_validation.hpp"
#include "master/allocation.hpp"
#include "master/master_options.hpp"
#include "master/registry.hpp"
#include "master/task_book.hpp"

namespace agora::master {

// A framework's event stream. Loop thread only.
class FrameworkSink {
 public:
  virtual ~FrameworkSink() = default;
  // False if the stream is closed (or was closed for being too slow).
  virtual bool Send(v1::Event event) = 0;
  // Ends the stream after the queued events.
  virtual void Close(absl::Status status) = 0;
};

// An agent's message stream. Loop thread only.
class AgentSink {
 public:
  virtual ~AgentSink() = default;
  virtual bool Send(internal::MasterMessage message) = 0;
  virtual void Close(absl::Status status) = 0;
};

// Counters exported on /metrics. Loop-owned; copied out for rendering.
struct MasterCounters {
  std::map<std::string, uint64_t> messages;  // Per message kind received.
  uint64_t offers_sent = 0;
  uint64_t offers_rescinded = 0;
  uint64_t offers_declined = 0;
  uint64_t offers_accepted = 0;
  uint64_t tasks_launched = 0;
  uint64_t tasks_errored = 0;
  uint64_t tasks_dropped = 0;
  uint64_t allocation_cycles = 0;
  double allocation_seconds_total = 0;
  double allocation_seconds_last = 0;
  uint64_t invalid_requests = 0;
};

// Scalar figures for /metrics and /health.
struct MasterMetrics {
  MasterCounters counters;
  size_t agents_connected = 0;
  size_t agents_disconnected = 0;
  size_t agents_unreachable = 0;
  size_t frameworks_connected = 0;
  size_t frameworks_disconnected = 0;
  size_t offers_outstanding = 0;
  std::map<v1::TaskState, size_t> tasks_by_state;
  size_t tasks_completed = 0;
};

class MasterCore {
 public:
  MasterCore(EventLoop* loop, MasterOptions options, std::string master_id,
             std::string master_address, std::unique_ptr<Registry> registry,
             std::unique_ptr<Allocation> allocation);
  ~MasterCore();

  // Loads the registry and bumps the id epoch (blocking; before serving).
  absl::Status Recover();
  // Starts the periodic allocation sweep. Loop thread.
  void Start();
  // The advertised gRPC address (known once the server is bound). Before
  // the loop starts.
  void set_master_address(std::string address) { master_address_ = std::move(address); }
  // Closes every stream and cancels every timer. Loop thread.
  void Shutdown();

  // --- Scheduler API (loop thread). ---
  // Validates and subscribes; SUBSCRIBED (or an error) goes to `sink`. On
  // error the caller closes the stream with the returned status.
  absl::Status Subscribe(const v1::SubscribeRequest& request, std::shared_ptr<FrameworkSink> sink,
                         uint64_t* stream_token);
  // The stream identified by `stream_token` went away.
  void OnFrameworkStreamClosed(uint64_t stream_token);
  absl::Status Accept(const v1::AcceptRequest& request);
  absl::Status Decline(const v1::DeclineRequest& request);
  absl::Status Revive(const v1::ReviveRequest& request);
  absl::Status Suppress(const v1::SuppressRequest& request);
  absl::Status Kill(const v1::KillRequest& request);
  absl::Status ShutdownExecutor(const v1::ShutdownRequest& request);
  absl::Status Acknowledge(const v1::AcknowledgeRequest& request);
  absl::Status Reconcile(const v1::ReconcileRequest& request);
  absl::Status Message(const v1::MessageRequest& request);
  absl::Status Teardown(const v1::TeardownRequest& request);
  absl::Status UpdateFramework(const v1::UpdateFrameworkRequest& request);

  // --- Agent channel (loop thread). ---
  void OnAgentConnected(uint64_t connection, std::shared_ptr<AgentSink> sink);
  // Returns an error to end the stream with (malformed message).
  absl::Status OnAgentMessage(uint64_t connection, const internal::AgentMessage& message);
  void OnAgentDisconnected(uint64_t connection);

  // --- Operator API (loop thread). ---
  v1::MasterState BuildState() const;
  v1::GetAgentsResponse GetAgents(const v1::GetAgentsRequest& request) const;
  v1::GetFrameworksResponse GetFrameworks(const v1::GetFrameworksRequest& request) const;
  absl::StatusOr<v1::GetTasksResponse> GetTasks(const v1::GetTasksRequest& request) const;
  v1::GetOffersResponse GetOffers(const v1::GetOffersRequest& request) const;
  v1::GetRolesResponse GetRoles() const;
  absl::Status TeardownFramework(const std::string& framework_id);
  MasterMetrics Metrics() const;
  v1::MasterInfo master_info() const;

 private:
  struct Framework;
  struct Agent;
  struct Offer;

  // master_core.cpp
  void RequestAllocation();
  void RunAllocation();
  void ScheduleSweep();
  void SendOffers(const std::vector<OfferDecision>& decisions);
  void RemoveOffer(const std::string& offer_id, bool rescind, std::optional<absl::Duration> refuse);
  void RescindOffersOfAgent(const std::string& agent_id);
  void RescindOffersOfFramework(const std::string& framework_id);
  void CountMessage(const std::string& kind);
  v1::TaskStatus MasterStatus(const v1::Task& task, v1::TaskState state,
                              v1::TaskStatus::Reason reason, const std::string& message) const;
  void SendToFramework(const std::string& framework_id, v1::Event event);
  void SendUpdate(const std::string& framework_id, const v1::TaskStatus& status);
  bool SendToAgent(const std::string& agent_id, internal::MasterMessage message);
  absl::Duration RefuseDuration(const v1::Filters& filters) const;
  void RecoverTaskResources(const v1::Task& task);
  // The role a task's resources are allocated to.
  std::string TaskRole(const v1::Task& task) const;

  // core_frameworks.cpp
  absl::Status ValidateFrameworkInfo(const v1::FrameworkInfo& info,
                                     const std::vector<std::string>& suppressed) const;
  absl::StatusOr<Framework*> CheckCaller(const v1::CallHeader& header);
  void CompleteSubscribe(const std::string& framework_id, uint64_t token);
  void DisconnectFramework(Framework* framework);
  void StartFrameworkHeartbeats(Framework* framework);
  void OnFailoverTimeout(const std::string& framework_id);
  void RemoveFramework(const std::string& framework_id, const std::string& reason);
  void PersistFramework(const Framework& framework);

  // core_agents.cpp
  absl::Status HandleRegister(uint64_t connection, const internal::AgentMessage::Register& reg);
  absl::Status HandleReregister(uint64_t connection, const internal::AgentMessage::Reregister& reg);
  void AdmitAgent(uint64_t connection, const v1::AgentInfo& info, const std::string& version,
                  bool reregister, std::vector<v1::Task> tasks);
  void HandleStatusUpdate(Agent* agent, const internal::AgentMessage::StatusUpdate& update);
  void OnAgentHeartbeatTick(const std::string& agent_id);
  void MarkAgentUnreachable(const std::string& agent_id);
  void DetachAgentConnection(Agent* agent);

  EventLoop* loop_;
  MasterOptions options_;
  std::string master_id_;
  std::string master_address_;
  absl::Time start_time_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Allocation> allocation_;
  std::unique_ptr<IdGenerator> ids_;
  TaskBook tasks_;
  MasterCounters counters_;

  std::map<std::string, std::unique_ptr<Framework>> frameworks_;
  std::map<uint64_t, std::string> stream_frameworks_;  // Stream token -> framework id.
  uint64_t next_stream_token_ = 1;
  std::deque<v1::FrameworkSummary> completed_frameworks_;
  std::set<std::string> removed_frameworks_;

  std::map<std::string, std::unique_ptr<Agent>> agents_;
  std::map<uint64_t, std::shared_ptr<AgentSink>> connections_;  // Unregistered included.
  std::map<uint64_t, std::string> connection_agents_;
  std::set<std::string> gone_agents_;
  // Admitted in the registry but not yet re-registered since this master
  // started (reconciliation gets no answer for them).
  std::set<std::string> recovered_agents_;

  std::map<std::string, std::unique_ptr<Offer>> offers_;

  bool allocation_pending_ = false;
  TimerId sweep_timer_ = 0;
  bool shut_down_ = false;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_MASTER_CORE_HPP_
