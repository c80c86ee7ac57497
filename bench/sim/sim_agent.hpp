// SimAgent: one simulated agent speaking the real AgentChannel protocol.
//
// It does what a real agent does on the wire, without processes or disks:
// REGISTER (then REREGISTER with its id, frameworks and tasks after every
// stream loss), heartbeats at the master's pace, and a simulated command
// executor per task: a task in RUN_TASKS reports TASK_RUNNING at once and,
// when `task_duration` is positive, TASK_FINISHED after it. Status updates
// go through the agent's own StatusUpdateManager, so they are retried until
// the master relays the framework's acknowledgement, in order per task.
// Like the real agent it announces ACKNOWLEDGEMENTS and, once the master
// announced STATUS_UPDATES, its MasterLink merges queued updates.
//
// On stream loss it reconnects: at once, then with backoff (doubling from
// `reconnect_backoff_min`, jitter in [d/2, d], capped at
// `reconnect_backoff_max`). The address comes from the LeaderRedirect of an
// UNAVAILABLE close when there is one, else from the MasterDetector.
//
// Owned by SimAgentHost; lives on the host's event loop (every method is
// loop-thread only). The agent id is kept in memory across reconnects.
#ifndef AGORA_BENCH_SIM_SIM_AGENT_HPP_
#define AGORA_BENCH_SIM_SIM_AGENT_HPP_

#include <google/protobuf/arena.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/master_link.hpp"
#include "agent/status_update_manager.hpp"
#include "agora/internal/agent_master.pb.h"
#include "common/event_loop.hpp"
#include "common/master_detector.hpp"

namespace agora::sim {

class SimChannels;

// Behaviour of every simulated agent of a host.
struct SimAgentOptions {
  // Advertised resources, in the agent flag syntax.
  std::string resources = "cpus:64;mem:262144";
  // How long a task runs before TASK_FINISHED; zero runs it forever.
  absl::Duration task_duration = absl::ZeroDuration();
  // Heartbeat interval until the master's REGISTERED names its own.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // Reconnection backoff after the first (immediate) retry.
  absl::Duration reconnect_backoff_min = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Seconds(1);
  // Status update retry schedule (the real agent's defaults).
  absl::Duration update_retry_min = absl::Seconds(10);
  absl::Duration update_retry_max = absl::Minutes(10);
  // Benchmark hooks, run on the host's loop: keep them cheap and safe
  // against the threads that read what they record. Unset: not called.
  // A task of a RUN_TASKS message reached the agent.
  std::function<void(const std::string& task_id)> on_task_arrived;
  // A HEARTBEAT from the master arrived `gap` after the previous one on the
  // same stream (the master's interval plus its loop's lateness).
  std::function<void(absl::Duration gap)> on_master_heartbeat;
};

// When things happened to one agent; InfinitePast for "never".
struct SimAgentTimes {
  // The last stream opened (registration message queued).
  absl::Time connected = absl::InfinitePast();
  // The first REGISTERED.
  absl::Time registered = absl::InfinitePast();
  // The last REREGISTERED.
  absl::Time reregistered = absl::InfinitePast();
  // The last REGISTERED or REREGISTERED (the master admitted the agent).
  absl::Time admitted = absl::InfinitePast();
  // The last stream loss.
  absl::Time disconnected = absl::InfinitePast();
};

// A copy of one agent's state, for reports.
struct SimAgentStats {
  std::string hostname;
  std::string agent_id;
  std::string master;  // Address of the current (or last) stream.
  bool registered = false;
  bool shut_down = false;   // The master sent SHUTDOWN.
  size_t active_tasks = 0;  // Non-terminal tasks.
  // Tasks still held: active, or ended with an unacknowledged update.
  size_t held_tasks = 0;
  size_t reconnects = 0;  // Stream losses so far.
  SimAgentTimes times;
};

class SimAgent {
 public:
  // `loop`, `detector`, `channels` and `random` are the host's and outlive
  // the agent. `index` picks the agent's channel and names it sim-<index>.
  SimAgent(EventLoop* loop, MasterDetector* detector, SimChannels* channels, std::mt19937* random,
           int index, v1::AgentInfo info, const SimAgentOptions& options);
  ~SimAgent();

  SimAgent(const SimAgent&) = delete;
  SimAgent& operator=(const SimAgent&) = delete;

  // Opens the first stream and starts heartbeating.
  void Start();
  // Stops reconnecting and closes the stream. Returns the link still open
  // (or null) so the host can wait for gRPC to finish with it.
  std::shared_ptr<agent::MasterLink> Stop();

