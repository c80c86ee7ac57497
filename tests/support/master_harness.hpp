// MasterHarness: a MasterCore driven directly on a ManualEventLoop, for
// deterministic tests of recovery, failover timeouts, unreachable agents,
// reconciliation, kills during outages and update deduplication.
//
// No gRPC and no threads: the test plays the schedulers and agents by
// calling the core's methods, and every event or message the core emits is
// kept by recording sinks. Time moves only when the test advances the
// manual clock. The registry lives in memory (InMemoryRegistry over an
// InMemoryRegistryStore) and survives Restart(), which drops the current
// core as if its process had died and recovers a new one from the store —
// the way a restarted agora-master recovers from its work dir. Writes can be
// made to fail.
//
// Everything here runs on the test's thread, which is the loop thread.
#ifndef AGORA_TESTS_SUPPORT_MASTER_HARNESS_HPP_
#define AGORA_TESTS_SUPPORT_MASTER_HARNESS_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "master/master_core.hpp"
#include "master/registry.hpp"
#include "tests/support/manual_event_loop.hpp"

namespace agora::testing {

// What an in-memory registry has made durable; shared across restarts.
struct InMemoryRegistryStore {
  internal::Registry durable;
  // While true every write fails with `failure`.
  bool fail_writes = false;
  absl::Status failure =
      absl::InternalError("write /work/registry/registry.pb.tmp: No space left on device");
  int writes = 0;
};

// A Registry whose writes commit (or fail) on the next loop turn.
class InMemoryRegistry : public master::Registry {
 public:
  InMemoryRegistry(EventLoop* loop, std::shared_ptr<InMemoryRegistryStore> store)
      : loop_(loop), store_(std::move(store)) {}

  absl::StatusOr<internal::Registry> Recover() override;
  void Apply(std::vector<internal::Operation> operations, Callback done) override;
  const internal::Registry& state() const override { return state_; }

 private:
  EventLoop* loop_;
  std::shared_ptr<InMemoryRegistryStore> store_;
  internal::Registry state_;
};

// Keeps every event sent to one framework stream.
class RecordingFrameworkSink : public master::FrameworkSink {
 public:
  bool Send(v1::Event event) override;
  void Close(absl::Status status) override;

  std::vector<v1::Event> events;
  bool closed = false;
  absl::Status close_status;

  // The statuses of UPDATE events, in order.
  std::vector<v1::TaskStatus> Updates() const;
  // UPDATE statuses for one task.
  std::vector<v1::TaskStatus> UpdatesFor(const std::string& task_id) const;
  int Count(v1::Event::Type type) const;
};

// Keeps every message sent to one agent stream.
class RecordingAgentSink : public master::AgentSink {
 public:
  bool Send(internal::MasterMessage message) override;
  void Close(absl::Status status) override;

  std::vector<internal::MasterMessage> messages;
  bool closed = false;
  absl::Status close_status;

  std::vector<internal::MasterMessage> OfType(internal::MasterMessage::Type type) const;
  int Count(internal::MasterMessage::Type type) const;
};

class MasterHarness {
 public:
  // Options for a harness master: DRF allocator, no offer timeout,
  // allocation cycles on the loop (allocation_thread false), the defaults of
  // MasterOptions otherwise.
  static master::MasterOptions DefaultOptions();

  // Makes each core's allocation (the DRF allocation when not given).
  using AllocationFactory = std::function<std::unique_ptr<master::Allocation>()>;

  // Creates, recovers and starts a core on an empty registry.
  explicit MasterHarness(master::MasterOptions options = DefaultOptions(),
                         AllocationFactory allocation = nullptr);
  ~MasterHarness();

  ManualEventLoop& loop() { return loop_; }
  master::MasterCore& core() { return *core_; }
  InMemoryRegistryStore& registry() { return *store_; }
  // Statuses passed to the step-down hook, in order.
  const std::vector<absl::Status>& step_downs() const { return step_downs_; }

  // Runs posted work, then moves the clock forward.
  void Advance(absl::Duration delta) { loop_.AdvanceTime(delta); }

  // Shuts the current core down (its streams close and its timers stop, as
  // when its process dies) and recovers and starts a new one from the
  // registry. Time keeps running. Returns Recover()'s status.
  absl::Status Restart();

