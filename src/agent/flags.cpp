#include "agent/flags.hpp"

#include <gflags/gflags.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/agent.hpp"
#include "common/flag_values.hpp"
#include "common/validation.hpp"

DEFINE_string(master, "",
              "The master to register with: host:port; a list host:port,host:port,... "
              "(tried in turn, redirects followed to the leader); or zk://host:port[,...]/path "
              "(the leader elected in ZooKeeper under path, followed as it changes).");
DEFINE_string(work_dir, "",
              "Directory for checkpoints (meta/) and executor sandboxes (sandboxes/). Required.");
DEFINE_string(resources, "",
              "Total resources to offer, e.g. 'cpus:4;mem:8192;disk:100000;ports:[31000-32000]'. "
              "Names not given are detected: all cpus, memory minus a reserve, the disk of "
              "--work_dir minus a reserve, ports [31000-32000].");
DEFINE_string(attributes, "",
              "Agent attributes for placement, e.g. 'rack:r1;zone:a'. Values that are numbers "
              "are scalars, '[a-b]' ranges, '{x,y}' sets, anything else text.");
DEFINE_string(hostname, "", "Hostname reported to the master (default: this machine's).");
DEFINE_string(ip, "127.0.0.1", "Address the agent's gRPC server (executor API) binds to.");
DEFINE_int32(port, 5051, "Port of the agent's gRPC server; 0 picks a free port.");
DEFINE_int32(http_port, 5056,
             "Port of the agent's HTTP server (/health, /metrics); 0 picks a free port, -1 "
             "disables it.");
DEFINE_string(command_executor, "builtin",
              "How command tasks run: 'builtin' (the agent is their executor and starts each "
              "through agora-shim: no executor process, no RPCs) or 'process' (one "
              "--executor_path process per task, the reference executor).");
DEFINE_string(isolation, "auto",
              "How command tasks are isolated: 'cgroups' (one cgroup per task: cpu shares, "
              "memory and pids limits, whole-tree kill), 'posix' (process sessions only) or "
              "'auto' (cgroups when writable, else posix).");
DEFINE_bool(cgroups_enable_cfs, false,
            "With cgroups isolation, cap each task's cpu at its 'cpus' (CFS quota) besides "
            "its proportional shares.");
DEFINE_int64(cgroups_pids_max, 4096,
             "With cgroups isolation, the most processes and threads one task may have "
             "(0 = no limit).");
DEFINE_int64(cgroups_pool_size, 32,
             "With cgroups v1 isolation, container cgroups kept ready ahead of launches (made "
             "and recycled from ended tasks in the background; 0 = none).");
DEFINE_string(container_log_max_size, "10MiB",
              "Command tasks' stdout and stderr are rotated at this size (e.g. 10MiB, 500KB; "
              "stdout -> stdout.1 -> ...) by their agora-shim; '0' lets tasks write their files "
              "directly, unbounded.");
DEFINE_int32(container_log_max_files, 5,
             "Files kept per stream of a command task (stdout and stdout.1 .. stdout.N-1), in "
             "[1, 1000]: at most container_log_max_size x this many bytes each.");
DEFINE_bool(switch_user, false,
            "Run command tasks as their CommandInfo.user, else their framework's user (a task "
            "whose user does not exist here fails); false: as the agent's own user.");
DEFINE_bool(allow_root_tasks, false,
            "With --switch_user, allow tasks to run as root (uid 0); otherwise they fail.");
DEFINE_string(shim_path, "", "Path of agora-shim (default: agora-shim beside this binary).");
DEFINE_string(executor_path, "",
              "Path of the command executor for --command_executor=process (default: "
              "agora-executor beside this binary).");
DEFINE_string(executor_registration_timeout, "1m",
              "Duration (e.g. 60s, 2m; a bare number is seconds) an executor may take to "
              "subscribe before it is killed and its tasks fail; > 0.");
DEFINE_int32(max_concurrent_launches, agora::agent::DefaultMaxConcurrentLaunches(),
             "Most executors started but not yet subscribed at once (>= 1; default 2 x the "
             "online CPUs, at least 2). Further launches wait in the launch queue in "
             "TASK_STAGING; --executor_registration_timeout counts from the actual start.");
DEFINE_int64(max_queued_launches, 100000,
             "Most launches waiting in the launch queue (>= 0); beyond it a task is reported "
             "TASK_DROPPED.");
DEFINE_string(executor_shutdown_grace_period, "5s",
              "Duration (e.g. 5s, 500ms; a bare number is seconds) an executor gets between "
              "SHUTDOWN and SIGKILL; >= 0.");

DEFINE_string(recover, "reconnect",
              "What a restarted agent does with its checkpoints: 'reconnect' recovers them "
              "strictly (a damaged checkpoint stops the start-up, naming the file); 'cleanup' "
              "kills every executor and task of --work_dir it can find, moves meta/ to "
              "meta.discarded.<time> and starts with no tasks.");
DEFINE_string(status_update_retry_min, "10s",
              "Duration (a bare number is seconds) a status update waits for the framework's "
              "acknowledgement before it is sent again; the wait doubles on each retry; > 0.");
