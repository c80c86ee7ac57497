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
// (scheduler commands), core_agents.cpp (agent channel), core_admission.cpp
// (agent (re-)registration), core_recovery.cpp
// (registry recovery, re-registration window, durability and step-down),
// core_state.cpp (operator snapshots, metrics), core_operator_policy.cpp
// (quota, weights), core_operator_agents.cpp (deactivate, drain, mark gone),
// core_operator_kill.cpp (operator kill), core_watch.cpp (the operator
// Watch stream).
#ifndef AGORA_MASTER_MASTER_CORE_HPP_
#define AGORA_MASTER_MASTER_CORE_HPP_

#include <cstdint>
#include <deque>
#include <functional>
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
#include "common/histogram.hpp"
#include "common/ids.hpp"
#include "common/resources.hpp"
#include "master/accept_validation.hpp"
#include "master/allocation.hpp"
#include "master/allocator_thread.hpp"
#include "master/master_options.hpp"
#include "master/registry.hpp"
#include "master/state_snapshot.hpp"
#include "master/task_book.hpp"
#include "master/update_dedup.hpp"
#include "master/watch_hub.hpp"

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
  // Per message kind received (searched with a string_view: no string is
  // built per message).
  std::map<std::string, uint64_t, std::less<>> messages;
  uint64_t offers_sent = 0;
  uint64_t offers_rescinded = 0;
  uint64_t offers_declined = 0;
  uint64_t offers_accepted = 0;
  uint64_t tasks_launched = 0;
  uint64_t tasks_errored = 0;
  uint64_t tasks_dropped = 0;
  // Duration of each allocation cycle, and of each registry write (from
  // Apply to its commit callback, batching included).
  Histogram allocation_seconds = Histogram::LatencySeconds();
  double allocation_seconds_last = 0;
  // CPU time the loop spends on allocation at a stretch, with no call let
  // in: a whole cycle and its offers when cycles run on the loop, one slice
  // of offers when they run on the allocator thread.
  Histogram allocation_loop_seconds = Histogram::LatencySeconds();
  Histogram registry_write_seconds = Histogram::LatencySeconds();
  uint64_t invalid_requests = 0;
  // Allocation calls that failed: the master's and the allocator's
  // accounting disagreed (see CheckAllocation).
  uint64_t allocation_invariant_violations = 0;
  // Allocation decisions that could not be offered: dropped (a cycle run
  // off the loop decided them, and their agent or framework was removed
  // before they reached the loop, which freed them in the allocator too) or
  // returned with Recover (agent inactive or disconnected, framework
  // disconnected, role suppressed meanwhile).
  uint64_t allocation_decisions_dropped = 0;
  uint64_t allocation_decisions_returned = 0;
  // Agent status updates sent on to frameworks, and repeats that were not
  // (dropped while in flight, or answered with the framework's earlier ack).
  uint64_t status_updates_forwarded = 0;
  uint64_t status_updates_duplicate = 0;
  uint64_t acknowledgements_relayed_again = 0;
  // Agent status updates received (single or batch entries), STATUS_UPDATES
  // batches among the messages, and updates refused as malformed (entries
  // or whole batches: empty, too large).
  uint64_t agent_updates = 0;
  uint64_t agent_update_batches = 0;
  uint64_t agent_updates_refused = 0;
  // Acknowledgements applied from frameworks (each entry of a batched
  // Acknowledge counts; the messages counter counts the calls).
  uint64_t acknowledgements = 0;
  // Acknowledgement entries refused with NOT_FOUND (unknown agent or task).
  uint64_t acknowledgements_unknown = 0;
  // Recovered agents marked unreachable after the re-registration window.
  uint64_t recovered_agents_unreachable = 0;
};

// What /health and /ready report.
struct MasterHealth {
  // Serving and every registry write so far committed (/health).
  bool durable = true;
  // Recovered from the registry and leading (/ready).
  bool ready = false;
  // Why not, for the response body; empty when both hold.
  std::string reason;
};

