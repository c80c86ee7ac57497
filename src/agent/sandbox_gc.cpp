#include "agent/sandbox_gc.hpp"

#include <algorithm>
#include <cmath>

namespace agora::agent {

SandboxGcDecision DecideSandboxGc(std::vector<FinishedSandbox> finished, absl::Time now,
                                  const std::optional<DiskSpace>& disk,
                                  const SandboxGcPolicy& policy) {
  std::sort(finished.begin(), finished.end(),
            [](const FinishedSandbox& a, const FinishedSandbox& b) {
              return a.finished != b.finished ? a.finished < b.finished : a.path < b.path;
            });
  SandboxGcDecision decision;
  // Bytes still to free to get back to the headroom (0: none).
  uint64_t needed = 0;
  if (disk && disk->total_bytes > 0 && policy.disk_headroom > 0) {
    double wanted = std::ceil(policy.disk_headroom * static_cast<double>(disk->total_bytes));
    if (static_cast<double>(disk->free_bytes) < wanted) {
      decision.disk_pressure = true;
      needed = static_cast<uint64_t>(wanted) - disk->free_bytes;
    }
  }
  // Due by age first: what they free counts towards the headroom.
  std::vector<bool> taken(finished.size(), false);
  for (size_t i = 0; i < finished.size(); ++i) {
    if (now - finished[i].finished < policy.delay) continue;
    taken[i] = true;
    needed -= std::min(needed, finished[i].bytes);
  }
  // Then, oldest first, as many more as the headroom needs.
  for (size_t i = 0; i < finished.size() && needed > 0; ++i) {
    if (taken[i] || now - finished[i].finished < policy.min_age) continue;
    taken[i] = true;
    decision.for_space++;
    needed -= std::min(needed, finished[i].bytes);
  }
  for (size_t i = 0; i < finished.size(); ++i) {
    if (taken[i]) {
      decision.remove.push_back(finished[i].path);
    } else {
      decision.next_due = std::min(decision.next_due, finished[i].finished + policy.delay);
    }
  }
  return decision;
}

}  // namespace agora::agent
