// The metrics snapshot: O(agents + frameworks + roles), for /metrics.

#include "absl/strings/str_cat.h"
#include "allocator/allocator.hpp"

namespace agora::allocator {

AllocatorMetrics Allocator::Metrics() const {
  AllocatorMetrics m = counters_;
  m.agents = live_agents_;
  m.frameworks = live_frameworks_;
  m.total = pool_total_.ToResources(scalars_);
  m.required_headroom = required_headroom_.ToResources(scalars_);
  Quantities allocated;
  for (size_t r = 1; r < roles_.size(); ++r) {
    const RoleState& role = *roles_[r];
    if (role.parent == 0) allocated += role.subtree_allocated;
    const bool interesting = role.frameworks_subscribed > 0 || !role.subtree_allocated.IsZero() ||
                             role.has_guarantee() || !role.limit_names.empty() || role.weight != 1;
    if (!interesting) continue;
    RoleMetrics& out = m.roles[role.name];
    out.weight = role.weight;
    out.allocated = role.own_allocated.ToResources(scalars_);
    out.quota_guarantee = role.guarantee.ToResources(scalars_);
    out.quota_limit = role.limit.ToResources(scalars_);
    out.quota_consumed = role.subtree_consumed.ToResources(scalars_);
    out.dominant_share = DrfKey(role.subtree_allocated, role.weight);
    out.frameworks = role.frameworks_subscribed;
  }
  m.allocated = allocated.ToResources(scalars_);
  for (const auto& fw : frameworks_) {
    if (!fw || fw->placeholder) continue;
    Quantities total;
    for (const Membership& membership : fw->memberships) {
      total += membership.allocated;
      if (membership.subscribed && membership.suppressed) {
        m.roles[roles_[membership.role]->name].suppressed_frameworks++;
      }
    }
    m.framework_dominant_shares[fw->id] = ShareOf(total);
  }
  return m;
}

absl::StatusOr<Resources> Allocator::AgentFree(absl::string_view agent_id) const {
  auto it = agent_index_.find(agent_id);
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent '", agent_id, "'"));
  }
  return agents_[it->second]->free;
}

}  // namespace agora::allocator
