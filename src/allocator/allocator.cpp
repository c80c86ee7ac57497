// Allocator construction, bookkeeping primitives and agent events.

#include "allocator/allocator.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora::allocator {
namespace {

absl::Status NotFound(absl::string_view what, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown ", what, " '", id, "'"));
}

}  // namespace

Allocator::Allocator(AllocatorOptions options) : options_(std::move(options)), rng_(options_.seed) {
  auto root = std::make_unique<RoleState>();
  root->name = "";
  roles_.push_back(std::move(root));
  for (const Resources& alternative : options_.min_allocatable_resources) {
    std::vector<std::pair<int, int64_t>> minimum;
    for (const ResourceEntry& entry : alternative) {
      if (entry.type != ResourceEntry::Type::kScalar) continue;
      minimum.push_back({scalars_.IndexOf(entry.name), entry.scalar_milli});
    }
    min_allocatable_.push_back(std::move(minimum));
  }
  for (const std::string& name : options_.fair_sharing_excluded_resource_names) {
    scalars_.IndexOf(name);
  }
  RecomputeInverseTotal();
}

void Allocator::RecomputeInverseTotal() {
  inverse_total_.assign(scalars_.size(), 0.0);
  for (int i = 0; i < scalars_.size(); ++i) {
    int64_t total = pool_total_.Get(i);
    inverse_total_[i] = total > 0 ? 1.0 / static_cast<double>(total) : 0.0;
  }
  // Excluded scalars count 0 towards every share.
  for (const std::string& name : options_.fair_sharing_excluded_resource_names) {
    inverse_total_[scalars_.Find(name)] = 0.0;
  }
  keys_stale_ = true;
}

AgentState* Allocator::FindAgent(absl::string_view id, Index* index) {
  auto it = agent_index_.find(id);
  if (it == agent_index_.end()) return nullptr;
  *index = it->second;
  return agents_[it->second].get();
}

FrameworkState* Allocator::FindFramework(absl::string_view id, Index* index) {
  auto it = framework_index_.find(id);
  if (it == framework_index_.end()) return nullptr;
  *index = it->second;
  return frameworks_[it->second].get();
}

Index Allocator::FrameworkIndex(absl::string_view id, bool create_placeholder) {
  auto it = framework_index_.find(id);
  if (it != framework_index_.end()) return it->second;
  if (!create_placeholder) return kNoIndex;
  auto fw = std::make_unique<FrameworkState>();
  fw->id = std::string(id);
  fw->placeholder = true;
  Index index = static_cast<Index>(frameworks_.size());
  frameworks_.push_back(std::move(fw));
  framework_index_.emplace(std::string(id), index);
  return index;
}

Membership* Allocator::MembershipFor(Index framework, Index role) {
  if (framework >= frameworks_.size() || !frameworks_[framework]) {
    return nullptr;
  }
  return frameworks_[framework]->Find(role);
}

bool Allocator::AgentAllocatable(const AgentState& agent) const {
  return agent.active && !agent.draining;
}

void Allocator::MarkDirty(Index agent) {
  AgentState& state = *agents_[agent];
  if (state.dirty) return;
  state.dirty = true;
  dirty_agents_.push_back(agent);
}

void Allocator::RefreshFreeViews(AgentState* agent) {
  agent->free_all.Clear();
  agent->free_unreserved.Clear();
  ToQuantities(agent->free, &scalars_, &agent->free_all, &agent->free_unreserved);
  agent->free_reserved = false;
  agent->free_revocable = false;
  for (const ResourceEntry& entry : agent->free) {
    agent->free_reserved |= entry.reserved();
    agent->free_revocable |= entry.revocable;
  }
  agent->free_meets_minimum = MeetsMinimum(agent->free, agent->free_all);
}

void Allocator::Assign(Index agent, Index framework, Index role, const Resources& resources) {
  Quantities all, unreserved;
  ToQuantities(resources, &scalars_, &all, &unreserved);
  Assign(agent, framework, role, resources, all, unreserved);
}