  // The detector named another leader: as the real agent, leave the current
  // master (if any) and connect to the new one at once, backoff reset.
  void OnLeaderChanged();

  SimAgentStats Stats() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (framework id, task id)
  // Hashes and compares a Key or a pair of views of one (look-ups without
  // copying the ids).
  using KeyView = std::pair<absl::string_view, absl::string_view>;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& key) const { return absl::Hash<KeyView>{}(key); }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const KeyView& a, const KeyView& b) const { return a == b; }
  };
  // A task's record lives in an arena of its own: its ~40 small objects (the
  // TaskInfo copy, resources, labels) are bump-allocated at launch and go in
  // one or two frees when it is forgotten, rather than one by one.
  struct TaskRecord {
    TaskRecord();
    TaskRecord(const TaskRecord&) = delete;
    TaskRecord& operator=(const TaskRecord&) = delete;
    google::protobuf::Arena arena;
    v1::Task& task;  // In `arena`.
    // The timer that finishes the tasks of this task's RUN_TASKS (one per
    // message: they share the deadline); Stop() cancels it.
    TimerId finish_timer = 0;
  };

  void Connect();
  void ScheduleReconnect(const absl::Status& why);
  internal::AgentMessage BuildRegistration() const;
  void OnMessage(uint64_t generation, const internal::MasterMessage& message);
  void OnClosed(uint64_t generation, const absl::Status& status);
  void OnRegistered(const internal::MasterMessage::Registered& registered, bool reregistered);
  void OnRunTasks(const internal::MasterMessage::RunTasks& run);
  void OnAcknowledge(const internal::MasterMessage::Acknowledge& ack);
  // Kills every non-terminal task matching `match` (TASK_KILLED).
  void KillTasks(const std::function<bool(const Key&, const v1::Task&)>& match);
  // Moves the task (`record` is tasks_[key]) to `state` and queues the update.
  void Transition(const Key& key, TaskRecord& record, v1::TaskState state);
  // A RUN_TASKS' finish `timer` expired: each task of `keys` still held
  // under that timer and not terminal reports TASK_FINISHED.
  void FinishTasks(TimerId timer, const std::vector<Key>& keys);
  void Forward(const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
               v1::TaskState latest);
  void OnHeartbeatTimer();
  double NowSeconds() const;

  EventLoop* loop_;
  MasterDetector* detector_;
  SimChannels* channels_;
  std::mt19937* random_;
  const int index_;
  v1::AgentInfo info_;  // info_.id() is set once registered.
  const SimAgentOptions options_;

  std::unique_ptr<agent::StatusUpdateManager> updates_;
  std::map<std::string, v1::FrameworkInfo> frameworks_;
  // Hashed: the keys share long prefixes (framework ids), which made an
  // ordered map's compares a visible part of each task's cost.
  absl::node_hash_map<Key, TaskRecord, KeyHash, KeyEq> tasks_;
  // (framework id, executor id) -> the executor as the real agent records
  // it: a command executor per task, or the framework's custom executor.
  // It goes with the last of its tasks in tasks_ (counted, so forgetting a
  // task does not scan the others).
  struct ExecutorRecord {
    v1::ExecutorInfo info;
    size_t tasks = 0;
  };
  absl::node_hash_map<Key, ExecutorRecord, KeyHash, KeyEq> executors_;

  std::shared_ptr<agent::MasterLink> link_;
  uint64_t generation_ = 0;
  std::string master_address_;
  std::optional<std::string> redirect_;  // Next address, from a LeaderRedirect.
  bool followed_redirect_ = false;       // The current attempt follows one.
  bool registered_ = false;
  bool stopping_ = false;
  bool shut_down_ = false;
  int failed_attempts_ = 0;  // Since the last registration.
  absl::Duration backoff_;
  TimerId reconnect_timer_ = 0;
  TimerId heartbeat_timer_ = 0;
  absl::Duration heartbeat_interval_;
  uint32_t max_missed_heartbeats_ = 3;
  absl::Time last_heard_ = absl::InfinitePast();
  absl::Time last_master_heartbeat_ = absl::InfinitePast();  // On this stream.
  size_t reconnects_ = 0;
  SimAgentTimes times_;
  // Expires with the agent: a finish timer whose tasks are all gone (killed
  // and forgotten, so Stop() cannot cancel it) finds it expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agora::sim

#endif  // AGORA_BENCH_SIM_SIM_AGENT_HPP_