// Scalar figures for /metrics and /health.
struct MasterMetrics {
  MasterCounters counters;
  size_t agents_connected = 0;
  size_t agents_disconnected = 0;
  size_t agents_unreachable = 0;
  // Recovered from the registry, not yet re-registered (also counted as
  // disconnected).
  size_t agents_recovering = 0;
  // Agents by the status GetAgents reports (AgentSummary::Status names).
  std::map<std::string, size_t> agents_by_status;
  // Operator Watch subscribers now, and those dropped so far (fell behind
  // or went away while an event was sent).
  size_t watch_subscribers = 0;
  uint64_t watch_subscribers_dropped = 0;
  size_t frameworks_connected = 0;
  size_t frameworks_disconnected = 0;
  size_t offers_outstanding = 0;
  // What the per-role figures (GetRoles: allocated, offered, quota) are
  // computed from, off the loop (RolesView).
  std::shared_ptr<const StateSnapshot> state;
  std::map<v1::TaskState, size_t> tasks_by_state;
  size_t tasks_completed = 0;
  // What the registry wrote so far (fsyncs, bytes).
  Registry::WriteStats registry_writes;
};

class MasterCore {
 public:
  MasterCore(EventLoop* loop, MasterOptions options, std::string master_id,
             std::string master_address, std::unique_ptr<Registry> registry,
             std::unique_ptr<Allocation> allocation);
  ~MasterCore();

  // Loads the registry (blocking; before serving) and rebuilds what it
  // records: admitted agents (listed, waiting to re-register), unreachable
  // and gone agents, and frameworks (disconnected until they re-subscribe).
  // Writes nothing: Start() does, once the server is bound.
  absl::Status Recover();
  // Bumps the id epoch in the registry, arms the re-registration window and
  // the recovered frameworks' failover timers (with the time they had left)
  // and starts the periodic allocation sweep. Loop thread.
  void Start();
  // Called (on the loop) when a registry write fails: the master has stepped
  // down (closed every stream, refuses all work) and must not serve again.
  void set_on_step_down(std::function<void(const absl::Status&)> hook) {
    on_step_down_ = std::move(hook);
  }
  // The advertised gRPC address (known once the server is bound). Before
  // the loop starts.
  void set_master_address(std::string address) { master_address_ = std::move(address); }
  // The advertised HTTP address ("host:port"; empty without HTTP).
  void set_http_address(std::string address) { http_address_ = std::move(address); }
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
  // The single form and each entry of `acknowledgements`; all validated
  // before any is applied (INVALID_ARGUMENT, nothing applied). Entries
  // naming an unknown agent or task are skipped, the rest applied, and the
  // call answers NOT_FOUND naming the first skipped one (see
  // scheduler.proto).
  absl::Status Acknowledge(const v1::AcknowledgeRequest& request);
  absl::Status Reconcile(const v1::ReconcileRequest& request);
  absl::Status Message(const v1::MessageRequest& request);
  absl::Status Teardown(const v1::TeardownRequest& request);
  absl::Status UpdateFramework(const v1::UpdateFrameworkRequest& request);
  // Whether a call with `header` comes from a framework's live stream (each
  // call above checks this first and refuses the others, only counting the
  // message). The scheduler service answers refused calls at once and queues
  // the others as bulk work.
  bool IsLiveCaller(const v1::CallHeader& header) { return CheckCaller(header).ok(); }

  // --- Agent channel (loop thread). ---
  void OnAgentConnected(uint64_t connection, std::shared_ptr<AgentSink> sink);
  // Returns an error to end the stream with (malformed message). Takes the
  // message: a status update's status moves into the event that forwards it
  // (callers that keep theirs pass a copy).
  absl::Status OnAgentMessage(uint64_t connection, internal::AgentMessage message);
  void OnAgentDisconnected(uint64_t connection);

