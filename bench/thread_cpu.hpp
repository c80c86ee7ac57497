// CPU time of the calling thread, for the benchmarks that time work on one
// thread: steadier than wall time on a shared machine (it does not grow while
// other processes hold the cores).
#ifndef AGORA_BENCH_THREAD_CPU_HPP_
#define AGORA_BENCH_THREAD_CPU_HPP_

#include <time.h>

namespace agora::bench {

// Seconds of CPU the calling thread has used so far.
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace agora::bench

#endif  // AGORA_BENCH_THREAD_CPU_HPP_