void Allocator::Assign(Index agent, Index framework, Index role, const Resources& resources,
                       const Quantities& all, const Quantities& unreserved) {
  AgentState& a = *agents_[agent];
  if (resources == a.free) {
    a.free = Resources();  // the common whole-agent offer: skip the diff
  } else {
    a.free -= resources;
  }
  RefreshFreeViews(&a);
  Account(agent, framework, role, resources, all, unreserved);
}

void Allocator::Account(Index agent, Index framework, Index role, const Resources& resources,
                        const Quantities& all, const Quantities& unreserved) {
  AgentState& a = *agents_[agent];
  FrameworkState& fw = *frameworks_[framework];
  Membership* m = fw.Find(role);
  if (m == nullptr) {
    // Usage reported for a role the framework is not subscribed to.
    fw.memberships.emplace_back();
    fw.memberships.back().role = role;
    fw.memberships.back().subscribed = false;
    m = &fw.memberships.back();
  }
  Resources& held = a.allocated[AllocationKey(framework, role)];
  if (held.empty()) {
    held = resources;
  } else {
    held += resources;
  }
  fw.agents_with_allocations.insert(agent);
  m->allocated += all;
  RekeyFramework(framework, m);
  ChargeRole(role, all, unreserved, +1);
  if (AgentAllocatable(a)) available_headroom_ -= unreserved;
}

void Allocator::Release(Index agent, Index framework, Index role, const Resources& resources,
                        bool to_free) {
  AgentState& a = *agents_[agent];
  FrameworkState& fw = *frameworks_[framework];
  auto it = a.allocated.find(AllocationKey(framework, role));
  CHECK(it != a.allocated.end());
  it->second -= resources;
  if (it->second.empty()) {
    a.allocated.erase(it);
    bool holds_more = false;
    for (const Membership& other : fw.memberships) {
      holds_more |= a.allocated.contains(AllocationKey(framework, other.role));
    }
    if (!holds_more) fw.agents_with_allocations.erase(agent);
  }
  Quantities all, unreserved;
  ToQuantities(resources, &scalars_, &all, &unreserved);
  Membership* m = fw.Find(role);
  m->allocated -= all;
  RekeyFramework(framework, m);
  ChargeRole(role, all, unreserved, -1);
  if (!to_free) return;
  a.free += resources;
  // Scalars add exactly: the views follow without a walk of the free pool.
  a.free_all += all;
  a.free_unreserved += unreserved;
  for (const ResourceEntry& entry : resources) {
    a.free_reserved |= entry.reserved();
    a.free_revocable |= entry.revocable;
  }
  a.free_meets_minimum = MeetsMinimum(a.free, a.free_all);
  if (AgentAllocatable(a)) available_headroom_ += unreserved;
  MarkDirty(agent);
}

void Allocator::SetAgentTotal(Index agent, const Resources& total) {
  AgentState& a = *agents_[agent];
  for (const auto& [role, reserved] : a.reserved_by_role) {
    ChargeReservations(role, reserved, -1);
  }
  a.reserved_by_role.clear();
  for (const auto& [role_name, reserved] : total.Reserved()) {
    Index role = RoleIndex(role_name);
    Quantities q = ToQuantities(reserved.NonRevocable(), &scalars_);
    ChargeReservations(role, q, +1);
    a.reserved_by_role.push_back({role, std::move(q)});
  }
  pool_total_ -= a.total_quantities;
  a.total = total;
  a.total_quantities = ToQuantities(total, &scalars_);
  pool_total_ += a.total_quantities;
  a.has_gpus = total.ScalarMilli(Resources::kGpus) > 0;

  Resources allocated;
  for (const auto& [key, resources] : a.allocated) allocated += resources;
  const bool allocatable = AgentAllocatable(a);
  if (allocatable) available_headroom_ -= a.free_unreserved;
  a.free = total - allocated;
  RefreshFreeViews(&a);
  if (allocatable) available_headroom_ += a.free_unreserved;
  RecomputeInverseTotal();
  MarkDirty(agent);
}

