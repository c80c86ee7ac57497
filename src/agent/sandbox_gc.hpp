// Sandbox garbage collection policy: which finished sandboxes to remove,
// given when each finished, how much disk each holds, the time now and how
// full the work_dir's filesystem is. Pure: no I/O, no clock, no logging
// (the agent measures, decides with this, then removes off its loop; see
// agent_gc.cpp and docs/agent.md "Sandbox garbage collection").
//
// A sandbox is removed when either
//   - it finished at least `delay` ago (--gc_delay), or
//   - the filesystem's free space is below `disk_headroom` x its size
//     (--gc_disk_headroom) and it is among the oldest finished sandboxes
//     whose bytes, added to the free space, bring it back to the headroom;
//     a sandbox that finished less than `min_age` ago is never removed for
//     space (its logs stay readable for a moment after the task ends).
// Only finished sandboxes are ever given to the policy: the caller keeps
// running ones (an executor or any task still known to the agent) out.
#ifndef AGORA_AGENT_SANDBOX_GC_HPP_
#define AGORA_AGENT_SANDBOX_GC_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace agora::agent {

// Free and total bytes of a filesystem (statvfs: f_bavail and f_blocks
// times f_frsize).
struct DiskSpace {
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};

// A sandbox whose executor and tasks are all finished and forgotten.
struct FinishedSandbox {
  std::string path;
  absl::Time finished;  // When the agent forgot its executor.
  uint64_t bytes = 0;   // Disk it holds (0 if unknown).
};

struct SandboxGcPolicy {
  absl::Duration delay = absl::Hours(24);
  double disk_headroom = 0.1;  // In [0, 1]; 0 never removes for space.
  absl::Duration min_age = absl::Minutes(1);
};

struct SandboxGcDecision {
  // Paths to remove, oldest first.
  std::vector<std::string> remove;
  // How many of `remove` are removed sooner than `delay` for disk space.
  size_t for_space = 0;
  // The free space was below the headroom.
  bool disk_pressure = false;
  // When the oldest sandbox kept becomes due by `delay`
  // (absl::InfiniteFuture() if none is kept).
  absl::Time next_due = absl::InfiniteFuture();
};

// Decides which of `finished` to remove at `now`. `disk` absent (not
// measured, or the measurement failed): removal by age only. Sandboxes that
// finished at the same time are taken in path order (deterministic).
SandboxGcDecision DecideSandboxGc(std::vector<FinishedSandbox> finished, absl::Time now,
                                  const std::optional<DiskSpace>& disk,
                                  const SandboxGcPolicy& policy);

}  // namespace agora::agent

#endif  // AGORA_AGENT_SANDBOX_GC_HPP_