  // --- Operator API (loop thread). ---
  // Snapshots for the state queries (state_snapshot.hpp): captured here in
  // O(what the query lists) plus a pointer per task, turned into responses
  // off the loop by the views there. SnapshotState: everything (GetState,
  // GetRoles, /state); the others: a page of agents or frameworks with their
  // tasks and offers, the candidate tasks of GetTasks' narrowest filter, the
  // matching offers. `masters` goes into the snapshot as it is.
  std::shared_ptr<const StateSnapshot> SnapshotState(std::vector<v1::MasterInfo> masters = {});
  std::shared_ptr<const StateSnapshot> SnapshotAgents(const v1::GetAgentsRequest& request);
  std::shared_ptr<const StateSnapshot> SnapshotFrameworks(const v1::GetFrameworksRequest& request);
  std::shared_ptr<const StateSnapshot> SnapshotTasks(const v1::GetTasksRequest& request);
  std::shared_ptr<const StateSnapshot> SnapshotOffers(const v1::GetOffersRequest& request);
  // Snapshot and view in one go, on the loop (tests and tools).
  v1::MasterState BuildState();
  v1::GetAgentsResponse GetAgents(const v1::GetAgentsRequest& request);
  v1::GetFrameworksResponse GetFrameworks(const v1::GetFrameworksRequest& request);
  absl::StatusOr<v1::GetTasksResponse> GetTasks(const v1::GetTasksRequest& request);
  v1::GetOffersResponse GetOffers(const v1::GetOffersRequest& request);
  v1::GetRolesResponse GetRoles();
  absl::Status TeardownFramework(const std::string& framework_id);
  // Non-const: captures a StateSnapshot (tasks published copy-on-write).
  MasterMetrics Metrics();
  MasterHealth Health() const;

  // --- Operator writes (loop thread). ---
  // Runs on the loop once a write call is answered: OK after its registry
  // write committed and the change was applied, or the refusal. A refusal
  // found while validating is reported before returning; a failed registry
  // write (the master steps down) answers UNAVAILABLE.
  using OperatorDone = std::function<void(absl::Status)>;
  v1::GetQuotaResponse GetQuota() const;
  // INVALID_ARGUMENT (FieldViolation quotas[i].<field>) for a bad role,
  // non-scalar or negative resources, a guarantee above its limit, a role
  // listed twice; FAILED_PRECONDITION when the guarantees of all roles
  // exceed the total of the admitted agents, unless `force`. Empty
  // guarantees and limits remove the role's quota.
  void UpdateQuota(const v1::UpdateQuotaRequest& request, OperatorDone done);
  v1::GetWeightsResponse GetWeights() const;
  // INVALID_ARGUMENT for a bad role or a weight that is not finite and > 0.
  void UpdateWeights(const v1::UpdateWeightsRequest& request, OperatorDone done);
  // The agent gets no offers (outstanding ones are rescinded); its tasks
  // keep running. NOT_FOUND for an unknown agent, FAILED_PRECONDITION for a
  // gone one.
  void DeactivateAgent(const std::string& agent_id, OperatorDone done);
  // Ends deactivation and draining (idempotent). Errors as DeactivateAgent.
  void ReactivateAgent(const std::string& agent_id, OperatorDone done);
  // Deactivates the agent and kills every task on it (grace_period_seconds
  // > 0 caps each task's kill-policy grace period); DRAINING until no task
  // is live, then DRAINED, then gone if mark_gone. Errors as
  // DeactivateAgent, INVALID_ARGUMENT for a negative grace period.
  void DrainAgent(const v1::DrainAgentRequest& request, OperatorDone done);
  // The agent is gone for good: its tasks become TASK_GONE_BY_OPERATOR, it
  // is told to shut down and refused if it comes back. Idempotent;
  // NOT_FOUND for an agent never admitted.
  void MarkAgentGone(const std::string& agent_id, OperatorDone done);
  // Kills a task as its framework's Kill would. NOT_FOUND for an unknown or
  // already terminal task, FAILED_PRECONDITION (listing the frameworks) when
  // the id is ambiguous without framework_id.
  absl::Status KillTask(const v1::KillTaskRequest& request);

  // --- Operator Watch stream (loop thread). ---
  // Sends SUBSCRIBED (BuildState() with `masters`) to `sink`, then every
  // cluster event the request's `types` select (empty: all; HEARTBEAT
  // always). INVALID_ARGUMENT (FieldViolation types[i]) for an unknown or
  // unspecified type, UNAVAILABLE while shutting down. Returns the
  // subscriber's id for OnWatchClosed.
  absl::StatusOr<uint64_t> Watch(const v1::WatchRequest& request, std::shared_ptr<WatchSink> sink,
                                 std::vector<v1::MasterInfo> masters);
  void OnWatchClosed(uint64_t id);
  v1::MasterInfo master_info() const;

