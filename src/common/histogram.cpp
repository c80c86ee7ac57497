#include "common/histogram.hpp"

#include <algorithm>

#include "glog/logging.h"

namespace agora {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1, 0) {
  for (size_t i = 1; i < bounds_.size(); ++i) {
    CHECK_LT(bounds_[i - 1], bounds_[i]) << "histogram bounds must increase strictly";
  }
}

Histogram Histogram::LatencySeconds() {
  return Histogram({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1, 2.5, 5, 10});
}

void Histogram::Observe(double value) {
  if (value != value) return;  // NaN: no bucket holds it, and it would poison the sum.
  // Buckets are "le": a value equal to a bound falls in that bound's bucket.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++buckets_[i];
  ++count_;
  sum_ += value;
}

uint64_t Histogram::CumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b];
  return total;
}

}  // namespace agora
