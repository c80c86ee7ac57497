// The role tree: hierarchical weighted-DRF ordering of roles and of the
// frameworks inside each role, eligibility, and quota accounting.

#include <algorithm>
#include <cmath>

#include "allocator/allocator.hpp"
#include "glog/logging.h"

namespace agora::allocator {

Index Allocator::FindRole(absl::string_view name) const {
  auto it = role_index_.find(name);
  return it == role_index_.end() ? kNoIndex : it->second;
}

Index Allocator::RoleIndex(absl::string_view name) {
  if (Index found = FindRole(name); found != kNoIndex) return found;
  size_t slash = name.rfind('/');
  Index parent = slash == absl::string_view::npos ? 0 : RoleIndex(name.substr(0, slash));
  auto role = std::make_unique<RoleState>();
  role->name = std::string(name);
  role->parent = parent;
  Index index = static_cast<Index>(roles_.size());
  roles_.push_back(std::move(role));
  role_index_.emplace(std::string(name), index);
  return index;
}

double Allocator::ShareOf(const Quantities& allocated) const {
  // Excluded scalars have an inverse total of 0: they add 0 to the max.
  double share = 0;
  const size_t n = std::min<size_t>(allocated.size(), inverse_total_.size());
  const int64_t* values = allocated.data();
  const double* inverse = inverse_total_.data();
  for (size_t i = 0; i < n; ++i) {
    share = std::max(share, static_cast<double>(values[i]) * inverse[i]);
  }
  return share;
}

double Allocator::DrfKey(const Quantities& allocated, double weight) const {
  return ShareOf(allocated) / weight;
}

bool Allocator::Eligible(const FrameworkState& fw, const Membership& m) const {
  return fw.active && !fw.placeholder && m.subscribed && !m.suppressed;
}

void Allocator::RefreshEligibility(Index framework) {
  FrameworkState& fw = *frameworks_[framework];
  for (Membership& m : fw.memberships) {
    SetEligible(framework, &m, Eligible(fw, m));
  }
}

void Allocator::SetEligible(Index framework, Membership* m, bool eligible) {
  if (m->in_order == eligible) return;
  CHECK(!deferring_) << "eligibility changes outside of a cycle only";
  RoleState& role = *roles_[m->role];
  if (eligible) {
    m->position = role.frameworks.insert({m->key, framework}).first;
  } else {
    role.frameworks.erase(m->position);
  }
  m->in_order = eligible;
  UpdateOwnLeaf(m->role);
  UpdateQuotaStanding(m->role);
}

// The role's own frameworks take part in the stage-2 walk when one of them
// is eligible and the role is not saturated by its limits.
void Allocator::UpdateOwnLeaf(Index role) {
  RoleState& node = *roles_[role];
  const bool want = !node.frameworks.empty() && !node.saturated;
  if (want == node.own_in_order) return;
  if (want) {
    node.order.insert({node.own_key, role});
  } else {
    node.order.erase({node.own_key, role});
  }
  node.own_in_order = want;
  ChangeEligibleCount(role, want ? 1 : -1);
}

// True if the role's own limits leave less than every minimum-allocatable
// alternative needs: no unreserved offer can be made to it.
bool Allocator::Saturated(const RoleState& node) const {
  if (node.limit_names.empty() || min_allocatable_.empty()) return false;
  for (const auto& alternative : min_allocatable_) {
    bool blocked = false;
    for (const auto& [n, milli] : alternative) {
      const bool limited =
          std::find(node.limit_names.begin(), node.limit_names.end(), n) != node.limit_names.end();
      if (limited && node.limit.Get(n) - node.subtree_consumed.Get(n) < milli) {
        blocked = true;
      }
    }
    if (!blocked) return false;
  }
  return true;
}

// `eligible_in_subtree` counts roles (not frameworks) with an eligible own
// framework, so that empty subtrees drop out of their parent's order and a
// cycle never walks them.
void Allocator::ChangeEligibleCount(Index role, int64_t delta) {
  for (Index r = role; r != kNoIndex; r = roles_[r]->parent) {
    RoleState& node = *roles_[r];
    const bool was_empty = node.eligible_in_subtree == 0;
    node.eligible_in_subtree += delta;
    const bool is_empty = node.eligible_in_subtree == 0;
    if (node.parent == kNoIndex || was_empty == is_empty) continue;
    RoleState& parent = *roles_[node.parent];
    if (is_empty) {
      parent.order.erase({node.key, r});
      node.in_parent_order = false;
    } else {
      parent.order.insert({node.key, r});
      node.in_parent_order = true;
    }
  }
}

void Allocator::RekeyFramework(Index framework, Membership* m) {
  // Stale keys are all recomputed by RekeyAll before the next cycle.
  if (options_.sort_order == SortOrder::kRandom || keys_stale_) return;
  if (deferring_) {
    deferred_frameworks_.push_back({framework, m->role});
    return;
  }
  double key = DrfKey(m->allocated, 1.0);
  if (key == m->key) return;
  if (m->in_order) {
    m->position = MoveKeyAt(&roles_[m->role]->frameworks, m->position, key);
  }
  m->key = key;
}

void Allocator::RekeyRoleChain(Index role) {
  if (options_.sort_order == SortOrder::kRandom || keys_stale_) return;
  if (deferring_) {
    deferred_roles_.push_back(role);
    return;
  }
  RoleState& own = *roles_[role];
  double own_key = DrfKey(own.own_allocated, own.weight);
  if (own.own_in_order && own_key != own.own_key) {
    MoveKey(&own.order, own.own_key, own_key, role);
  }
  own.own_key = own_key;
  for (Index r = role; roles_[r]->parent != kNoIndex; r = roles_[r]->parent) {
    RoleState& node = *roles_[r];
    double key = DrfKey(node.subtree_allocated, node.weight);
    if (key == node.key) continue;
    if (node.in_parent_order) {
      Order& order = roles_[node.parent]->order;
      MoveKey(&order, node.key, key, r);
    }
    if (node.in_quota_order) {
      MoveKey(&quota_order_, node.quota_key, key, r);
      node.quota_key = key;
    }
    node.key = key;
  }
}

void Allocator::FlushDeferredRekeys() {
  deferring_ = false;
  for (auto [framework, role] : deferred_frameworks_) {
    if (Membership* m = MembershipFor(framework, role)) {
      RekeyFramework(framework, m);
    }
  }
  for (Index role : deferred_roles_) {
    RekeyRoleChain(role);
    for (Index r = role; r != kNoIndex; r = roles_[r]->parent) {
      if (roles_[r]->has_guarantee() || !roles_[r]->limit_names.empty()) {
        UpdateQuotaStanding(r);
      }
    }
  }
  deferred_frameworks_.clear();
  deferred_roles_.clear();
}

// Recomputes every key and rebuilds every order: after the pool total
// changed (all shares move) or, for the random sorter, every cycle.
void Allocator::RekeyAll() {
  const bool random = options_.sort_order == SortOrder::kRandom;
  std::uniform_real_distribution<double> uniform(std::numeric_limits<double>::min(), 1.0);
  for (size_t r = 0; r < roles_.size(); ++r) {
    if (!roles_[r]) continue;
    RoleState& role = *roles_[r];
    role.order.clear();
    role.frameworks.clear();
    if (random) {
      role.key = -std::log(uniform(rng_)) / role.weight;
      role.own_key = role.key;
    } else {
      role.key = DrfKey(role.subtree_allocated, role.weight);
      role.own_key = DrfKey(role.own_allocated, role.weight);
    }
  }
  quota_order_.clear();
  for (size_t r = 0; r < roles_.size(); ++r) {
    if (!roles_[r]) continue;
    RoleState& role = *roles_[r];
    if (role.own_in_order) role.order.insert({role.own_key, Index(r)});
    if (role.in_parent_order) {
      roles_[role.parent]->order.insert({role.key, Index(r)});
    }
    if (role.in_quota_order) {
      role.quota_key = role.key;
      quota_order_.insert({role.key, Index(r)});
    }
  }
  for (size_t f = 0; f < frameworks_.size(); ++f) {
    if (!frameworks_[f]) continue;
    for (Membership& m : frameworks_[f]->memberships) {
      m.key = random ? uniform(rng_) : DrfKey(m.allocated, 1.0);
      if (m.in_order) m.position = roles_[m.role]->frameworks.insert({m.key, Index(f)}).first;
    }
  }
}

void Allocator::ChargeRole(Index role, const Quantities& all, const Quantities& unreserved,
                           int sign) {
  RoleState& own = *roles_[role];
  if (sign > 0) {
    own.own_allocated += all;
  } else {
    own.own_allocated -= all;
  }
  // The root (0) is left out: nothing reads its totals (it has no key, no
  // quota and no metrics).
  for (Index r = role; r != 0; r = roles_[r]->parent) {
    RoleState& node = *roles_[r];
    if (sign > 0) {
      node.subtree_allocated += all;
      node.subtree_consumed += unreserved;
    } else {
      node.subtree_allocated -= all;
      node.subtree_consumed -= unreserved;
    }
    if (node.has_guarantee() || !node.limit_names.empty()) {
      UpdateQuotaStanding(r);
    }
  }
  RekeyRoleChain(role);
}

void Allocator::ChargeReservations(Index role, const Quantities& reserved, int sign) {
  for (Index r = role; r != 0; r = roles_[r]->parent) {
    RoleState& node = *roles_[r];
    if (sign > 0) {
      node.subtree_consumed += reserved;
    } else {
      node.subtree_consumed -= reserved;
    }
    if (node.has_guarantee()) UpdateQuotaStanding(r);
  }
}

Index Allocator::TopGuaranteeRole(Index role) const {
  Index top = kNoIndex;
  for (Index r = role; r != kNoIndex; r = roles_[r]->parent) {
    if (roles_[r]->has_guarantee()) top = r;
  }
  return top;
}

// Keeps the role's place in the stage-1 order and its share of the required
// headroom in step with its consumption.
void Allocator::UpdateQuotaStanding(Index role) {
  RoleState& node = *roles_[role];
  bool unsatisfied = false;
  Quantities contribution;
  for (int n : node.guarantee_names) {
    int64_t missing = node.guarantee.Get(n) - node.subtree_consumed.Get(n);
    if (missing > 0) {
      unsatisfied = true;
      contribution.Set(n, missing);
    }
  }
  if (!node.has_guarantee() || TopGuaranteeRole(role) != role) {
    contribution.Clear();
  }
  if (!(contribution == node.headroom_contribution)) {
    required_headroom_ -= node.headroom_contribution;
    required_headroom_ += contribution;
    node.headroom_contribution = contribution;
  }
  const bool want = unsatisfied && !node.frameworks.empty();
  const bool saturated = Saturated(node);
  if (want == node.in_quota_order && saturated == node.saturated) return;
  if (deferring_) {
    // The orders are walked during an agent visit: membership changes wait
    // for its end; a role satisfied or saturated meanwhile simply gets
    // nothing more (Candidate applies the caps immediately).
    deferred_roles_.push_back(role);
    return;
  }
  if (want != node.in_quota_order) {
    if (want) {
      node.quota_key = node.key;
      quota_order_.insert({node.quota_key, role});
    } else {
      quota_order_.erase({node.quota_key, role});
    }
    node.in_quota_order = want;
  }
  if (saturated != node.saturated) {
    node.saturated = saturated;
    if (saturated) {
      saturated_roles_.insert(role);
    } else {
      saturated_roles_.erase(role);
    }
    UpdateOwnLeaf(role);
  }
}

}  // namespace agora::allocator