 private:
  struct Framework;
  struct Agent;
  struct Offer;

  // master_core.cpp
  void RequestAllocation();
  void RunAllocation();
  // The decisions of a cycle run on the allocator thread, offered a slice
  // per loop turn from `begin` on; the cycle is in flight until the last.
  void OnAllocationCycle(AllocatorThread::Cycle cycle);
  void ApplyAllocationCycle(std::shared_ptr<const AllocatorThread::Cycle> cycle, size_t begin);
  void ObserveAllocationCycle(absl::Duration duration);
  void ScheduleSweep();
  // Whether `decision` can become an offer now: framework connected and the
  // role not suppressed, agent connected, reachable and active.
  bool Offerable(const OfferDecision& decision) const;
  // Offers decisions[begin, end). `cycle`: the cycle they come from when it
  // ran off the loop (null when it ran here and nothing can be stale).
  void SendOffers(const std::vector<OfferDecision>& decisions, size_t begin, size_t end,
                  const AllocatorThread::Cycle* cycle);
  void RemoveOffer(const std::string& offer_id, bool rescind, std::optional<absl::Duration> refuse);
  void RescindOffersOfAgent(const std::string& agent_id);
  void RescindOffersOfFramework(const std::string& framework_id);
  void CountMessage(absl::string_view kind);
  v1::TaskStatus MasterStatus(const v1::Task& task, v1::TaskState state,
                              v1::TaskStatus::Reason reason, const std::string& message) const;
  // MasterStatus written into `status` (the launch path builds it in the
  // task's own record instead of copying it there).
  void FillMasterStatus(const v1::Task& task, v1::TaskState state, v1::TaskStatus::Reason reason,
                        const std::string& message, v1::TaskStatus* status) const;
  void SendToFramework(const std::string& framework_id, v1::Event event);
  void SendUpdate(const std::string& framework_id, const v1::TaskStatus& status);
  bool SendToAgent(const std::string& agent_id, internal::MasterMessage message);
  absl::Duration RefuseDuration(const v1::Filters& filters) const;
  // Handles the status of an Allocation call. Every failure is a broken
  // invariant (the core keeps the same books as the allocator): it is
  // counted, logged at ERROR naming `call`, and fails debug builds
  // (LOG(DFATAL)). Returns status.ok().
  bool CheckAllocation(const absl::Status& status, absl::string_view call);
  void RecoverTaskResources(const v1::Task& task);
  // The role a task's resources are allocated to.
  std::string TaskRole(const v1::Task& task) const;

  // core_operator_policy.cpp
  // Applies `operations`; once committed runs `apply` and answers `done`
  // (UNAVAILABLE if the write failed or the master shut down meanwhile).
  void PersistThen(std::vector<internal::Operation> operations, std::function<void()> apply,
                   OperatorDone done);
  // Quota and weights from the registry, handed to the allocator.
  void RecoverPolicy(const internal::Registry& registry);
  // Sets name-independent policy (weight, quota) on every role in `roles`
  // and adds the roles that have only policy.
  void FillRolePolicy(std::map<std::string, v1::RoleSummary>* roles) const;

  // core_operator_agents.cpp
  // Copies the agent's maintenance state (deactivated, draining) into a
  // record about to be written; nothing for an unknown agent.
  void FillMaintenance(const std::string& agent_id, internal::AgentRecord* record) const;
  // Sets the maintenance fields of a recovered agent from its record.
  void RecoverMaintenance(const internal::AgentRecord& record, Agent* agent);
  // After an agent's (re-)admission: no offers while deactivated or
  // draining; a drain (begun before a failover, perhaps) continues.
  void ApplyMaintenance(Agent* agent);
  // Sends KILL_TASK for every live task on the draining agent.
  void KillForDrain(Agent* agent);
  // A draining agent with no live task is DRAINED (and gone if asked).
  void MaybeFinishDrain(Agent* agent);
  // Committed MARK_GONE: tasks TASK_GONE_BY_OPERATOR, agent shut down and
  // forgotten.
  void RemoveGoneAgent(const std::string& agent_id);
  v1::AgentSummary::Status AgentStatus(const Agent& agent) const;
  // NOT_FOUND / FAILED_PRECONDITION (gone) for the agent of an operator call.
  absl::StatusOr<Agent*> OperatorAgent(const std::string& agent_id);

