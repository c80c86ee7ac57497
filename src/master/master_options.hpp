// MasterOptions: everything that configures one agora-master, as a plain
// struct. The binary's flags.cpp copies gflags into it; tests build it
// directly. Validate() rejects bad values with an error naming the field
// (which is also the flag's name).
#ifndef AGORA_MASTER_MASTER_OPTIONS_HPP_
#define AGORA_MASTER_MASTER_OPTIONS_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace agora::master {

struct MasterOptions {
  // Address the gRPC and HTTP servers bind to.
  std::string ip = "127.0.0.1";
  // gRPC port (Scheduler, AgentChannel, MasterOperator). 0 = ephemeral.
  int port = 5050;
  // HTTP port (/health, /metrics, /state). 0 = ephemeral; -1 = no HTTP server.
  int http_port = 5055;
  // Hostname advertised in MasterInfo; empty = gethostname().
  std::string hostname;
  // Directory for the local registry and the master's lock file. Required
  // with registry == "local"; must be an absolute path.
  std::string work_dir;
  // Registry backend: "local" (files under work_dir; standalone) or "zk"
  // (znodes under the --zk path, fenced by this master's election znode;
  // needs `zk`).
  std::string registry = "local";
  // "zk://host:port[,host:port]/path": contend for leadership in ZooKeeper
  // (replicated masters). Empty: standalone, this master always leads.
  std::string zk;
  // ZooKeeper session timeout: how long a dead leader keeps the lead.
  absl::Duration zk_session_timeout = absl::Seconds(10);
  // File holding "user:password" for ZooKeeper digest authentication;
  // empty: none.
  std::string zk_credentials;
  // Allocator: "drf" (the hierarchical DRF library of src/allocator) or
  // "simple" (the built-in flat DRF placeholder).
  std::string allocator = "drf";
  // Offers not accepted or declined within this time are rescinded.
  // Zero disables the timeout.
  absl::Duration offer_timeout = absl::Seconds(60);
  // Interval of heartbeats on the agent stream, both ways.
  absl::Duration agent_heartbeat_interval = absl::Seconds(5);
  // Consecutive missed agent heartbeats after which the agent is unreachable.
  int max_missed_heartbeats = 3;
  // After a master restart, agents recovered from the registry that have not
  // re-registered within this window are marked unreachable (their
  // frameworks get FAILURE; reconciliation answers TASK_UNREACHABLE).
  absl::Duration agent_reregister_timeout = absl::Minutes(2);
  // How many such agents are marked unreachable per second once the window
  // closes (a master that lost its network must not condemn a whole fleet in
  // one instant).
  int recovered_agents_unreachable_per_second = 10;
  // The largest fraction (0, 1] of the recovered agents that may be marked
  // unreachable when the window closes. If more are missing, this master
  // marks none of them (it is more likely cut off than they are), logs an
  // ERROR and keeps them RECOVERING until they return or an operator acts.
  double recovered_agents_unreachable_limit = 1.0;
  // Failover timeout for frameworks that do not set one.
  absl::Duration framework_failover_timeout_default = absl::Hours(24 * 7);
  // Interval of HEARTBEAT events on scheduler streams.
  absl::Duration framework_heartbeat_interval = absl::Seconds(15);
  // Period of the allocation sweep (expired filters); allocation also runs
  // promptly after every change.
  absl::Duration allocation_interval = absl::Seconds(1);
  // Run allocation cycles on a thread of their own (AllocatorThread), so
  // scheduler and agent calls are not queued behind them. False: cycles run
  // on the loop, between calls (deterministic tests on a manual loop).
  bool allocation_thread = true;
  // Terminal tasks remembered per framework for the operator API.
  int max_completed_tasks_per_framework = 1000;
  // Filter duration for declines that do not set refuse_seconds, and the cap.
  absl::Duration default_refuse = absl::Seconds(5);
  absl::Duration max_refuse = absl::Hours(24);
  // Largest gRPC message the master accepts.
  int max_message_bytes = 16 * 1024 * 1024;
  // Bound of every outbound stream queue (scheduler events, agent messages).
  int stream_queue_capacity = 100000;
  // Events one operator Watch subscriber may fall behind by before it is
  // disconnected with RESOURCE_EXHAUSTED (--max_watch_queue).
  int max_watch_queue = 1000;
  // Effective flag values reported by GetFlags; filled by main(). When
  // empty, the master reports these options instead.
  std::map<std::string, std::string> flags;
  // Called on the master's loop when the master steps down because its
  // registry cannot be written (the status names the file and the error).
  // The master has already stopped serving work when it runs. Standalone
  // agora-master exits non-zero from here so a supervisor restarts it;
  // tests record the call. Null: the master only logs and stays stepped
  // down (every request answers UNAVAILABLE).
  std::function<void(const absl::Status&)> on_step_down;
  // Tests of a replicated master: runs once it is elected, before it loads
  // its registry; the load starts when `load` is called (any thread), so a
  // test can act while the master recovers. Null: the load starts at once.
  std::function<void(std::function<void()> load)> before_registry_load;

  // OK, or INVALID_ARGUMENT "<field>: <reason>" for the first bad field.
  absl::Status Validate() const;

  // The options rendered as name -> value (for GetFlags).
  std::map<std::string, std::string> ToMap() const;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_MASTER_OPTIONS_HPP_
