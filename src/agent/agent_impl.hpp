// AgentImpl: the agent daemon's state and logic behind agora::agent::Agent.
//
// Owner: Agent. Thread: every method below except Create/Stop/Shutdown and
// the thread-safe accessors runs on `loop_` (AsioEventLoop "agent-loop").
// The gRPC server's reactors, the master link, the reaper thread and the
// work queue only post to it.
//
// Split across files by concern: agent_impl.cpp (life cycle, master link,
// registration, heartbeats), agent_tasks.cpp (RUN_TASKS, executor launch),
// agent_launches.cpp (the launch queue),
// agent_executors.cpp (kills, shutdown, executor exit, registration
// timeout),
// agent_updates.cpp (executor service, status updates), agent_recovery.cpp
// (applying checkpointed state), agent_persistence.cpp (checkpoint writes
// and what happens when they fail), agent_http.cpp (/health, /ready,
// /metrics).
// agent_command_tasks.cpp (the built-in command executor: command tasks run
// through agora-shim, their updates and kills), agent_operator.cpp (what
// the operator API reads on the loop: state, containers, sandboxes),
// agent_gc.cpp (garbage collection of finished sandboxes),
// agent_executor_containers.cpp (custom executors through agora-shim, in
// cgroups), agent_cgroup_owners.cpp (this agent's claim on its cgroup
// directories, the sweep of dead agents').
//
// Invariants: every task in `tasks_` is either non-terminal or has updates
// waiting in `updates_` (terminal tasks are dropped once fully
// acknowledged); every executor in `executors_` has a live or launching
// process, and its tasks are in `tasks_`; a task is reported terminal by
// the agent only after its executor's whole session is dead; while
// `checkpoint_error_` is set, no task is launched; an executor whose launch
// waits in `launches_` has pid -1 and no registration timer, and every
// launch queued or in flight in `launches_` has its record in `executors_`.
#ifndef AGORA_AGENT_AGENT_IMPL_HPP_
#define AGORA_AGENT_AGENT_IMPL_HPP_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/agent.hpp"
#include "agent/cgroup_owners.hpp"
#include "agent/cgroups_remover.hpp"
#include "agent/command_task.hpp"
#include "agent/completed_tasks.hpp"
#include "agent/executor_service.hpp"
#include "agent/health_checker.hpp"
#include "agent/health_command.hpp"
#include "agent/isolator.hpp"
#include "agent/launch_queue.hpp"
#include "agent/launcher.hpp"
#include "agent/master_link.hpp"
#include "agent/operator_service.hpp"
#include "agent/reaper.hpp"
#include "agent/recovery_state.hpp"
#include "agent/sandbox_dirs.hpp"
#include "agent/status_update_manager.hpp"
#include "agent/update_journal.hpp"
#include "agent/work_queue.hpp"
#include "agora/internal/agent_master.grpc.pb.h"
#include "common/asio_event_loop.hpp"
#include "common/http_server.hpp"
#include "common/master_detector.hpp"
#include "common/metrics.hpp"
#include "common/work_dir_lock.hpp"

namespace agora::agent {

class AgentImpl : public ExecutorHandler, public AgentOperatorHandler {
 public:
  static absl::StatusOr<std::unique_ptr<AgentImpl>> Create(AgentOptions options);
  ~AgentImpl() override;

  // Thread-safe.
  std::string address() const { return address_; }
  int port() const { return port_; }
  int http_port() const { return http_port_; }
  std::string agent_id() const;
  bool registered() const { return registered_public_.load(); }
  bool durable() const { return durable_public_.load(); }
  void Stop();
  void Shutdown();

  // ExecutorHandler (loop thread).
  void OnExecutorSubscribe(const v1::ExecutorSubscribeRequest& request,
                           std::shared_ptr<ExecutorStream> stream) override;
  void OnExecutorUpdate(const v1::ExecutorUpdateRequest& request, ReplyFn reply) override;
  void OnExecutorMessage(const v1::ExecutorMessageRequest& request, ReplyFn reply) override;

