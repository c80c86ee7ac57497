// The allocation cycle: which agents to visit, the two stages per agent,
// the candidate offer for a role, minimum size and filters.

#include <algorithm>

#include "allocator/allocator.hpp"
#include "glog/logging.h"

namespace agora::allocator {

bool Allocator::HasPendingWork() const { return all_agents_dirty_ || !dirty_agents_.empty(); }

std::optional<absl::Time> Allocator::NextFilterExpiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.top().expires;
}

void Allocator::ExpireFilters(absl::Time now) {
  while (!expiries_.empty() && expiries_.top().expires <= now) {
    FilterExpiry due = expiries_.top();
    expiries_.pop();
    if (!agents_[due.agent]) continue;
    AgentState& agent = *agents_[due.agent];
    auto it = agent.filters.find(due.framework);
    // A later decline replaced the filter, or a revive removed it.
    if (it == agent.filters.end() || it->second.expires != due.expires) {
      continue;
    }
    RemoveFilter(due.agent, due.framework);
    counters_.filters_expired++;
    MarkDirty(due.agent);
  }
}

std::vector<Index> Allocator::AgentsToVisit() {
  std::vector<Index> visit;
  auto wanted = [this](Index i) {
    const AgentState* a = agents_[i].get();
    return a != nullptr && AgentAllocatable(*a) && !a->free.empty();
  };
  if (all_agents_dirty_) {
    for (Index i = 0; i < agents_.size(); ++i) {
      if (agents_[i]) agents_[i]->dirty = false;
      if (wanted(i)) visit.push_back(i);
    }
  } else {
    for (Index i : dirty_agents_) {
      if (!agents_[i]) continue;
      agents_[i]->dirty = false;
      if (wanted(i)) visit.push_back(i);
    }
  }
  dirty_agents_.clear();
  all_agents_dirty_ = false;
  // Fisher-Yates with the seeded engine: portable and deterministic.
  for (size_t i = visit.size(); i > 1; --i) {
    std::swap(visit[i - 1], visit[rng_() % i]);
  }
  return visit;
}

std::vector<Allocation> Allocator::Allocate(absl::Time now) {
  counters_.cycles++;
  ExpireFilters(now);
  counters_.last_cycle_agents_visited = 0;
  counters_.last_cycle_candidates_examined = 0;
  if (!HasPendingWork()) {
    counters_.noop_cycles++;
    return {};
  }
  if (keys_stale_ || options_.sort_order == SortOrder::kRandom) {
    RekeyAll();
    keys_stale_ = false;
  }
  std::vector<Allocation> out;
  const std::vector<Index> visit = AgentsToVisit();
  out.reserve(visit.size());
  for (Index agent : visit) AllocateAgent(agent, &out);
  counters_.agents_visited += counters_.last_cycle_agents_visited;
  counters_.candidates_examined += counters_.last_cycle_candidates_examined;
  counters_.allocations_made += out.size();
  return out;
}

void Allocator::AllocateAgent(Index agent, std::vector<Allocation>* out) {
  AgentState& a = *agents_[agent];
  counters_.last_cycle_agents_visited++;
  std::vector<PendingOutput>& pending = pending_;  // reused: no allocation per visit
  pending.clear();
  deferring_ = true;

  // Stage 1: unmet guarantees, neediest role first.
  for (const auto& [key, role] : quota_order_) {
    if (!FreeMeetsMinimum(a)) break;
    for (const auto& [fw_key, framework] : roles_[role]->frameworks) {
      OfferTo(agent, framework, role, Stage::kQuota, &pending);
    }
  }

  // Stage 2: hierarchical DRF over the roles with eligible frameworks.
  // An explicit stack replaces recursion; each level walks its order. The
  // stack is a member so that its capacity is reused across visits.
  std::vector<WalkLevel>& stack = walk_;
  stack.clear();
  stack.push_back({0, roles_[0]->order.begin()});
  while (!stack.empty() && FreeMeetsMinimum(a)) {
    WalkLevel& level = stack.back();
    const RoleState& node = *roles_[level.role];
    if (level.next == node.order.end()) {
      stack.pop_back();
      continue;
    }
    Index child = (level.next++)->index;
    if (child != level.role) {
      stack.push_back({child, roles_[child]->order.begin()});
      continue;
    }
    for (const auto& [fw_key, framework] : node.frameworks) {
      OfferTo(agent, framework, child, Stage::kFair, &pending);
      if (!FreeMeetsMinimum(a)) break;  // no candidate (a subset) can meet it
    }
  }

  // Saturated roles can still receive resources reserved to them.
  if (!saturated_roles_.empty() && a.free_reserved) {
    for (Index role : saturated_roles_) {
      for (const auto& [fw_key, framework] : roles_[role]->frameworks) {
        OfferTo(agent, framework, role, Stage::kFair, &pending);
      }
    }
  }

  FlushDeferredRekeys();
  for (PendingOutput& p : pending) {
    Allocation& allocation = out->emplace_back();
    allocation.framework_id = frameworks_[p.framework]->id;
    allocation.agent_id = a.id;
    allocation.role = roles_[p.role]->name;
    allocation.resources = std::move(p.resources);
  }
}

