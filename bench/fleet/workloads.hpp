// The workloads of agora-bench (bench/fleet/main.cpp dispatches to them).
// Each takes the arguments after the workload's name (argv[0] is the
// workload) and returns the process exit code: 0 done, 1 the run failed,
// 2 bad arguments (the message names the flag).
#ifndef AGORA_BENCH_FLEET_WORKLOADS_HPP_
#define AGORA_BENCH_FLEET_WORKLOADS_HPP_

namespace agora::bench {

// B-throughput: tasks/s through one master from simulated agents and
// packing frameworks, with per-stage latencies (issue 13).
int RunThroughput(int argc, char** argv);

// B-loop: the master's event-loop stall under the throughput load, an
// idle fleet, or frameworks that decline everything (allocation cycles).
int RunLoop(int argc, char** argv);

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_WORKLOADS_HPP_
