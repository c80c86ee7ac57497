// For the programs' main(): Abseil's mutex deadlock detector off.
//
// gRPC takes absl::Mutexes on every call and completion. Debian builds
// Abseil without NDEBUG, which leaves its deadlock detector on: every lock
// and unlock updates a global lock-order graph under a lock of its own (3 %
// of the master's CPU in B-throughput; ~4 % of the simulated agents' thread
// in the failover bench, docs/benchmarks.md). That checks gRPC's locking, not
// ours (a daemon's state has no locks: one loop owns it); the sanitizer
// builds are where lock order is checked. Libraries (the drivers) leave the
// setting to the program that links them.
#ifndef AGORA_COMMON_ABSL_LOCKS_HPP_
#define AGORA_COMMON_ABSL_LOCKS_HPP_

#include "absl/synchronization/mutex.h"

namespace agora {

inline void DisableAbseilDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace agora

#endif  // AGORA_COMMON_ABSL_LOCKS_HPP_