  // AgentOperatorHandler (loop thread), in agent_operator.cpp.
  v1::GetHealthResponse OperatorHealth() override;
  v1::AgentState OperatorState() override;
  std::vector<LiveContainer> OperatorContainers() override;
  absl::StatusOr<std::string> OperatorSandbox(const std::string& framework_id,
                                              const std::string& executor_id,
                                              const std::string& task_id) override;

 private:
  using Key = std::pair<std::string, std::string>;  // (framework id, executor/task id)

  struct TaskRecord {
    v1::Task task;  // Latest state in task.state / task.status.
    // A terminal update was received or generated (maybe not yet on disk).
    bool terminal_reported = false;
    // Uuids the framework acknowledged (re-sent updates are not forwarded
    // again).
    std::set<std::string> acked_uuids;
    // The run directory of its executor's launch (empty until that
    // executor launches; stays after the executor is gone).
    std::string sandbox;
  };

  struct ExecutorRecord {
    enum class Phase { kLaunching, kRunning, kTerminating };
    std::string framework_id;
    v1::ExecutorInfo info;
    bool command_executor = false;
    std::string sandbox;
    std::string container_id;
    pid_t pid = -1;
    Phase phase = Phase::kLaunching;
    std::shared_ptr<ExecutorStream> stream;
    std::vector<v1::TaskInfo> queued;  // Waiting for the executor to subscribe.
    std::set<std::string> task_ids;
    TimerId registration_timer = 0;
    TimerId shutdown_timer = 0;
    bool kill_when_launched = false;
    // A checkpoint of one of its tasks failed before the executor started:
    // its launch is refused (TASK_DROPPED) rather than run undurably.
    bool task_checkpoint_failed = false;
    // Start time of `pid` (clock ticks since boot): guards session kills
    // against a recycled pid.
    uint64_t start_ticks = 0;
    // The process exited; its session is being killed before its tasks are
    // reported.
    bool exited = false;
    // Kills the framework asked for while the executor was not subscribed:
    // delivered when it subscribes, or (if it dies first) its tasks are
    // reported KILLED rather than FAILED.
    std::map<std::string, v1::KillPolicy> pending_kills;
    // Recovered after an agent restart: the process is not our child.
    bool recovered = false;
    // What the executor's unfinished tasks become when it exits.
    v1::TaskState exit_state = v1::TASK_FAILED;
    v1::TaskStatus::Reason exit_reason = v1::TaskStatus::REASON_EXECUTOR_TERMINATED;
    std::string exit_message = "Executor terminated";
    // The built-in command executor runs its one task: `pid` is the task's
    // agora-shim (leader of the task's session), no stream ever subscribes,
    // and the task's end is read from the shim's status file.
    bool builtin = false;
    // Built-in: SIGTERM was sent; the kill policy's grace timer runs.
    bool kill_requested = false;
    TimerId kill_timer = 0;
    // Built-in with a health check: its checker while the task runs
    // (agent_health_checks.cpp), and why the checks killed it (its terminal
    // update is then TASK_FAILED with REASON_TASK_HEALTH_CHECK_FAILED).
    std::shared_ptr<HealthChecker> health;
    std::string health_failure;
    // A custom executor (or agora-executor) started in its own cgroups
    // (agent_executor_containers.cpp): `pid` is its agora-shim, `limits`
    // what was last written to the cgroups, `oom_kills_reported` the
    // kernel's OOM kills already blamed on one of its tasks.
    bool in_cgroup = false;
    ContainerLimits limits;
    uint64_t oom_kills_reported = 0;
  };

  // How a custom executor's container ended (read off the loop once its
  // shim exited): see EndExecutorContainer.
  struct ExecutorContainerEnd {
    int killed = 0;                  // processes left in its cgroup
    std::optional<int> wait_status;  // the executor's own, from its shim's record
    std::string launch_error;        // the shim could not start the executor
    std::optional<MemoryLimitation> memory;
  };

  explicit AgentImpl(AgentOptions options);
  // The WorkPool key of an executor's blocking work.
  static std::string IoKey(const std::string& framework_id, const std::string& executor_id) {
    return framework_id + "/" + executor_id;
  }
  absl::Status Init();
  // The blocking part of start-up: lock, --recover=cleanup, read and
  // validate the checkpoints (before the loop serves anything).
  absl::StatusOr<CheckpointedState> LoadState();

