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

absl::Status Allocator::CheckDerivedState() const {
  ScalarIndex names = scalars_;  // ToQuantities may register names
  for (const auto& agent : agents_) {
    if (!agent) continue;
    Quantities all, unreserved;
    ToQuantities(agent->free, &names, &all, &unreserved);
    bool reserved = false, revocable = false;
    for (const ResourceEntry& entry : agent->free) {
      reserved |= entry.reserved();
      revocable |= entry.revocable;
    }
    if (!(all == agent->free_all) || !(unreserved == agent->free_unreserved) ||
        reserved != agent->free_reserved || revocable != agent->free_revocable ||
        MeetsMinimum(agent->free, all) != agent->free_meets_minimum) {
      return absl::InternalError(absl::StrCat("agent '", agent->id,
                                              "': the views of its free pool ",
                                              agent->free.ToString(), " are out of step with it"));
    }
  }
  for (size_t f = 0; f < frameworks_.size(); ++f) {
    if (!frameworks_[f]) continue;
    for (const Membership& m : frameworks_[f]->memberships) {
      if (!m.in_order) continue;
      if (m.position->index != f || m.position->key != m.key) {
        return absl::InternalError(absl::StrCat("framework '", frameworks_[f]->id,
                                                "': its position in the order of role '",
                                                roles_[m.role]->name, "' is stale"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Resources> Allocator::AgentFree(absl::string_view agent_id) const {
  auto it = agent_index_.find(agent_id);
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown agent '", agent_id, "'"));
  }
  return agents_[it->second]->free;
}

}  // namespace agora::allocator
