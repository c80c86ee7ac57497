// Agent: the embeddable agora-agent daemon.
//
// An Agent offers its machine's resources to the master over one
// bidirectional AgentChannel stream, launches executors as real processes
// in per-executor sandboxes under `work_dir`, serves the Executor gRPC
// service those executors subscribe to, and forwards their status updates to
// the master reliably (checkpointed, in order per task, retried until
// acknowledged).
//
// `agora-agent` (main.cpp) copies its flags into AgentOptions and calls
// Agent::Start; in-process tests build AgentOptions directly.
//
// Threading: all agent state lives on one event loop thread owned by the
// Agent; gRPC callbacks, the child reaper and the checkpoint writer only post
// to it. The public methods below are thread-safe.
#ifndef AGORA_AGENT_AGENT_HPP_
#define AGORA_AGENT_AGENT_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/sandbox_gc.hpp"

namespace agora::agent {

// What a restarted agent does with the checkpoints in work_dir/meta.
enum class RecoverMode {
  // Recover them strictly: re-register with the same id, reattach to live
  // executors, replay unacknowledged updates. A damaged checkpoint stops the
  // start-up with an error naming the file.
  kReconnect,
  // Kill every executor and task of this work dir that can be found, move
  // meta/ aside (meta.discarded.<time>) and start with no tasks.
  kCleanup,
};

// The default --max_concurrent_launches: 2 x the online CPUs, at least 2.
int DefaultMaxConcurrentLaunches();

// Everything an agent needs to start. Plain struct: defaults here, flags in
// flags.cpp. Validate() names the bad field (by its flag name).
struct AgentOptions {
  // The master: "host:port", a list "h1:p1,h2:p2", or "zk://servers/path"
  // (see common/master_detector.hpp).
  std::string master;
  // Checkpoints (`meta/`) and sandboxes (`sandboxes/`) live here. Required.
  std::string work_dir;
  // Resources in flag syntax ("cpus:4;mem:8192;ports:[31000-32000]").
  // Empty: detected (cpus, mem minus a reserve, disk of work_dir, ports
  // [31000-32000]); names given here replace the detected ones.
  std::string resources;
  // Attributes, "name:value" separated by ';' ("rack:r1;zone:a"). A value
  // that is a number is a scalar, "[a-b,...]" ranges, "{x,y}" a set, else
  // text.
  std::string attributes;
  // Reported to the master. Empty: the machine's hostname.
  std::string hostname;
  // Address the gRPC server (Executor service) binds to.
  std::string ip = "127.0.0.1";
  // gRPC port; 0 = ephemeral (tests), the bound port is in address().
  int port = 5051;
  // HTTP port for /health and /metrics; 0 = ephemeral, -1 = no HTTP server.
  // Embedded agents default to none (tests start many agents); the
  // agora-agent flag defaults to 5056.
  int http_port = -1;
  // How command tasks (tasks without an ExecutorInfo) run.
  enum class CommandExecutor {
    // The agent is their executor: each task is started through agora-shim
    // (no executor process, no RPCs); the agent reports its updates, applies
    // its kill policy and reads its exit status from the shim's status file.
    kBuiltin,
    // One `executor_path` process per task (agora-executor, the reference
    // implementation of the executor API), started like a custom executor.
    kProcess,
  };
  CommandExecutor command_executor = CommandExecutor::kBuiltin;
  // The shim binary for kBuiltin. Empty: `agora-shim` beside the running
  // binary (/proc/self/exe).
  std::string shim_path;
  // The command executor binary for kProcess. Empty: `agora-executor`
  // beside the running binary.
  std::string executor_path;
  // Executors that have not subscribed after this long are killed and their
  // tasks reported TASK_FAILED (REASON_EXECUTOR_REGISTRATION_TIMEOUT).
  // It counts from the moment the executor process is started (a launch
  // waiting in the launch queue has no timer).
  absl::Duration executor_registration_timeout = absl::Minutes(1);
  // Launch queue: at most this many executors are started but not yet
  // subscribed at once (>= 1); further launches wait, in arrival order, in
  // TASK_STAGING. A launch leaves the in-flight set when its executor
  // subscribes, exits or times out.
  int max_concurrent_launches = DefaultMaxConcurrentLaunches();
  // At most this many launches wait (>= 0); beyond it a task is reported
  // TASK_DROPPED (REASON_CONTAINER_LAUNCH_FAILED, the message names the
  // flag).
  int64_t max_queued_launches = 100000;
  // How long an executor gets between SHUTDOWN and SIGKILL.
  absl::Duration executor_shutdown_grace_period = absl::Seconds(5);
  // Reconnection to the master: exponential backoff between these bounds,
  // with jitter. A new leader seen by the detector (zk://) or a redirect
  // resets it, so agents follow a failover at once whatever the maximum.
  absl::Duration registration_backoff_min = absl::Milliseconds(100);
  absl::Duration registration_backoff_max = absl::Seconds(10);
  // Status update retries to the master: the head update of a task is
  // re-sent after retry_min without an acknowledgement, then after doubling
  // intervals capped at retry_max.
  absl::Duration status_update_retry_min = absl::Seconds(10);
  absl::Duration status_update_retry_max = absl::Minutes(10);
  // Batches on the master link: announce ACKNOWLEDGEMENTS in the
  // registration, and merge queued status updates into STATUS_UPDATES when
  // the master announced them. False: single messages only, as an agent
  // from before batches (for tests of mixed versions).
  bool link_batches = true;
  // See RecoverMode.
  RecoverMode recover = RecoverMode::kReconnect;
  // While checkpoints fail (disk full, EIO), how often the agent retries
  // them; it is healthy again once every held write is on disk.
  absl::Duration checkpoint_retry_interval = absl::Seconds(5);
  // Size past which a segment of the update journal (meta/journal) rolls;
  // segments whose tasks are all forgotten are deleted.
  uint64_t journal_segment_bytes = 8ull << 20;
  // Heartbeat interval used until the master announces its own.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // How command tasks are isolated (see docs/agent.md "Isolation").
  enum class Isolation {
    // cgroups when the host's are usable and writable, else posix (said
    // once at start-up with the reason).
    kAuto,
    // Process sessions only: no limits, kill by session.
    kPosix,
    // One cgroup per container; the agent refuses to start without them.
    kCgroups,
  };
  Isolation isolation = Isolation::kAuto;
  // cgroups: a hard cpu cap (CFS quota = cpus x 100 ms per 100 ms) besides
  // the proportional shares.
  bool cgroups_enable_cfs = false;
  // cgroups: the most processes (and threads) one container may have; 0 =
  // no limit.
  int64_t cgroups_pids_max = 4096;
  // cgroups v1: container cgroups kept ready ahead of launches (made, and
  // recycled from ended tasks, in the background); 0 = none, each launch
  // creates its cgroups.
  int64_t cgroups_pool_size = 32;
  // cgroups: where the cgroup hierarchies are mounted (tests only).
  std::string cgroups_mount_root = "/sys/fs/cgroup";
  // cgroups: how long an ended task's cgroups wait for others to be
  // removed in one batch, off the launch path (tests only).
  absl::Duration cgroups_removal_delay = absl::Milliseconds(100);
  // cgroups: where each agent records (and locks, while it lives) the owner
  // of its agora-<hash> cgroup directories, so that an agent at start
  // removes the empty directories of dead agents (cgroup_owners.hpp; tests
  // only: every agent on a host must use the same).
  std::string cgroups_owners_dir = "/run/agora/cgroups";
  // Command tasks' stdout and stderr: agora-shim copies them from pipes into
  // `stdout`/`stderr`, rotated at this many bytes (to stdout.1, ...), keeping
  // at most container_log_max_files files (>= 1) per stream. 0: the task
  // writes its files directly, unbounded. See docs/agent.md "Task logs".
  int64_t container_log_max_size = 10 << 20;
  int container_log_max_files = 5;
  // Command tasks run as CommandInfo.user, else FrameworkInfo.user (refused
  // with TASK_FAILED if the user does not exist here); false: as the
  // agent's own user.
  bool switch_user = false;
  // With switch_user: tasks may run as root (uid 0); otherwise refused.
  bool allow_root_tasks = false;