  // A checkpoint write: `run` does the blocking I/O on the WorkPool queue
  // `key` (in order with the other writes of that key).
  struct CheckpointWrite {
    std::string key;
    std::string path;  // For the error message.
    std::function<absl::Status()> run;
    // If it fails: false drops it (the caller undoes what it was for, e.g. a
    // launch that is refused instead); true holds it for the retries.
    bool hold_on_failure = true;
  };
  using WrittenFn = std::function<void(const absl::Status&)>;

  // agent_impl.cpp: master link.
  void Connect();
  void OnMasterMessage(uint64_t generation, const internal::MasterMessage& message);
  void OnLinkClosed(uint64_t generation, const absl::Status& status);
  // Retries registration after a backoff; `why` (the failure) is logged at
  // WARNING with the master and the next attempt, at most every 10 s.
  void ScheduleReconnect(const absl::Status& why);
  // The detector saw a new leader: unless the link already goes to it,
  // reconnect now (backoff reset) instead of waiting out the backoff.
  void OnLeaderChanged();
  void OnRegistered(const internal::MasterMessage::Registered& registered, bool reregistered);
  void OnHeartbeatTimer();
  internal::AgentMessage BuildRegistration() const;
  bool SendToMaster(internal::AgentMessage message);
  void SetAgentId(const std::string& id);

  // agent_tasks.cpp: launches. agent_executors.cpp: kills and the end of
  // an executor's life.
  void OnRunTasks(const internal::MasterMessage::RunTasks& run);
  // Starts the executor process (its launch is in flight in `launches_`).
  void LaunchExecutor(const Key& key);
  // The launch of `key` left the in-flight set (its executor subscribed,
  // exited, timed out, or never started): starts the queued launches that
  // now fit.
  void OnLaunchSlotFreed(const Key& key);
  void StartQueuedLaunches();
  // A launch taken from the queue while the agent cannot checkpoint (or
  // its task checkpoint failed): its tasks are reported TASK_DROPPED and
  // the executor is forgotten, nothing is started.
  void RefuseQueuedLaunch(const Key& key);
  // A new executor's task refused because the launch queue is full:
  // TASK_DROPPED at once (in memory only).
  void DropLaunch(const std::string& framework_id, const std::string& executor_id,
                  const v1::TaskInfo& task);
  void CheckpointTask(const v1::Task& task);
  // `started`: false for a built-in task whose shim could not start the
  // command (its exit reports why).
  void OnExecutorLaunched(const Key& key, absl::StatusOr<pid_t> pid, uint64_t start_ticks,
                          const CheckpointWrite& checkpoint, const absl::Status& written,
                          bool started);
  // Launches refused while the agent cannot checkpoint: each task is
  // reported TASK_DROPPED at once (in memory only).
  void RefuseLaunch(const internal::MasterMessage::RunTasks& run);
  // A launch of a task id the agent still holds (the earlier task not yet
  // fully acknowledged): answered TASK_DROPPED, never ignored.
  void RefuseTaskIdInUse(const std::string& framework_id, const std::string& task_id);
  // Why launches are refused, for the task's message.
  std::string RefusalMessage() const;
  void OnRegistrationTimeout(const Key& key);
  void OnKillTask(const internal::MasterMessage::KillTask& kill);
  void ShutdownExecutor(const Key& key, v1::TaskStatus::Reason reason);
  void KillExecutorTree(ExecutorRecord& executor, int signal);
  // agent_executors.cpp: the executor process is gone. Its session is
  // killed (off the loop), then OnExecutorTreeKilled reports its tasks.
  void OnChildExited(pid_t pid, int wait_status);
  // Hands `pid` (the process of executor `key`) to the reaper.
  void WatchExecutor(const Key& key, pid_t pid);
  void OnExecutorTreeKilled(const Key& key, int wait_status, int killed);
  bool HasLiveTaskOtherThan(const ExecutorRecord& executor, const std::string& task_id) const;
  void OnFrameworkMessage(const internal::MasterMessage::FrameworkMessage& message);

