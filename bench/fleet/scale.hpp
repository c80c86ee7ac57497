// agora-bench scale (issue 13, B-scale): one real agora-master process in
// front of N simulated agents (SimAgentHost) and F frameworks on the real
// scheduler driver holding T never-ending tasks; measures the master's RSS
// (before agents, after agents, after tasks: bytes per agent and per task),
// GetState's wall time and response size, and how long an on-loop call
// (GetHealth) waits while GetState runs back to back: the loop's stall.
//
//   agora-bench scale [--agents=10000] [--frameworks=100] [--tasks=100000]
//                     [--wave=500] [--heartbeat=5] [--state_calls=20] [--timeout=900]
//                     [--work_dir=DIR]
//                     [--master_binary=PATH] [--probe_shared_connection]
//                     [--quick] [--json]
//
// `--quick` is 1,000 agents, 10 frameworks, 10,000 tasks unless given.
// Prints a text report, or one JSON object with `--json`; exit 0 when every
// stage completed (targets missed are reported, not failures), 1 when a
// stage did not complete, 2 on a bad argument.
#ifndef AGORA_BENCH_FLEET_SCALE_HPP_
#define AGORA_BENCH_FLEET_SCALE_HPP_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace agora::bench {

struct ScaleOptions {
  int agents = 10000;
  int frameworks = 100;
  int tasks = 100000;
  // Agents started at once; the next wave starts when they registered.
  int wave = 500;
  // The master's --agent_heartbeat_interval, in seconds (its default: 5).
  // The simulated agents reconnect after three silent intervals, so a
  // master whose loop is saturated (a registration storm) sheds them at 5.
  int heartbeat_seconds = 5;
  // GetState calls timed (back to back) while the loop is probed.
  int state_calls = 20;
  // Seconds each stage (agents registered, tasks running) may take.
  int timeout_seconds = 900;
  // Parent of the master's work dir and log; a fresh temp dir if empty.
  std::string work_dir;
  // agora-master to run; beside this program if empty.
  std::string master_binary;
  // The loop probe shares GetState's connection (as before it had its own):
  // then it measures HTTP/2 head-of-line waits behind GetState's answers
  // as well as the loop.
  bool probe_shared_connection = false;
  bool json = false;
};

// Parses `args` (argv without the program name): --name=value or
// --name value. INVALID_ARGUMENT names the flag and the reason.
absl::StatusOr<ScaleOptions> ParseScaleArgs(const std::vector<std::string>& args);

// The benchmark's entry point (what `agora-bench scale` runs).
int RunScale(int argc, char** argv);

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_SCALE_HPP_
