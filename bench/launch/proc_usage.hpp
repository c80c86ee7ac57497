// ProcUsage: CPU time and memory of a daemon and everything it started,
// read from /proc. What the launch benchmark charges to master + agent.
//
// Method: for a daemon pid, /proc/<pid>/stat gives utime + stime (its own
// threads) and cutime + cstime (children it reaped, each including the
// children *they* reaped). Descendants still alive when the sample is taken
// have not been reaped yet, so their own utime + stime is added by walking
// the process tree (ppid links) under the daemon. What escapes: a process
// that was reparented away from the daemon's tree (e.g. a task left behind
// when its executor was killed) and was not reaped by a descendant.
// Not thread-safe; Linux only.
#ifndef AGORA_BENCH_LAUNCH_PROC_USAGE_HPP_
#define AGORA_BENCH_LAUNCH_PROC_USAGE_HPP_

#include <sys/types.h>

#include <vector>

namespace agora::bench {

struct CpuSample {
  double self_seconds = 0;    // utime + stime of the daemons.
  double reaped_seconds = 0;  // cutime + cstime of the daemons.
  double live_seconds = 0;    // utime + stime of descendants not yet reaped.
  int live_descendants = 0;   // How many descendants were alive.
  double total() const { return self_seconds + reaped_seconds + live_seconds; }
};

// Sums the figures over `roots` and their live descendants.
CpuSample SampleCpu(const std::vector<pid_t>& roots);

// Pids of every live descendant of `root` (not `root` itself).
std::vector<pid_t> Descendants(pid_t root);

// VmRSS of `pid` in MiB (0 if it is gone).
double RssMiB(pid_t pid);

// The 1-minute load average.
double LoadAverage();

}  // namespace agora::bench

#endif  // AGORA_BENCH_LAUNCH_PROC_USAGE_HPP_