  // core_operator_kill.cpp
  // Sends a kill of `task`, or defers it until the agent re-registers
  // (except a draining agent's own kills: the drain repeats them). `grace`
  // > 0 replaces its kill policy's grace period (with `cap`: only when
  // shorter).
  void SendKill(const v1::Task& task, double grace, bool cap);

  // core_state.cpp
  v1::AgentSummary AgentSummaryOf(Agent& agent);
  v1::FrameworkSummary FrameworkSummaryOf(const Framework& framework);

  // core_watch.cpp: publish to Watch subscribers (cheap when none listens).
  // `status` null: TASK_ADDED, else TASK_UPDATED.
  void PublishTask(const v1::Task& task, const v1::TaskStatus* status);
  // AGENT_ADDED / AGENT_UPDATED with the agent's summary, AGENT_REMOVED with
  // its id.
  void PublishAgent(const std::string& agent_id, v1::WatchEvent::Type type);
  // FRAMEWORK_ADDED / _UPDATED with its summary, _REMOVED with its id.
  void PublishFramework(const std::string& framework_id, v1::WatchEvent::Type type);
  // core_state.cpp: an agent's or framework's summary without the figures
  // computed from tasks and offers (see StateSnapshot); the agent's is
  // cached in the agent until a field it shows changes.
  std::shared_ptr<const v1::AgentSummary> AgentBase(Agent& agent) const;
  v1::FrameworkSummary FrameworkBase(const Framework& framework) const;

  // core_recovery.cpp
  // Applies `operations` to the registry; `committed` runs once they are
  // durable. A failed write steps the master down and `committed` never runs.
  void Persist(std::vector<internal::Operation> operations, std::function<void()> committed);
  void StepDown(const absl::Status& status);
  void OnReregisterTimeout();
  void MarkRecoveredAgentsUnreachable();

  // core_frameworks.cpp
  absl::Status ValidateFrameworkInfo(const v1::FrameworkInfo& info,
                                     const std::vector<std::string>& suppressed) const;
  absl::StatusOr<Framework*> CheckCaller(const v1::CallHeader& header);
  // Whether a Subscribe with `info.id` set may take the framework over:
  // FAILED_PRECONDITION if it was removed, NOT_FOUND if this master never
  // knew it, PERMISSION_DENIED for another principal (FieldViolation
  // framework_info.id), INVALID_ARGUMENT for another user.
  absl::Status CheckResubscription(const v1::FrameworkInfo& info) const;
  // A framework id never registered nor removed (see ids.hpp for the epoch).
  std::string NewFrameworkId();
  // Ends the framework's current subscription for a new one: the old stream
  // gets ERROR and closes, its timers stop and its offers are rescinded.
  void ReplaceFrameworkStream(Framework* framework);
  void CompleteSubscribe(const std::string& framework_id, uint64_t token);
  void DisconnectFramework(Framework* framework);
  // (Re-)arms the failover timer to fire `remaining` from now.
  void ArmFailoverTimer(Framework* framework, absl::Duration remaining);
  absl::Duration FailoverTimeout(const Framework& framework) const;
  void StartFrameworkHeartbeats(Framework* framework);
  void OnFailoverTimeout(const std::string& framework_id);
  void RemoveFramework(const std::string& framework_id, const std::string& reason);
  void PersistFramework(const Framework& framework);

