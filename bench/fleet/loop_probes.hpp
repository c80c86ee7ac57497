// What agora-bench measures of the master's event loop from outside.
//
// LoopProbes: a thread that, every `interval`, times two calls the master
// answers on its loop: MasterOperator.GetHealth (posted to the loop, reads
// nothing heavy) and Scheduler.Accept from an unknown framework (the real
// Accept handler path: posted to the loop, refused there with NOT_FOUND by
// MasterCore::Accept's caller check). Their round trips are loop wait plus
// ~0.1 ms of gRPC; the largest is the worst stall a caller met.
//
// ScrapeHistogram/HistogramDelta: a Prometheus histogram of /metrics (the
// master's own loop-lag probe, its allocation cycles) read twice, so the
// figures cover only the measurement window.
#ifndef AGORA_BENCH_FLEET_LOOP_PROBES_HPP_
#define AGORA_BENCH_FLEET_LOOP_PROBES_HPP_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "fleet/stage_recorder.hpp"

namespace agora::bench {

class LoopProbes {
 public:
  LoopProbes() = default;
  ~LoopProbes() { Stop(); }

  // Starts probing the master at `address` ("host:port").
  void Start(const std::string& address, absl::Duration interval);
  void Stop();

  LatencySummary health();
  LatencySummary accept();
  // Probes that did not get the expected answer (OK / NOT_FOUND).
  int64_t unexpected() const { return unexpected_; }

 private:
  void Run(std::string address, absl::Duration interval);

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unexpected_{0};
  std::mutex mu_;
  std::vector<float> health_ms_, accept_ms_;  // Guarded by mu_.
};

// Cumulative bucket counts of histogram `name` in a /metrics text: (upper
// bound, count) pairs, +Inf last as infinity. Empty if absent.
using HistogramBuckets = std::vector<std::pair<double, double>>;
HistogramBuckets ScrapeHistogram(const std::string& metrics_text, const std::string& name);

// Observations between two scrapes: how many, and the bucket bounds under
// which 99 % and all of them fall (upper bounds, in the metric's unit).
struct BucketSummary {
  int64_t count = 0;
  double p99_le = 0;
  double max_le = 0;
};
BucketSummary HistogramDelta(const HistogramBuckets& before, const HistogramBuckets& after);

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_LOOP_PROBES_HPP_
