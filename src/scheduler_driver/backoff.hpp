// Backoff: the delay before the n-th re-subscription attempt.
//
// Exponential with jitter: attempt n (0-based) waits a uniformly random time
// in [d/2, d] where d = min(max, initial * 2^n). The jitter keeps many
// schedulers that lost the same master from reconnecting in lock step. Pure:
// the random draw is passed in, so tests pin it.
#ifndef AGORA_SCHEDULER_DRIVER_BACKOFF_HPP_
#define AGORA_SCHEDULER_DRIVER_BACKOFF_HPP_

#include "absl/time/time.h"

namespace agora::scheduler {

// `unit_random` in [0, 1] picks the point in [d/2, d]. Non-positive or
// non-finite settings fall back to sane values (never a zero or negative
// delay loop, never an overflow for large n).
absl::Duration BackoffDelay(double initial_seconds, double max_seconds, int attempt,
                            double unit_random);

}  // namespace agora::scheduler

#endif  // AGORA_SCHEDULER_DRIVER_BACKOFF_HPP_