  // agent_command_tasks.cpp: the built-in command executor.
  LaunchSpec ExecutorLaunchSpec(const Key& key, const ExecutorRecord& executor) const;
  // agora-shim running `shell_command` in `sandbox`: its flags, working dir,
  // log rotation and its own stdout/stderr; the caller adds the environment.
  LaunchSpec ShimSpec(const std::string& sandbox, const std::string& shell_command) const;
  LaunchSpec ShimLaunchSpec(const Key& key, const ExecutorRecord& executor) const;
  // The user to run `command` as under --switch_user (nullopt without it).
  std::optional<std::string> SwitchedUser(const std::string& framework_id,
                                          const v1::CommandInfo& command) const;
  // --switch_user: the name of the user command task `key` runs as
  // (looked up off the loop when it is spawned); nullopt without the flag.
  std::optional<std::string> CommandTaskUser(const Key& key) const;
  // An update of a command task, reported as its executor (source
  // EXECUTOR), with the command's wait status when known.
  void SendCommandUpdate(const Key& key, v1::TaskState state, v1::TaskStatus::Reason reason,
                         const std::string& message, std::optional<int> wait_status);
  // The shim runs: the task is RUNNING if the shim `started` its process.
  void OnCommandTaskStarted(const Key& key, bool started);
  // SIGTERM to the task's process group (through the shim), SIGKILL of the
  // session after `grace` unless it ended first; the task then ends KILLED.
  void KillCommandTask(const Key& key, absl::Duration grace);
  // The shim exited (or, adopted after a restart, is gone): leftovers of
  // the session are killed and the status file read off the loop, then
  // OnCommandTaskEnded reports the task's terminal update.
  void OnShimExited(const Key& key, std::optional<int> wait_status);
  void OnCommandTaskEnded(const Key& key, const CommandEnd& end, int killed);
  // Recovery: a built-in executor whose shim still runs is adopted; one
  // that is gone is reported from its status file.
  void RecoverCommandTask(const Key& key);
  void KillAllExecutorsNow();

  // agent_health_checks.cpp: health checks of command tasks.
  // /metrics: checks run and failed by type, tasks reported unhealthy.
  void AddHealthMetrics(MetricsText* metrics) const;
  // Starts the task's checker if it has a health check (RUNNING, or
  // recovered running: the health it last reported is kept).
  void StartHealthChecks(const Key& key);
  // Runs one check of task `key` (TCP/HTTP on the loop, COMMAND through
  // health_commands_).
  void RunHealthCheck(const Key& key, absl::Duration timeout, ProbeDone done);
  // A TASK_RUNNING update with the new health, or the kill of the task.
  void OnHealthDecision(const Key& key, const HealthDecision& decision);

  // agent_executor_containers.cpp: custom executors (and agora-executor)
  // started through agora-shim, in cgroups under cgroups isolation.
  // The shim's launch spec of executor `key` (the executor's own command,
  // environment, sandbox and log rotation).
  LaunchSpec ExecutorShimSpec(const Key& key, const ExecutorRecord& executor) const;
  // --switch_user: the user executor `key` runs as (its command's user,
  // else its framework's); nullopt without the flag.
  std::optional<std::string> ExecutorUser(const Key& key) const;
  // The executor's resources plus those of its live tasks.
  ContainerLimits ExecutorLimits(const Key& key) const;
  // Writes ExecutorLimits into the executor's cgroups (off the loop) when
  // they changed: a task joined or left.
  void UpdateExecutorLimits(const Key& key);
  // A TASK_FAILED from an executor in a cgroup: if the kernel OOM-killed a
  // process of the container since the last such update, the update is
  // rewritten with REASON_CONTAINER_LIMITATION_MEMORY (read off the loop)
  // before HandleUpdate. False: not such an update, the caller handles it.
  bool HandleExecutorFailure(const Key& key, const v1::TaskStatus& status, const ReplyFn& reply);
  // Off the loop, after the executor's shim exited: kills what is left in
  // its cgroup, reads its OOM verdict and its shim's record, queues the
  // cgroup's removal (a null isolator: the record only).
  static ExecutorContainerEnd EndExecutorContainer(const CgroupsIsolator* isolator,
                                                   CgroupsRemover* remover,
                                                   const std::string& container_id,
                                                   const std::string& sandbox);
  // On the loop: what the container's end says about the executor's
  // unfinished tasks (memory limit, launch failure), then their reports.
  void OnExecutorContainerEnded(const Key& key, int wait_status, int killed,
                                const ExecutorContainerEnd& end);

