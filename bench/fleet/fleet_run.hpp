// RunFleet: one agora-bench fleet run, shared by the `throughput` and `loop`
// workloads. It starts a real agora-master (a child process, standalone,
// local registry in a fresh work dir), a SimAgentHost with `agents`
// simulated agents and `frameworks` FleetFrameworks (framework i in role
// "role-<i % roles>") in this process, waits `warmup`, then measures for
// `duration`: stage latencies and counts (StageRecorder), loop probes
// (LoopProbes), the master's loop-lag and allocation-cycle histograms from
// /metrics, the CPU seconds of the master and of this process (/proc), and
// the load average. Optionally records a perf profile of the master over
// the window. Not thread-safe; one run at a time.
#ifndef AGORA_BENCH_FLEET_FLEET_RUN_HPP_
#define AGORA_BENCH_FLEET_FLEET_RUN_HPP_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fleet/fleet_framework.hpp"
#include "fleet/loop_probes.hpp"
#include "fleet/stage_recorder.hpp"

namespace agora::bench {

struct FleetRunOptions {
  int agents = 1000;
  std::string agent_resources = "cpus:64;mem:262144";
  int frameworks = 10;
  int roles = 5;
  FleetLoad load = FleetLoad::kPack;
  double task_cpus = 0.1;
  double task_mem = 128;
  absl::Duration task_duration = absl::Seconds(5);
  int tasks_per_offer = 100;
  int window = 200;  // Per framework.
  double refuse_seconds = 1;
  absl::Duration warmup = absl::Seconds(10);
  absl::Duration duration = absl::Seconds(60);
  absl::Duration probe_interval = absl::Milliseconds(10);
  int channels = 8;  // gRPC connections shared by the simulated agents.
  absl::Duration register_timeout = absl::Seconds(180);
  std::string master_binary;  // agora-master to run.
  std::string work_dir;       // Existing parent of the master's work dir and log.
  std::string perf_output;    // perf.data of the master over the window ("" = none).
  // Niceness of agora-bench's threads once the master runs (0 = the
  // master's; 19 models a fleet on other machines: sim/fleet_priority.hpp).
  int fleet_nice = 0;
  // Further agora-master flags (e.g. --allocation_thread=false).
  std::vector<std::string> master_flags;
};

// Validates the options: INVALID_ARGUMENT names the flag (as --name).
absl::Status ValidateFleetOptions(const FleetRunOptions& options);

struct FleetRunResult {
  int agents_registered = 0;
  double register_seconds = 0;  // Until every agent was admitted.
  double window_seconds = 0;
  StageCounts window, total;
  double running_per_second = 0;  // window.running_acked / window_seconds.
  int64_t worst_second = 0, best_second = 0;
  LatencySummary offer_to_accept, accept_to_agent, agent_to_running, accept_to_running;
  LatencySummary heartbeat_lateness;
  LatencySummary probe_health, probe_accept;
  int64_t probe_unexpected = 0;
  BucketSummary loop_lag, allocation_cycle;  // Seconds.
  // agora_master_allocation_loop_seconds: loop CPU per allocation stretch.
  BucketSummary allocation_loop;
  // The master's allocation counters at the end of the window (totals):
  // broken invariants (must be 0), and decisions of cycles run off the loop
  // that went stale (dropped, returned to the allocator).
  int64_t allocation_invariant_violations = 0;
  int64_t allocation_decisions_dropped = 0, allocation_decisions_returned = 0;
  double master_cpu_seconds = 0, bench_cpu_seconds = 0;
  double master_rss_mib = 0, bench_rss_mib = 0;
  double load_before = 0, load_after = 0;
  int64_t offers = 0, framework_errors = 0;
  int master_pid = 0;
  std::string master_log;
};

absl::StatusOr<FleetRunResult> RunFleet(const FleetRunOptions& options);

// Path of `name` beside this program (for agora-master).
std::string BesideSelf(const std::string& name);

// The result as one JSON object (no trailing newline).
std::string FleetResultJson(const std::string& workload, const FleetRunOptions& options,
                            const FleetRunResult& result);
// The result as a readable report.
std::string FleetResultText(const std::string& workload, const FleetRunOptions& options,
                            const FleetRunResult& result);

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_FLEET_RUN_HPP_