  // Sandbox garbage collection (see docs/agent.md "Sandbox garbage
  // collection"). A finished sandbox (its executor and every task ended and
  // acknowledged) is removed this long after it finished (>= 0).
  absl::Duration gc_delay = absl::Hours(24);
  // While the work_dir's filesystem has less than this fraction free
  // ([0, 1]; 0 = never), the oldest finished sandboxes are removed sooner,
  // until the fraction is free again.
  double gc_disk_headroom = 0.1;
  // How often the free space is measured (> 0).
  absl::Duration disk_watch_interval = absl::Minutes(1);
  // A sandbox finished less than this long ago is never removed for disk
  // space (>= 0; not a flag).
  absl::Duration gc_min_age = absl::Minutes(1);
  // Measures the work_dir's filesystem, off the loop; empty: statvfs.
  // Tests inject a full disk here.
  std::function<absl::StatusOr<DiskSpace>(const std::string& work_dir)> disk_space;

  // Effective flag values the operator API's GetFlags reports; filled by
  // agora-agent's main. Empty: ToFlags() is reported instead.
  std::map<std::string, std::string> flags;

  // OK, or INVALID_ARGUMENT naming the flag ("--work_dir: must be set").
  absl::Status Validate() const;

  // The options as flag name -> value (for GetFlags of embedded agents).
  std::map<std::string, std::string> ToFlags() const;
};

class AgentImpl;

class Agent {
 public:
  // Validates `options`, locks work_dir (work_dir/agent.lock), recovers the
  // checkpointed state (see RecoverMode), then binds the gRPC server (so no
  // executor subscribes before recovery is complete) and starts connecting
  // to the master. Errors: INVALID_ARGUMENT for bad options,
  // FAILED_PRECONDITION if another agent holds work_dir (names its pid),
  // DATA_LOSS for a damaged checkpoint (names the file and
  // --recover=cleanup), UNAVAILABLE if the port cannot be bound, INTERNAL
  // for an unusable work_dir.
  static absl::StatusOr<std::unique_ptr<Agent>> Start(AgentOptions options);

  // Calls Stop().
  ~Agent();

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // "ip:port" of the gRPC server (the executors' AGORA_AGENT_ENDPOINT).
  std::string address() const;
  int port() const;
  // The bound HTTP port (/health, /metrics); -1 if disabled.
  int http_port() const;

  // The id assigned by the master; empty until registered (or the
  // checkpointed one after a restart).
  std::string agent_id() const;

  // True while the master stream is up and the agent is (re)registered.
  bool registered() const;

  // True while every checkpoint write succeeds (false while the agent holds
  // writes in memory and refuses launches).
  bool durable() const;

  // Stops the daemon as a crash would: executors keep running (a restarted
  // agent with the same work_dir re-registers). Idempotent.
  void Stop();

  // Kills every executor's process tree, then stops. Idempotent. Both
  // release the work_dir lock.
  void Shutdown();

 private:
  explicit Agent(std::unique_ptr<AgentImpl> impl);
  std::unique_ptr<AgentImpl> impl_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_AGENT_HPP_