  // agent_isolation.cpp: cgroups isolation of command tasks.
  // The cgroups of one command task's container, for the launch (on io_).
  struct CommandCgroups {
    const CgroupsIsolator* isolator = nullptr;  // null: posix isolation
    std::string container_id;
    ContainerLimits limits;
    // Creates them and adds the shim's --cgroup flags to `spec`; OK and
    // nothing done under posix isolation. FAILED_PRECONDITION names why.
    absl::Status Prepare(LaunchSpec* spec) const;
    void Destroy() const;
  };
  // Creates isolator_ per --isolation (auto falls back to posix with one
  // log line saying why); an error only for --isolation=cgroups.
  absl::Status SetUpIsolation();
  // The limits of a command task's container, from its task's resources.
  ContainerLimits CommandTaskLimits(const Key& key) const;
  // After recovery: removes the empty cgroups of containers the agent no
  // longer knows (a busy one may belong to another agent on the host).
  void RemoveOrphanCgroups();
  // agent_cgroup_owners.cpp. Before the isolator creates `subdir`: claims
  // it (cgroup_owners.hpp); a failure only disables the sweep.
  void ClaimCgroupDirectory(const std::string& subdir);
  // Once the isolator exists: records its directories in the claim, then
  // removes the empty directories of dead agents on the host.
  void SweepDeadAgentCgroups(const std::string& subdir);

 public:
  // The isolator of command task containers, or null under posix
  // isolation. Its methods block on /sys/fs/cgroup: call them off the loop
  // (e.g. CgroupsIsolator::Usage for GetContainers and /metrics).
  const CgroupsIsolator* isolator() const { return isolator_.get(); }
  // "cgroups-v1", "cgroups-v2" or "posix": for metrics and `agora agents`.
  std::string IsolationMode() const;

 private:
  // agent_gc.cpp: garbage collection of finished sandboxes.
  struct GcEntry {
    Key key;                                     // Its executor.
    absl::Time finished = absl::InfinitePast();  // From its marker.
    uint64_t bytes = 0;
    // A removal runs off the loop.
    bool removing = false;
    // Finished again (a new run of its executor id) while being removed.
    std::optional<std::pair<absl::Time, uint64_t>> refinished;
  };
  // The executors the agent tracks, by themselves or through any of their
  // tasks: their sandboxes are never collected.
  std::set<std::string> SandboxesInUse() const;
  // After recovery: scans work_dir/sandboxes off the loop and arms the GC
  // timer.
  void StartSandboxGc();
  void OnSandboxesScanned(std::vector<ScannedSandbox> found);
  // Writes the finished marker of executor `key`'s sandbox (off the loop),
  // then reports it to OnSandboxFinished.
  void MarkSandboxFinished(const Key& key, const std::string& sandbox, absl::Time finished);
  void OnSandboxFinished(const Key& key, const std::string& sandbox, absl::Time finished,
                         uint64_t bytes);
  // Runs OnGcTimer at `at` unless it already runs sooner.
  void ArmGcTimer(absl::Time at);
  void OnGcTimer();
  // Runs the policy on the finished sandboxes not in use and starts the
  // removals it decides.
  void CollectSandboxes(const std::optional<DiskSpace>& disk);
  void OnSandboxRemoved(const std::string& sandbox, bool for_space, const absl::Status& status);

  // agent_persistence.cpp. Runs `write` and calls `done` on the loop, in
  // order with the key's other writes. While the agent cannot checkpoint,
  // writes are held in memory (in order) and `done` gets UNAVAILABLE; the
  // held writes are retried every --checkpoint_retry_interval.
  void Persist(CheckpointWrite write, WrittenFn done = nullptr);
  void OnCheckpointFailed(CheckpointWrite write, const absl::Status& status);
  void OnCheckpointRetryTimer();
  void OnHeldWriteDone(const absl::Status& status, bool probe);
  void SetDurable(bool durable);

