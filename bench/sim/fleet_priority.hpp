// The load generator's CPU priority relative to the daemons it measures.
//
// A benchmark that runs a simulated fleet and the masters on one 2-core
// machine makes them compete for the same cores; on a real fleet the agents
// and schedulers run elsewhere and the master has its cores to itself.
// LowerThisProcessPriority models that placement when asked: it sets the
// niceness of every thread of the calling process (on Linux niceness belongs
// to the thread; threads created later inherit their creator's), so the
// daemons, started before and left at their own niceness, get a CPU whenever
// they ask. Processes started afterwards inherit it too: call it only once
// every daemon the benchmark measures is running.
#ifndef AGORA_BENCH_SIM_FLEET_PRIORITY_HPP_
#define AGORA_BENCH_SIM_FLEET_PRIORITY_HPP_

#include "absl/status/status.h"

namespace agora::sim {

// Sets every thread of this process to niceness `nice` (0..19: raising it
// needs no privilege). Errors name the thread that could not be changed.
absl::Status LowerThisProcessPriority(int nice);

}  // namespace agora::sim

#endif  // AGORA_BENCH_SIM_FLEET_PRIORITY_HPP_
