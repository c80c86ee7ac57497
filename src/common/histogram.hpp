// Histogram: a fixed-bucket histogram of observations (seconds, bytes, ...)
// for Prometheus. A value type owned by one thread (a daemon's loop): it
// observes; copies are rendered elsewhere by MetricsText::Histogram.
// Observe() is O(number of buckets), no allocation.
#ifndef AGORA_COMMON_HISTOGRAM_HPP_
#define AGORA_COMMON_HISTOGRAM_HPP_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace agora {

class Histogram {
 public:
  // `bounds` are the upper bounds (inclusive, "le") of the finite buckets,
  // strictly increasing; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> bounds);

  // Latency buckets in seconds from 100 us to 10 s (1-2.5-5 steps), for
  // loop work and disk writes.
  static Histogram LatencySeconds();

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (cumulative, as Prometheus renders them);
  // i == bounds().size() is the +Inf bucket, equal to count().
  uint64_t CumulativeCount(size_t i) const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> buckets_;  // Per bucket (not cumulative); last is +Inf.
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace agora

#endif  // AGORA_COMMON_HISTOGRAM_HPP_