DEFINE_string(status_update_retry_max, "10m",
              "The longest wait between status update retries (a duration; >= "
              "--status_update_retry_min).");
DEFINE_string(gc_delay, "1days",
              "Duration (e.g. 1days, 12h, 30m; a bare number is seconds) after which a "
              "finished sandbox (its executor and every task ended and acknowledged) is "
              "removed; >= 0.");
DEFINE_double(gc_disk_headroom, 0.1,
              "Fraction of --work_dir's filesystem to keep free (0..1): below it the oldest "
              "finished sandboxes are removed before --gc_delay (never one finished less than "
              "a minute ago, never a running one); 0 disables it.");
DEFINE_string(disk_watch_interval, "1mins",
              "How often (a duration; > 0) the free space of --work_dir's filesystem is "
              "measured for --gc_disk_headroom.");

namespace agora::agent {

absl::StatusOr<absl::Duration> ParseDurationFlag(const char* flag, const std::string& value) {
  return ParseDurationValue(absl::StrCat("--", flag), value);
}

absl::StatusOr<AgentOptions> AgentOptionsFromFlags() {
  AgentOptions options;
  options.master = FLAGS_master;
  options.work_dir = FLAGS_work_dir;
  options.resources = FLAGS_resources;
  options.attributes = FLAGS_attributes;
  options.hostname = FLAGS_hostname;
  options.ip = FLAGS_ip;
  options.port = FLAGS_port;
  options.http_port = FLAGS_http_port;
  options.executor_path = FLAGS_executor_path;
  options.shim_path = FLAGS_shim_path;
  if (FLAGS_command_executor == "builtin") {
    options.command_executor = AgentOptions::CommandExecutor::kBuiltin;
  } else if (FLAGS_command_executor == "process") {
    options.command_executor = AgentOptions::CommandExecutor::kProcess;
  } else {
    return InvalidField("--command_executor", absl::StrCat("'", FLAGS_command_executor,
                                                           "' is not 'builtin' or 'process'"));
  }
  if (FLAGS_isolation == "auto") {
    options.isolation = AgentOptions::Isolation::kAuto;
  } else if (FLAGS_isolation == "posix") {
    options.isolation = AgentOptions::Isolation::kPosix;
  } else if (FLAGS_isolation == "cgroups") {
    options.isolation = AgentOptions::Isolation::kCgroups;
  } else {
    return InvalidField(
        "--isolation", absl::StrCat("'", FLAGS_isolation, "' is not 'auto', 'posix' or 'cgroups'"));
  }
  options.cgroups_enable_cfs = FLAGS_cgroups_enable_cfs;
  options.cgroups_pids_max = FLAGS_cgroups_pids_max;
  options.cgroups_pool_size = FLAGS_cgroups_pool_size;
  auto log_max_size = ParseSizeValue("--container_log_max_size", FLAGS_container_log_max_size);
  if (!log_max_size.ok()) return log_max_size.status();
  options.container_log_max_size = *log_max_size;
  options.container_log_max_files = FLAGS_container_log_max_files;
  options.switch_user = FLAGS_switch_user;
  options.allow_root_tasks = FLAGS_allow_root_tasks;
  auto registration =
      ParseDurationFlag("executor_registration_timeout", FLAGS_executor_registration_timeout);
  if (!registration.ok()) return registration.status();
  options.executor_registration_timeout = *registration;
  options.max_concurrent_launches = FLAGS_max_concurrent_launches;
  options.max_queued_launches = FLAGS_max_queued_launches;
  auto grace =
      ParseDurationFlag("executor_shutdown_grace_period", FLAGS_executor_shutdown_grace_period);
  if (!grace.ok()) return grace.status();
  options.executor_shutdown_grace_period = *grace;
  if (FLAGS_recover == "reconnect") {
    options.recover = RecoverMode::kReconnect;
  } else if (FLAGS_recover == "cleanup") {
    options.recover = RecoverMode::kCleanup;
  } else {
    return InvalidField("--recover",
                        absl::StrCat("'", FLAGS_recover, "' is not 'reconnect' or 'cleanup'"));
  }
  auto retry_min = ParseDurationFlag("status_update_retry_min", FLAGS_status_update_retry_min);
  if (!retry_min.ok()) return retry_min.status();
  options.status_update_retry_min = *retry_min;
  auto retry_max = ParseDurationFlag("status_update_retry_max", FLAGS_status_update_retry_max);
  if (!retry_max.ok()) return retry_max.status();
  options.status_update_retry_max = *retry_max;
  auto gc_delay = ParseDurationFlag("gc_delay", FLAGS_gc_delay);
  if (!gc_delay.ok()) return gc_delay.status();
  options.gc_delay = *gc_delay;
  options.gc_disk_headroom = FLAGS_gc_disk_headroom;
  auto disk_watch = ParseDurationFlag("disk_watch_interval", FLAGS_disk_watch_interval);
  if (!disk_watch.ok()) return disk_watch.status();
  options.disk_watch_interval = *disk_watch;
  if (auto status = options.Validate(); !status.ok()) return status;
  // What GetFlags reports: every flag of the binary as it is now.
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& info : all) options.flags[info.name] = info.current_value;
  return options;
}

}  // namespace agora::agent
