// Helpers of the single-thread microbenchmarks (master_task_cycle_bench,
// master_reregister_bench, registry_bench).
#ifndef AGORA_BENCH_MICRO_BENCH_HPP_
#define AGORA_BENCH_MICRO_BENCH_HPP_

#include <time.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace agora::bench {

// Seconds of CPU the calling thread has used so far: steadier than wall
// time on a shared machine (it does not grow while other processes hold
// the cores).
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The value of `--<name>=N` among the arguments, else `value`.
inline int IntFlag(int argc, char** argv, const char* name, int value) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      return std::atoi(argv[i] + prefix.size());
  }
  return value;
}

}  // namespace agora::bench

#endif  // AGORA_BENCH_MICRO_BENCH_HPP_
