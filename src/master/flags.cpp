#include "master/flags.hpp"

#include <gflags/gflags.h>

#include "absl/strings/str_cat.h"
#include "common/flag_values.hpp"
#include "common/validation.hpp"

DEFINE_string(ip, "127.0.0.1", "Address the gRPC and HTTP servers bind to (0.0.0.0 for all).");
DEFINE_int32(port, 5050, "gRPC port (Scheduler, AgentChannel, MasterOperator); 0 = ephemeral.");
DEFINE_int32(http_port, 5055, "HTTP port for /health, /metrics, /state; 0 = ephemeral, -1 = off.");
DEFINE_string(hostname, "", "Hostname advertised to agents and frameworks (default: gethostname).");
DEFINE_string(work_dir, "/tmp/agora-master",
              "Directory of the local registry and master.lock; must be absolute.");
DEFINE_string(
    registry, "local",
    "Registry backend: 'local' (files under --work_dir; standalone) or 'zk' (znodes under "
    "the --zk path, writable only by the elected leader; needs --zk).");
DEFINE_string(zk, "",
              "zk://host:port[,host:port]/path: run as one of several replicated masters that "
              "elect a leader in ZooKeeper (needs --registry=zk). Empty: standalone.");
DEFINE_string(zk_session_timeout, "10s",
              "Duration (e.g. 10s, 1500ms; a bare number is seconds) of the ZooKeeper session "
              "timeout, in [100ms, 10m]: a leader that dies or is cut off from ZooKeeper is "
              "replaced after about this long.");
DEFINE_string(zk_credentials, "",
              "File holding 'user:password' for ZooKeeper digest authentication; the znodes this "
              "master creates are then writable only by that identity (readable by all).");
DEFINE_string(allocator, "drf",
              "Allocator: 'drf' (hierarchical DRF with quota/weights) or 'simple' (flat DRF).");
DEFINE_string(offer_timeout, "60s",
              "Duration (e.g. 90s, 2m; a bare number is seconds) before an unanswered offer is "
              "rescinded; 0 = never.");
DEFINE_string(agent_heartbeat_interval, "5s",
              "Duration (a bare number is seconds) between heartbeats on agent streams; > 0.");
DEFINE_int32(max_missed_heartbeats, 3,
             "Missed agent heartbeats after which the agent is marked unreachable.");
DEFINE_string(agent_reregister_timeout, "2m",
              "Duration (a bare number is seconds) after a master restart within which agents "
              "recovered from the registry must re-register; later they are marked "
              "unreachable.");
DEFINE_int32(recovered_agents_unreachable_per_second, 10,
             "Rate at which recovered agents that missed --agent_reregister_timeout are marked "
             "unreachable.");
DEFINE_double(recovered_agents_unreachable_limit, 1.0,
              "Largest fraction (0, 1] of the recovered agents that may be marked unreachable when "
              "--agent_reregister_timeout ends; if more are missing, none are marked (the master "
              "is likelier cut off than they are) and an ERROR says so.");
DEFINE_string(framework_failover_timeout_default, "7days",
              "Duration (a bare number is seconds) a disconnected framework's tasks keep "
              "running when it set no failover timeout.");
DEFINE_string(framework_heartbeat_interval, "15s",
              "Duration (a bare number is seconds) between HEARTBEAT events to schedulers.");
DEFINE_string(allocation_interval, "1s",
              "Duration (a bare number is seconds) between allocation sweeps (expired "
              "filters).");
DEFINE_bool(allocation_thread, true,
            "Run allocation cycles on a thread of their own, so scheduler and agent calls are "
            "not queued behind them; false runs them on the master's event loop.");
DEFINE_int32(max_completed_tasks_per_framework, 1000,
             "Terminal tasks remembered per framework for the operator API.");
DEFINE_string(max_message_bytes, "16MiB",
              "Largest gRPC message accepted: a size such as 4MiB or 1GiB (a bare number is "
              "bytes), in [1KiB, 2GiB).");
DEFINE_int32(max_watch_queue, 1000,
             "Events an operator Watch subscriber may fall behind by before it is disconnected "
             "with RESOURCE_EXHAUSTED.");

namespace agora::master {

absl::StatusOr<MasterOptions> OptionsFromFlags() {
  MasterOptions options;
  options.ip = FLAGS_ip;
  options.port = FLAGS_port;
  options.http_port = FLAGS_http_port;
  options.hostname = FLAGS_hostname;
  options.work_dir = FLAGS_work_dir;
  options.registry = FLAGS_registry;
  options.zk = FLAGS_zk;
  options.zk_credentials = FLAGS_zk_credentials;
  options.allocator = FLAGS_allocator;
  struct DurationFlag {
    const char* name;
    const std::string& value;
    absl::Duration* target;
  };
  // A bare number stays seconds: these flags took plain seconds before.
  for (const DurationFlag& flag :
       {DurationFlag{"offer_timeout", FLAGS_offer_timeout, &options.offer_timeout},
        DurationFlag{"agent_heartbeat_interval", FLAGS_agent_heartbeat_interval,
                     &options.agent_heartbeat_interval},
        DurationFlag{"agent_reregister_timeout", FLAGS_agent_reregister_timeout,
                     &options.agent_reregister_timeout},
        DurationFlag{"framework_failover_timeout_default", FLAGS_framework_failover_timeout_default,
                     &options.framework_failover_timeout_default},
        DurationFlag{"framework_heartbeat_interval", FLAGS_framework_heartbeat_interval,
                     &options.framework_heartbeat_interval},
        DurationFlag{"allocation_interval", FLAGS_allocation_interval,
                     &options.allocation_interval},
        DurationFlag{"zk_session_timeout", FLAGS_zk_session_timeout,
                     &options.zk_session_timeout}}) {
    auto duration = ParseDurationValue(flag.name, flag.value);
    if (!duration.ok()) return duration.status();
    *flag.target = *duration;
  }
  options.allocation_thread = FLAGS_allocation_thread;
  options.max_missed_heartbeats = FLAGS_max_missed_heartbeats;
  options.recovered_agents_unreachable_per_second = FLAGS_recovered_agents_unreachable_per_second;
  options.recovered_agents_unreachable_limit = FLAGS_recovered_agents_unreachable_limit;
  options.max_completed_tasks_per_framework = FLAGS_max_completed_tasks_per_framework;
  auto max_message_bytes = ParseSizeValue("max_message_bytes", FLAGS_max_message_bytes);
  if (!max_message_bytes.ok()) return max_message_bytes.status();
  if (*max_message_bytes >= (int64_t{1} << 31)) {
    return InvalidField("max_message_bytes",
                        absl::StrCat("'", FLAGS_max_message_bytes, "' must be below 2GiB"));
  }
  options.max_message_bytes = static_cast<int>(*max_message_bytes);
  options.max_watch_queue = FLAGS_max_watch_queue;
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& info : all) options.flags[info.name] = info.current_value;
  if (auto status = options.Validate(); !status.ok()) return status;
  return options;
}

}  // namespace agora::master