void Allocator::SetAgentAllocatable(Index agent, bool allocatable_before) {
  AgentState& a = *agents_[agent];
  const bool allocatable = AgentAllocatable(a);
  if (allocatable == allocatable_before) return;
  if (allocatable) {
    available_headroom_ += a.free_unreserved;
    MarkDirty(agent);
  } else {
    available_headroom_ -= a.free_unreserved;
  }
}

absl::Status Allocator::AddAgent(const AgentSpec& spec) {
  if (spec.id.empty()) return absl::InvalidArgumentError("agent id: is empty");
  if (agent_index_.contains(spec.id)) {
    return absl::AlreadyExistsError(absl::StrCat("agent '", spec.id, "' already added"));
  }
  Resources used;
  for (size_t i = 0; i < spec.used.size(); ++i) {
    const ResourceUsage& usage = spec.used[i];
    if (usage.framework_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("used[", i, "].framework_id: is empty"));
    }
    if (absl::Status s = ValidateRole(usage.role); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("used[", i, "].role: ", s.message()));
    }
    used += usage.resources;
  }
  if (!spec.total.Contains(used)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "used: ", used.ToString(), " is not contained in the total ", spec.total.ToString()));
  }
  Index index = static_cast<Index>(agents_.size());
  auto agent = std::make_unique<AgentState>();
  agent->id = spec.id;
  agent->active = spec.active;
  agents_.push_back(std::move(agent));
  agent_index_.emplace(spec.id, index);
  ++live_agents_;
  SetAgentTotal(index, spec.total);
  for (const ResourceUsage& usage : spec.used) {
    Index framework = FrameworkIndex(usage.framework_id, true);
    Assign(index, framework, RoleIndex(usage.role), usage.resources);
  }
  return absl::OkStatus();
}

absl::Status Allocator::RemoveAgent(absl::string_view agent_id) {
  Index index;
  AgentState* a = FindAgent(agent_id, &index);
  if (a == nullptr) return NotFound("agent", agent_id);
  std::vector<std::pair<uint64_t, Resources>> allocations(a->allocated.begin(), a->allocated.end());
  std::sort(allocations.begin(), allocations.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [key, resources] : allocations) {
    Release(index, static_cast<Index>(key >> 32), static_cast<Index>(key & 0xffffffffu), resources,
            false);
  }
  for (const auto& [framework, filter] : a->filters) {
    frameworks_[framework]->agents_with_filters.erase(index);
  }
  for (const auto& [role, reserved] : a->reserved_by_role) {
    ChargeReservations(role, reserved, -1);
  }
  if (AgentAllocatable(*a)) available_headroom_ -= a->free_unreserved;
  pool_total_ -= a->total_quantities;
  agent_index_.erase(a->id);
  agents_[index].reset();
  --live_agents_;
  RecomputeInverseTotal();
  return absl::OkStatus();
}

absl::Status Allocator::UpdateAgent(absl::string_view agent_id, const Resources& total) {
  Index index;
  if (FindAgent(agent_id, &index) == nullptr) {
    return NotFound("agent", agent_id);
  }
  SetAgentTotal(index, total);
  return absl::OkStatus();
}

absl::Status Allocator::ActivateAgent(absl::string_view agent_id) {
  Index index;
  AgentState* a = FindAgent(agent_id, &index);
  if (a == nullptr) return NotFound("agent", agent_id);
  const bool before = AgentAllocatable(*a);
  a->active = true;
  SetAgentAllocatable(index, before);
  return absl::OkStatus();
}

absl::Status Allocator::DeactivateAgent(absl::string_view agent_id) {
  Index index;
  AgentState* a = FindAgent(agent_id, &index);
  if (a == nullptr) return NotFound("agent", agent_id);
  const bool before = AgentAllocatable(*a);
  a->active = false;
  SetAgentAllocatable(index, before);
  return absl::OkStatus();
}

absl::Status Allocator::SetAgentDraining(absl::string_view agent_id, bool draining) {
  Index index;
  AgentState* a = FindAgent(agent_id, &index);
  if (a == nullptr) return NotFound("agent", agent_id);
  const bool before = AgentAllocatable(*a);
  a->draining = draining;
  SetAgentAllocatable(index, before);
  return absl::OkStatus();
}

}  // namespace agora::allocator