  // core_agents.cpp (and core_admission.cpp: AdmitAgent, SendDeferredCommands)
  absl::Status HandleRegister(uint64_t connection, const internal::AgentMessage::Register& reg);
  // Takes the reported tasks out of `reg` (they move into the book).
  absl::Status HandleReregister(uint64_t connection, internal::AgentMessage::Reregister* reg);
  // A task an agent reported on re-registration, validated: its record
  // (moved out of the report, with the agent's id, ready for the book) and its resources,
  // parsed once.
  struct ReportedTask {
    std::shared_ptr<v1::Task> record;
    Resources resources;
  };
  // `total` is info.resources(), parsed.
  void AdmitAgent(uint64_t connection, const v1::AgentInfo& info, Resources total,
                  const std::string& version, bool reregister, std::vector<ReportedTask> tasks);
  // Takes `update`'s status (it moves into the forwarded event).
  void HandleStatusUpdate(Agent* agent, internal::AgentMessage::StatusUpdate* update);
  // STATUS_UPDATES: each entry as one STATUS_UPDATE; a malformed entry is
  // refused by its index and the others apply. Takes the entries' statuses.
  void HandleStatusUpdates(Agent* agent, internal::AgentMessage* message);
  void RelayAcknowledgement(const std::string& agent_id, const std::string& framework_id,
                            const v1::TaskID& task_id, const std::string& uuid);
  // The same to an agent already looked up (sent if it is connected).
  void RelayAcknowledgement(Agent& agent, const std::string& framework_id,
                            const v1::TaskID& task_id, const std::string& uuid);
  // NOT_FOUND (FieldViolation agent_id / task_id, prefixed with
  // "acknowledgements[index]." unless `index` is -1, the single form) if the
  // agent or the framework's task of an acknowledgement is unknown (see
  // Acknowledge). `agent`: agents_'s entry for agent_id, null if none.
  absl::Status CheckAcknowledged(int index, const std::string& framework_id,
                                 const v1::AgentID& agent_id, const v1::TaskID& task_id,
                                 const Agent* agent) const;
  // Applies one validated acknowledgement of the framework's update
  // (`agent`: agents_'s entry for agent_id).
  void ApplyAcknowledgement(const std::string& framework_id, Agent& agent,
                            const v1::TaskID& task_id, const std::string& uuid);
  // After a re-registration: SHUTDOWN_FRAMEWORK for each framework in
  // `unknown`, then the kills remembered while the agent was away.
  void SendDeferredCommands(Agent* agent, const std::set<std::string>& unknown);
  void OnAgentHeartbeatTick(const std::string& agent_id);
  void MarkAgentUnreachable(const std::string& agent_id);
  void DetachAgentConnection(Agent* agent);

  EventLoop* loop_;
  MasterOptions options_;
  std::string master_id_;
  std::string master_address_;
  std::string http_address_;
  absl::Time start_time_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Allocation> allocation_;
  std::unique_ptr<IdGenerator> ids_;
  TaskBook tasks_;
  UpdateDedup dedup_;
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
  // Agents with Agent::recovered set (admitted in the registry, not yet
  // re-registered since this master started; reconciliation gets no answer
  // for them).
  size_t recovering_agents_ = 0;
  size_t recovered_agents_total_ = 0;  // Recovering when Recover() ran.
  // Recovered agents whose window closed, waiting for their turn (rate
  // limit) to be marked unreachable.
  std::deque<std::string> unreachable_queue_;
  TimerId reregister_timer_ = 0;
  TimerId unreachable_timer_ = 0;
  // The time Recover() ran: frameworks that were connected when the previous
  // master died count their failover timeout from here.
  absl::Time recovery_time_;

  std::map<std::string, std::unique_ptr<Offer>> offers_;

  // Committed quota and weights by role (roles without an entry: no quota,
  // weight 1).
  std::map<std::string, v1::QuotaConfig> quotas_;
  std::map<std::string, double> weights_;

  // Operator Watch subscribers; heartbeats every framework_heartbeat_interval.
  WatchHub watchers_;

  bool allocation_pending_ = false;
  // Set when options_.allocation_thread: allocation_ is this thread (which
  // owns the real allocation). One cycle runs at a time; cycle_again_ asks
  // for another once the one in flight is back.
  AllocatorThread* allocator_thread_ = nullptr;
  bool cycle_in_flight_ = false;
  bool cycle_again_ = false;
  // Expires with this core: closures posted to the loop that must not run
  // on a core dropped meanwhile (a replicated master that stopped leading)
  // hold a weak_ptr to it.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  TimerId sweep_timer_ = 0;
  bool shut_down_ = false;
  bool started_ = false;
  // A registry write failed: the master stepped down for good.
  bool stepped_down_ = false;
  absl::Status step_down_status_;
  std::function<void(const absl::Status&)> on_step_down_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_MASTER_CORE_HPP_