  // agent_http.cpp: /health, /ready and /metrics.
  absl::Status StartHttp();
  // Prometheus text of a snapshot taken on the loop (called off the loop).
  std::string RenderMetrics();

  // agent_recovery.cpp: rebuilds frameworks, executors, tasks and pending
  // updates from `state` (on the loop, before the gRPC server starts).
  // Executors still alive are watched and expected to re-subscribe; the
  // sessions of dead ones are killed, then their tasks are failed.
  void Recover(CheckpointedState state);
  void OnRecoveredExecutorGone(const Key& key, bool rebooted);

  // agent_updates.cpp: status updates.
  // Checkpoints `status` (off the loop), then applies it and calls `reply`.
  void HandleUpdate(const std::string& framework_id, const std::string& executor_id,
                    v1::TaskStatus status, ReplyFn reply, bool persist = true);
  void ApplyUpdate(const std::string& framework_id, const std::string& executor_id,
                   const v1::TaskStatus& status);
  // A new status of `task_id` on this agent (fresh uuid, the loop's time).
  v1::TaskStatus NewStatus(const std::string& executor_id, const std::string& task_id,
                           v1::TaskState state, v1::TaskStatus::Source source,
                           v1::TaskStatus::Reason reason, const std::string& message) const;
  // An update generated by the agent itself (source AGENT).
  // `persist` false: forwarded but never written (a refused launch, whose
  // task has no checkpoint either).
  void GenerateUpdate(const std::string& framework_id, const std::string& executor_id,
                      const std::string& task_id, v1::TaskState state,
                      v1::TaskStatus::Reason reason, const std::string& message,
                      bool persist = true);
  void OnAcknowledge(const internal::MasterMessage::Acknowledge& ack);
  // ACKNOWLEDGEMENTS: each entry as one ACKNOWLEDGE.
  void OnAcknowledgements(const internal::MasterMessage& message);
  void ForwardUpdate(const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
                     v1::TaskState latest_state);
  void MaybeForgetTask(const Key& task_key);
  void SendSubscribed(ExecutorRecord& executor);

  AgentOptions options_;
  std::string address_;
  int port_ = 0;
  int http_port_ = -1;
  std::string endpoint_for_executors_;
  v1::AgentInfo info_;  // Without id; id in agent_id_.
  std::string executor_path_;
  std::string shim_path_;
  std::string checkpointed_boot_id_;  // From meta/agent; "" if none.

  mutable std::mutex id_mu_;
  std::string agent_id_public_;
  std::atomic<bool> registered_public_{false};
  std::atomic<bool> durable_public_{true};
  // Texts for /health and /ready (served off the loop), set on the loop.
  mutable std::mutex health_mu_;
  std::string health_problem_;  // Empty while durable.
  std::string ready_problem_ = "not registered with a master yet";
  std::once_flag stop_once_;
  std::atomic<bool> stop_called_{false};

  AsioEventLoop loop_;
  std::unique_ptr<MasterDetector> detector_;
  std::unique_ptr<Launcher> launcher_;
  // COMMAND health checks (created at the first one). Declared after
  // loop_ and launcher_: destroyed before them, after Stop().
  std::unique_ptr<HealthCommandRunner> health_commands_;
  // Cgroups isolation (see isolator.hpp); null under posix isolation. Used
  // only from io_ (it blocks on /sys/fs/cgroup); stateless, so shared.
  std::unique_ptr<const CgroupsIsolator> isolator_;
  // Removes ended containers' cgroups in batches on its own thread (null
  // under posix isolation); after isolator_, so it stops first.
  std::unique_ptr<CgroupsRemover> cgroups_remover_;
  // The lock on this agent's cgroup directories (null: not claimed).
  std::unique_ptr<CgroupOwnership> cgroup_ownership_;
  // Blocking work (fsync, spawn, kill), keyed by executor so that one
  // executor's checkpoints and updates stay in order.
  std::unique_ptr<WorkPool> io_;
  // Sandbox GC's scans and disk measurements (they may take long on a big
  // work dir: kept off io_, where checkpoint writes would wait behind them).
  std::unique_ptr<WorkQueue> gc_io_;
  std::unique_ptr<Reaper> reaper_;
  std::unique_ptr<StatusUpdateManager> updates_;
  std::unique_ptr<ExecutorService> executor_service_;
  std::unique_ptr<grpc::Server> server_;
  // Declared after server_: destroyed first, while the (shut down) server
  // still exists for the replies its pool finishes.
  std::unique_ptr<AgentOperatorService> operator_service_;
  absl::Time start_time_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<WorkDirLock> lock_;
  bool loop_started_ = false;

