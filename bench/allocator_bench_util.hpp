// Shared pieces of the allocator benchmarks: workload builders, a
// steady-clock stopwatch (benchmarks may read clocks; the allocator may
// not), and heap usage for per-agent / per-framework memory.

#ifndef AGORA_BENCH_ALLOCATOR_BENCH_UTIL_HPP_
#define AGORA_BENCH_ALLOCATOR_BENCH_UTIL_HPP_

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "benchmark/benchmark.h"
#include "glog/logging.h"

namespace agora::allocator::bench {

inline Resources Parse(const std::string& text) {
  absl::StatusOr<Resources> parsed = Resources::Parse(text);
  CHECK(parsed.ok()) << parsed.status();
  return *parsed;
}

inline absl::Time At(double seconds) { return absl::UnixEpoch() + absl::Seconds(seconds); }

inline void Ok(const absl::Status& status) { CHECK(status.ok()) << status; }

// Wall-clock seconds of `fn`.
template <typename Fn>
double Seconds(Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds this thread spent in `fn`: unlike wall time it does not grow
// while other processes hold the cores (cache sharing still shows), so it is
// the figure to compare on a loaded machine.
template <typename Fn>
double CpuSeconds(Fn&& fn) {
  timespec start{}, end{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  fn();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
  return static_cast<double>(end.tv_sec - start.tv_sec) +
         static_cast<double>(end.tv_nsec - start.tv_nsec) * 1e-9;
}

// With AGORA_BENCH_DIGEST=1 in the environment the decline benchmarks fold
// every allocation (framework, agent, role, resources) into a digest and
// report it, so two builds can be checked for identical allocation results.
// Off by default: printing 10k offers per round costs more than the cycle.
inline bool DigestWanted() {
  static const bool wanted = [] {
    const char* value = std::getenv("AGORA_BENCH_DIGEST");
    return value != nullptr && std::string(value) == "1";
  }();
  return wanted;
}

// FNV-1a over the allocations, in order, folded to 32 bits so that the
// digest is exact in a benchmark counter (a double).
inline void DigestAllocations(const std::vector<Allocation>& allocations, uint64_t* digest) {
  for (const Allocation& a : allocations) {
    const std::string text =
        a.framework_id + "@" + a.agent_id + "/" + a.role + "=" + a.resources.ToString() + "\n";
    for (char c : text) {
      *digest ^= static_cast<unsigned char>(c);
      *digest *= 1099511628211ull;
    }
  }
}

inline double DigestCounter(uint64_t digest) {
  return static_cast<double>(static_cast<uint32_t>(digest ^ (digest >> 32)));
}

inline size_t HeapBytes() { return mallinfo2().uordblks; }

inline std::string FrameworkName(int i) { return "fw-" + std::to_string(i); }
inline std::string AgentName(int i) { return "agent-" + std::to_string(i); }

// Mesos's DeclineOffers agent: 24 cpus of which 16 (plus 16 single-port
// ranges, memory and disk) are already used by framework i mod F.
inline AgentSpec DeclineOffersAgent(int i, int frameworks) {
  static const Resources total = Parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
  static const Resources used = [] {
    std::string ports;
    for (int p = 0; p < 16; ++p) {
      int port = 31000 + p * 60;
      ports += (p ? "," : "") + std::to_string(port) + "-" + std::to_string(port);
    }
    return Parse("cpus:16;mem:2014;disk:1024;ports:[" + ports + "]");
  }();
  AgentSpec spec;
  spec.id = AgentName(i);
  spec.total = total;
  spec.used.push_back({FrameworkName(i % frameworks), "*", used});
  return spec;
}

// Summary of per-cycle times, in milliseconds.
struct CycleStats {
  std::vector<double> ms;
  void Add(double seconds) { ms.push_back(seconds * 1000); }
  double Mean() const {
    double sum = 0;
    for (double m : ms) sum += m;
    return ms.empty() ? 0 : sum / ms.size();
  }
  double Max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
  double Min() const { return ms.empty() ? 0 : *std::min_element(ms.begin(), ms.end()); }
};

}  // namespace agora::allocator::bench

#endif  // AGORA_BENCH_ALLOCATOR_BENCH_UTIL_HPP_