bool Allocator::OfferTo(Index agent, Index framework, Index role, Stage stage,
                        std::vector<PendingOutput>* pending) {
  AgentState& a = *agents_[agent];
  const FrameworkState& fw = *frameworks_[framework];
  counters_.last_cycle_candidates_examined++;
  if (a.has_gpus && options_.filter_gpu_resources && !fw.gpu_capable) {
    return false;
  }
  Resources candidate;
  if (WholeFreeIsCandidate(a, fw, role, stage)) {
    // The common case: decide on the free pool in place and move it out, so
    // walking past filtered frameworks copies nothing.
    if (!FreeMeetsMinimum(a) || Filtered(a, framework, a.free)) return false;
    candidate = std::move(a.free);
    a.free = Resources();
    const Quantities all = std::move(a.free_all);
    const Quantities unreserved = std::move(a.free_unreserved);
    a.free_all.Clear();
    a.free_unreserved.Clear();
    a.free_reserved = false;
    a.free_revocable = false;
    a.free_meets_minimum = false;
    Account(agent, framework, role, candidate, all, unreserved);
  } else {
    candidate = Candidate(a, role, stage);
    if (!fw.revocable_capable) candidate = candidate.NonRevocable();
    Quantities all, unreserved;
    ToQuantities(candidate, &scalars_, &all, &unreserved);
    if (!MeetsMinimum(candidate, all) || Filtered(a, framework, candidate)) {
      return false;
    }
    Assign(agent, framework, role, candidate, all, unreserved);
  }
  for (PendingOutput& p : *pending) {
    if (p.framework == framework && p.role == role) {
      p.resources += candidate;
      return true;
    }
  }
  pending->push_back({framework, role, std::move(candidate)});
  return true;
}

bool Allocator::WholeFreeIsCandidate(const AgentState& agent, const FrameworkState& fw, Index role,
                                     Stage stage) const {
  return stage == Stage::kFair && required_headroom_.IsZero() && !LimitedChain(role) &&
         !agent.free_reserved && (fw.revocable_capable || !agent.free_revocable);
}

// What the agent's free resources can give `role` now: everything reserved
// to the role or an ancestor, plus unreserved resources with each scalar
// capped by (a) the role's and its ancestors' quota limits, (b) in stage 1
// the unmet part of the role's guarantee, (c) otherwise the headroom that
// unmet guarantees of all roles still need.
Resources Allocator::Candidate(const AgentState& agent, Index role, Stage stage) const {
  const RoleState& node = *roles_[role];
  if (stage == Stage::kFair && required_headroom_.IsZero() && !LimitedChain(role) &&
      !agent.free_reserved) {
    return agent.free;  // the common case: nothing to cap or exclude
  }
  Resources out;
  for (const ResourceEntry& entry : agent.free) {
    if (entry.reserved()) {
      if (entry.role() == node.name || IsStrictSubrole(node.name, entry.role())) {
        out.Add(entry);
      }
      continue;
    }
    if (entry.revocable || entry.type != ResourceEntry::Type::kScalar) {
      out.Add(entry);
      continue;
    }
    const int n = scalars_.Find(entry.name);
    int64_t cap = entry.scalar_milli;
    for (Index r = role; r != 0; r = roles_[r]->parent) {
      const RoleState& level = *roles_[r];
      for (int limited : level.limit_names) {
        if (limited != n) continue;
        cap =
            std::min(cap, std::max<int64_t>(0, level.limit.Get(n) - level.subtree_consumed.Get(n)));
      }
    }
    const bool guaranteed = std::find(node.guarantee_names.begin(), node.guarantee_names.end(),
                                      n) != node.guarantee_names.end();
    if (stage == Stage::kQuota && guaranteed) {
      cap =
          std::min(cap, std::max<int64_t>(0, node.guarantee.Get(n) - node.subtree_consumed.Get(n)));
    } else if (required_headroom_.Get(n) > 0) {
      cap = std::min(cap,
                     std::max<int64_t>(0, available_headroom_.Get(n) - required_headroom_.Get(n)));
    }
    if (cap <= 0) continue;
    if (cap == entry.scalar_milli) {
      out.Add(entry);
    } else {
      ResourceEntry part = entry;
      part.scalar_milli = cap;
      out.Add(part);
    }
  }
  return out;
}

bool Allocator::LimitedChain(Index role) const {
  for (Index r = role; r != 0; r = roles_[r]->parent) {
    if (!roles_[r]->limit_names.empty()) return true;
  }
  return false;
}

bool Allocator::MeetsMinimum(const Resources& resources, const Quantities& scalars) const {
  if (resources.empty()) return false;
  if (min_allocatable_.empty()) return true;
  for (const auto& alternative : min_allocatable_) {
    bool satisfied = true;
    for (const auto& [n, milli] : alternative) {
      if (scalars.Get(n) < milli) {
        satisfied = false;
        break;
      }
    }
    if (satisfied) return true;
  }
  return false;
}

bool Allocator::Filtered(const AgentState& agent, Index framework,
                         const Resources& candidate) const {
  auto it = agent.filters.find(framework);
  return it != agent.filters.end() && it->second.refused->Contains(candidate);
}

}  // namespace agora::allocator