  // Loop-owned.
  std::string agent_id_;
  std::string master_address_;
  // From a LeaderRedirect: tried once by the next Connect().
  std::string redirect_address_;
  TimerId reconnect_timer_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<internal::AgentChannel::Stub> stub_;
  std::shared_ptr<MasterLink> link_;
  uint64_t link_generation_ = 0;
  bool registered_ = false;
  bool stopping_ = false;
  bool shut_down_by_master_ = false;
  absl::Duration backoff_;
  absl::Duration heartbeat_interval_;
  uint32_t max_missed_heartbeats_ = 3;
  absl::Time last_heard_from_master_;
  TimerId heartbeat_timer_ = 0;
  std::mt19937_64 random_;
  std::map<std::string, v1::FrameworkInfo> frameworks_;
  std::map<Key, ExecutorRecord> executors_;
  std::map<Key, TaskRecord> tasks_;
  // The executor of each pid handed to the reaper, until it exits.
  std::unordered_map<pid_t, Key> watched_pids_;
  // Tasks forgotten (acknowledged, executor gone), for the operator API.
  CompletedTasks completed_{1000, 100};
  // Executor launches waiting for, or holding, a start slot.
  LaunchQueue launches_;
  // Persistence (agent_persistence.cpp). OK while checkpoints succeed.
  absl::Status checkpoint_error_;
  std::deque<CheckpointWrite> held_writes_;  // Oldest first.
  TimerId checkpoint_retry_timer_ = 0;
  bool retry_in_flight_ = false;
  // Registration warnings are rate-limited.
  absl::Time last_registration_warning_ = absl::InfinitePast();
  // Counters for /metrics (loop-owned).
  uint64_t executors_launched_ = 0;
  uint64_t command_tasks_launched_ = 0;
  uint64_t executors_exited_ = 0;
  uint64_t updates_received_ = 0;
  uint64_t updates_forwarded_ = 0;
  // ACKNOWLEDGEMENTS messages received (their entries count as acknowledged).
  uint64_t ack_batches_received_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t checkpoint_failures_ = 0;
  uint64_t launches_refused_ = 0;
  uint64_t launches_dropped_queue_full_ = 0;
  uint64_t session_processes_killed_ = 0;
  uint64_t memory_limitations_ = 0;  // REASON_CONTAINER_LIMITATION_MEMORY reported
  // Health checks run and failed, by type ("command", "tcp", "http").
  std::map<std::string, uint64_t> health_checks_run_;
  std::map<std::string, uint64_t> health_checks_failed_;
  // Sandbox GC (agent_gc.cpp), loop-owned: finished sandboxes by
  // executor, the timer and what was removed.
  std::map<std::string, GcEntry> gc_finished_;  // By sandbox path.
  TimerId gc_timer_ = 0;
  absl::Time gc_timer_at_ = absl::InfiniteFuture();
  absl::Time gc_last_run_ = absl::InfinitePast();
  uint64_t sandboxes_removed_ = 0;
  uint64_t sandboxes_removed_for_space_ = 0;

  // The update journal (agent_journal.cpp): status update records with
  // group commit. Opened after the checkpoints are read, before Recover.
  absl::Status OpenJournal(const CheckpointedState& state);
  // Checkpoints `record` in the journal; `done` as for Persist (the same
  // held-writes contract while the agent cannot checkpoint).
  void PersistRecord(internal::StatusUpdateRecord record, bool sync, WrittenFn done = nullptr);
  std::unique_ptr<UpdateJournal> journal_;
  // Records handed to the journal whose result has not reached the loop.
  uint64_t journal_in_flight_ = 0;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_AGENT_IMPL_HPP_
