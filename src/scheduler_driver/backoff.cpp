#include "scheduler_driver/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace agora::scheduler {

absl::Duration BackoffDelay(double initial_seconds, double max_seconds, int attempt,
                            double unit_random) {
  if (!std::isfinite(initial_seconds) || initial_seconds <= 0) initial_seconds = 0.1;
  if (!std::isfinite(max_seconds) || max_seconds < initial_seconds) max_seconds = initial_seconds;
  if (!std::isfinite(unit_random)) unit_random = 1;
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  // 2^60 overflows nothing in double arithmetic, and min() caps it anyway.
  double ceiling =
      std::min(max_seconds, initial_seconds * std::ldexp(1.0, std::clamp(attempt, 0, 60)));
  double seconds = ceiling * (0.5 + 0.5 * unit_random);
  return absl::Seconds(seconds);
}

}  // namespace agora::scheduler
