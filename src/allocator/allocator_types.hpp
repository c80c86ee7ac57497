// Plain value types exchanged between the master and the Allocator:
// options, the descriptions of agents and frameworks the master hands in,
// the allocation decisions it gets back, and the metrics snapshot.

#ifndef AGORA_ALLOCATOR_ALLOCATOR_TYPES_HPP_
#define AGORA_ALLOCATOR_ALLOCATOR_TYPES_HPP_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/resources.hpp"

namespace agora::allocator {

enum class SortOrder {
  // Weighted dominant resource fairness (the default).
  kDrf,
  // Weighted random order of roles and uniform random order of frameworks,
  // redrawn every cycle from the seed.
  kRandom,
};

struct AllocatorOptions {
  // Resources smaller than every one of these alternatives are not offered
  // (each alternative is satisfied when the offer has at least each of its
  // scalars). Default: cpus 0.01 or mem 32 MiB. Empty: no minimum.
  std::vector<Resources> min_allocatable_resources = {Resources::FromScalar(Resources::kCpus, 0.01),
                                                      Resources::FromScalar(Resources::kMem, 32)};
  // Scalars left out of dominant shares (scarce resources that would
  // otherwise dominate everyone's share).
  std::vector<std::string> fair_sharing_excluded_resource_names = {"gpus"};
  // Agents with GPUs are offered only to GPU-capable frameworks.
  bool filter_gpu_resources = true;
  // Filter duration when a decline asks for the default (refuse <= 0).
  absl::Duration default_refuse = absl::Seconds(5);
  // Upper bound on any filter's duration.
  absl::Duration max_refuse = absl::Hours(24);
  SortOrder sort_order = SortOrder::kDrf;
  // Seeds the agent visiting order (shuffled every cycle) and the random
  // sorter. Same seed and same calls give the same allocations.
  uint64_t seed = 0;
};

// Resources a framework already uses on an agent (running tasks and
// executors), reported when the agent (re-)registers.
struct ResourceUsage {
  std::string framework_id;
  std::string role;
  Resources resources;
};

struct AgentSpec {
  std::string id;
  // Everything the agent has, including static reservations.
  Resources total;
  std::vector<ResourceUsage> used;
  // Deactivated agents keep their allocations but get no new ones.
  bool active = true;
};

struct FrameworkSpec {
  std::string id;
  // At least one valid role.
  std::vector<std::string> roles;
  bool gpu_capable = false;
  bool revocable_capable = false;
  bool active = true;
  // Roles subscribed but suppressed from the start.
  std::vector<std::string> suppressed_roles;
};

// One decision: offer `resources` of `agent_id` to `framework_id` for
// `role`. The resources count as allocated until recovered.
struct Allocation {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  Resources resources;

  friend bool operator==(const Allocation& a, const Allocation& b) {
    return a.framework_id == b.framework_id && a.agent_id == b.agent_id && a.role == b.role &&
           a.resources == b.resources;
  }
};

struct RoleMetrics {
  double weight = 1;
  // Offered or allocated to the role's own frameworks (scalars).
  Resources allocated;
  Resources quota_guarantee;
  Resources quota_limit;
  // Quota consumption of the subtree: allocated unreserved + reserved.
  Resources quota_consumed;
  // Weighted dominant share of the role's subtree.
  double dominant_share = 0;
  int frameworks = 0;
  int suppressed_frameworks = 0;
};

// A snapshot for the master's /metrics. Work counters are deterministic;
// wall-clock cycle time is measured by the caller (the allocator reads no
// clock).
struct AllocatorMetrics {
  uint64_t cycles = 0;
  // Cycles that found nothing to do and returned at once.
  uint64_t noop_cycles = 0;
  uint64_t allocations_made = 0;
  // Agents visited and (framework, role) candidates examined, in total and
  // in the last cycle.
  uint64_t agents_visited = 0;
  uint64_t candidates_examined = 0;
  uint64_t last_cycle_agents_visited = 0;
  uint64_t last_cycle_candidates_examined = 0;
  uint64_t filters_active = 0;
  uint64_t filters_expired = 0;
  int agents = 0;
  int frameworks = 0;
  Resources total;
  Resources allocated;
  // Unreserved free resources that must stay unallocated so that unmet
  // quota guarantees remain satisfiable.
  Resources required_headroom;
  std::map<std::string, RoleMetrics> roles;
  std::map<std::string, double> framework_dominant_shares;
};

}  // namespace agora::allocator

#endif  // AGORA_ALLOCATOR_ALLOCATOR_TYPES_HPP_