  // --- Schedulers. ---
  struct Scheduler {
    std::string framework_id;
    std::string stream_id;
    uint64_t token = 0;
    std::shared_ptr<RecordingFrameworkSink> sink;
    v1::CallHeader header() const;
  };
  static v1::FrameworkInfo FrameworkInfo(const std::string& name, double failover_timeout = 0);
  // Subscribes (with `info.id` to re-subscribe) and runs the loop until
  // SUBSCRIBED; on failure the returned scheduler has an empty id.
  Scheduler Subscribe(v1::FrameworkInfo info);
  // Re-subscribes framework `framework_id` (FrameworkInfo(name) with the id),
  // as a scheduler does after a master restart.
  Scheduler Resubscribe(const std::string& framework_id, const std::string& name);
  // The scheduler's stream broke.
  void Disconnect(const Scheduler& scheduler);
  // Scheduler calls; each runs the loop until idle afterwards.
  absl::Status Reconcile(const Scheduler& scheduler, const std::string& task_id,
                         const std::string& agent_id);
  absl::Status Kill(const Scheduler& scheduler, const std::string& task_id,
                    const std::string& agent_id = "");
  absl::Status Acknowledge(const Scheduler& scheduler, const std::string& agent_id,
                           const std::string& task_id, const std::string& uuid);
  absl::Status Teardown(const Scheduler& scheduler);

  // --- Agents. ---
  struct AgentConn {
    uint64_t connection = 0;
    std::string agent_id;
    v1::AgentInfo info;
    std::shared_ptr<RecordingAgentSink> sink;
  };
  // Registers a new agent; runs the loop until REGISTERED.
  AgentConn RegisterAgent(const std::string& hostname,
                          const std::string& resources = "cpus:4;mem:4096");
  // Re-registers `info` (with its id) on a new connection reporting `tasks`.
  AgentConn Reregister(const v1::AgentInfo& info, std::vector<v1::Task> tasks);
  // The agent's stream broke.
  void Disconnect(const AgentConn& agent);
  // The agent sends a heartbeat.
  void Heartbeat(const AgentConn& agent);
  // Advances the clock by `delta` in steps of at most a second, with
  // `agents` heartbeating at every step (so they stay reachable).
  void AdvanceWithHeartbeats(absl::Duration delta, const std::vector<AgentConn>& agents);
  // The agent sends a status update for a task.
  void SendUpdate(const AgentConn& agent, const std::string& framework_id,
                  const std::string& task_id, v1::TaskState state, const std::string& uuid);

  // Accepts the latest offer `scheduler` holds for `agent`, launching one
  // task (cpus:1;mem:128). Returns the task as the agent would report it
  // (state TASK_STAGING); fails the test if there is no such offer.
  v1::Task Launch(const Scheduler& scheduler, const AgentConn& agent, const std::string& task_id);
  // The task as the agent reports it on re-registration, in `state`.
  static v1::Task Reported(v1::Task task, v1::TaskState state);

  // Operator view of one agent / framework (nullopt-like: empty id if not
  // listed).
  v1::AgentSummary AgentSummary(const std::string& agent_id);
  v1::FrameworkSummary FrameworkSummary(const std::string& framework_id);
  // The state GetTasks lists for active task `task_id`
  // (TASK_STATE_UNSPECIFIED if it is not listed).
  v1::TaskState TaskState(const std::string& task_id);

 private:
  void CreateCore();

  std::unique_ptr<master::Allocation> NewAllocation() const;

  master::MasterOptions options_;
  AllocationFactory allocation_factory_;
  ManualEventLoop loop_;
  std::shared_ptr<InMemoryRegistryStore> store_ = std::make_shared<InMemoryRegistryStore>();
  std::unique_ptr<master::MasterCore> core_;
  // Cores replaced by Restart(); kept alive so pending closures that point
  // at them stay valid (they are shut down, so those closures do nothing).
  std::vector<std::unique_ptr<master::MasterCore>> dead_cores_;
  std::vector<absl::Status> step_downs_;
  uint64_t next_connection_ = 1;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_MASTER_HARNESS_HPP_
