// Allocator events: frameworks, recovered resources, filters, policy.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "allocator/allocator.hpp"
#include "glog/logging.h"

namespace agora::allocator {
namespace {

absl::Status NotFound(absl::string_view what, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown ", what, " '", id, "'"));
}

Resources Intersect(const Resources& wanted, const Resources& held) {
  return wanted - (wanted - held);
}

}  // namespace

absl::Status Allocator::AddFramework(const FrameworkSpec& spec) {
  if (spec.id.empty()) {
    return absl::InvalidArgumentError("framework id: is empty");
  }
  if (spec.roles.empty()) {
    return absl::InvalidArgumentError("roles: at least one role is required");
  }
  for (size_t i = 0; i < spec.roles.size(); ++i) {
    if (absl::Status s = ValidateRole(spec.roles[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("roles[", i, "]: ", s.message()));
    }
  }
  for (const std::string& role : spec.suppressed_roles) {
    if (std::find(spec.roles.begin(), spec.roles.end(), role) == spec.roles.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("suppressed_roles: '", role, "' is not one of the roles"));
    }
  }
  Index index = FrameworkIndex(spec.id, false);
  if (index != kNoIndex && !frameworks_[index]->placeholder) {
    return absl::AlreadyExistsError(absl::StrCat("framework '", spec.id, "' already added"));
  }
  if (index == kNoIndex) index = FrameworkIndex(spec.id, true);
  FrameworkState& fw = *frameworks_[index];
  fw.placeholder = false;
  fw.active = spec.active;
  fw.gpu_capable = spec.gpu_capable;
  fw.revocable_capable = spec.revocable_capable;
  for (const std::string& name : spec.roles) {
    Index role = RoleIndex(name);
    Membership* m = fw.Find(role);
    const bool was_subscribed = m != nullptr && m->subscribed;
    if (m == nullptr) {
      fw.memberships.emplace_back();
      fw.memberships.back().role = role;
      m = &fw.memberships.back();
    }
    if (!was_subscribed) roles_[role]->frameworks_subscribed++;
    m->subscribed = true;
    m->suppressed = std::find(spec.suppressed_roles.begin(), spec.suppressed_roles.end(), name) !=
                    spec.suppressed_roles.end();
  }
  ++live_frameworks_;
  RefreshEligibility(index);
  all_agents_dirty_ = true;
  return absl::OkStatus();
}

absl::Status Allocator::RemoveFramework(absl::string_view framework_id) {
  Index index;
  FrameworkState* fw = FindFramework(framework_id, &index);
  if (fw == nullptr) return NotFound("framework", framework_id);
  std::vector<Index> agents(fw->agents_with_allocations.begin(), fw->agents_with_allocations.end());
  std::sort(agents.begin(), agents.end());
  for (Index agent : agents) {
    for (const Membership& m : fw->memberships) {
      auto it = agents_[agent]->allocated.find(AllocationKey(index, m.role));
      if (it == agents_[agent]->allocated.end()) continue;
      Resources held = it->second;
      Release(agent, index, m.role, held, true);
    }
  }
  std::vector<Index> filtered(fw->agents_with_filters.begin(), fw->agents_with_filters.end());
  for (Index agent : filtered) RemoveFilter(agent, index);
  for (Membership& m : fw->memberships) {
    SetEligible(index, &m, false);
    if (m.subscribed && !fw->placeholder) roles_[m.role]->frameworks_subscribed--;
  }
  if (!fw->placeholder) --live_frameworks_;
  framework_index_.erase(fw->id);
  frameworks_[index].reset();
  return absl::OkStatus();
}

absl::Status Allocator::ActivateFramework(absl::string_view framework_id) {
  Index index;
  FrameworkState* fw = FindFramework(framework_id, &index);
  if (fw == nullptr || fw->placeholder) {
    return NotFound("framework", framework_id);
  }
  fw->active = true;
  RefreshEligibility(index);
  all_agents_dirty_ = true;
  return absl::OkStatus();
}

absl::Status Allocator::DeactivateFramework(absl::string_view framework_id) {
  Index index;
  FrameworkState* fw = FindFramework(framework_id, &index);
  if (fw == nullptr || fw->placeholder) {
    return NotFound("framework", framework_id);
  }
  fw->active = false;
  RefreshEligibility(index);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Membership*>> Allocator::MembershipsOf(
    FrameworkState* fw, absl::string_view framework_id, const std::vector<std::string>& roles) {
  std::vector<Membership*> targets;
  for (const std::string& name : roles) {
    Index role = FindRole(name);
    Membership* m = role == kNoIndex ? nullptr : fw->Find(role);
    if (m == nullptr || !m->subscribed) {
      return absl::InvalidArgumentError(
          absl::StrCat("roles: framework '", framework_id, "' is not subscribed to '", name, "'"));
    }
    targets.push_back(m);
  }
  if (roles.empty()) {
    for (Membership& m : fw->memberships) targets.push_back(&m);
  }
  return targets;
}

absl::Status Allocator::SuppressRoles(absl::string_view framework_id,
                                      const std::vector<std::string>& roles) {
  Index index;
  FrameworkState* fw = FindFramework(framework_id, &index);
  if (fw == nullptr || fw->placeholder) {
    return NotFound("framework", framework_id);
  }
  absl::StatusOr<std::vector<Membership*>> targets = MembershipsOf(fw, framework_id, roles);
  if (!targets.ok()) return targets.status();
  for (Membership* m : *targets) {
    m->suppressed = true;
    SetEligible(index, m, Eligible(*fw, *m));
  }
  return absl::OkStatus();
}

absl::Status Allocator::ReviveRoles(absl::string_view framework_id,
                                    const std::vector<std::string>& roles) {
  Index index;
  FrameworkState* fw = FindFramework(framework_id, &index);
  if (fw == nullptr || fw->placeholder) {
    return NotFound("framework", framework_id);
  }
  absl::StatusOr<std::vector<Membership*>> targets = MembershipsOf(fw, framework_id, roles);
  if (!targets.ok()) return targets.status();
  std::vector<Index> filtered(fw->agents_with_filters.begin(), fw->agents_with_filters.end());
  for (Index agent : filtered) RemoveFilter(agent, index);
  for (Membership* m : *targets) {
    m->suppressed = false;
    SetEligible(index, m, Eligible(*fw, *m));
  }
  all_agents_dirty_ = true;
  return absl::OkStatus();
}

void Allocator::RemoveFilter(Index agent, Index framework) {
  if (agents_[agent]->filters.erase(framework) > 0) {
    counters_.filters_active--;
  }
  if (frameworks_[framework]) {
    frameworks_[framework]->agents_with_filters.erase(agent);
  }
}

absl::Status Allocator::RecoverResources(absl::string_view framework_id, absl::string_view agent_id,
                                         absl::string_view role_name, const Resources& resources,
                                         std::optional<absl::Duration> refuse, absl::Time now) {
  Index framework, agent;
  if (FindFramework(framework_id, &framework) == nullptr) {
    return NotFound("framework", framework_id);
  }
  AgentState* a = FindAgent(agent_id, &agent);
  if (a == nullptr) return NotFound("agent", agent_id);
  Index role = FindRole(role_name);
  auto it =
      role == kNoIndex ? a->allocated.end() : a->allocated.find(AllocationKey(framework, role));
  if (it == a->allocated.end()) {
    return absl::InvalidArgumentError(absl::StrCat("framework '", framework_id,
                                                   "' holds nothing for role '", role_name,
                                                   "' on agent '", agent_id, "'"));
  }
  Resources returned = Intersect(resources, it->second);
  if (returned.empty() && !resources.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("resources: none of ", resources.ToString(),
                                                   " is allocated to framework '", framework_id,
                                                   "' on agent '", agent_id, "'"));
  }
  Release(agent, framework, role, returned, true);
  if (!refuse.has_value() || returned.empty()) return absl::OkStatus();

  absl::Duration duration = *refuse <= absl::ZeroDuration() ? options_.default_refuse : *refuse;
  duration = std::min(duration, options_.max_refuse);
  if (!a->last_refused || !(*a->last_refused == returned)) {
    a->last_refused = std::make_shared<const Resources>(std::move(returned));
  }
  auto [filter, inserted] =
      a->filters.insert_or_assign(framework, Filter{a->last_refused, now + duration});
  if (inserted) counters_.filters_active++;
  frameworks_[framework]->agents_with_filters.insert(agent);
  expiries_.push({now + duration, agent, framework});
  return absl::OkStatus();
}

absl::Status Allocator::UpdateAllocation(absl::string_view framework_id, absl::string_view agent_id,
                                         absl::string_view role_name, const Resources& from,
                                         const Resources& to) {
  Index framework, agent;
  if (FindFramework(framework_id, &framework) == nullptr) {
    return NotFound("framework", framework_id);
  }
  AgentState* a = FindAgent(agent_id, &agent);
  if (a == nullptr) return NotFound("agent", agent_id);
  Index role = FindRole(role_name);
  auto it =
      role == kNoIndex ? a->allocated.end() : a->allocated.find(AllocationKey(framework, role));
  if (it == a->allocated.end() || !it->second.Contains(from)) {
    return absl::InvalidArgumentError(
        absl::StrCat("from: ", from.ToString(), " is not allocated to framework '", framework_id,
                     "' for role '", role_name, "' on agent '", agent_id, "'"));
  }
  if (!(from.ScalarQuantities() == to.ScalarQuantities())) {
    return absl::InvalidArgumentError(
        absl::StrCat("to: ", to.ToString(), " does not have the quantities of ", from.ToString()));
  }
  // Moving the allocation through release/assign keeps every counter
  // (quota consumption, shares, headroom) consistent with the new shape.
  Release(agent, framework, role, from, true);
  Resources total = a->total - from + to;
  SetAgentTotal(agent, total);
  Assign(agent, framework, role, to);
  return absl::OkStatus();
}

absl::Status Allocator::UpdateWeights(const std::vector<std::pair<std::string, double>>& weights) {
  for (size_t i = 0; i < weights.size(); ++i) {
    const auto& [role, weight] = weights[i];
    if (absl::Status s = ValidateRole(role); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("weights[", i, "].role: ", s.message()));
    }
    if (!std::isfinite(weight) || weight <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weights[", i, "].weight: ", weight, " is not a positive number"));
    }
  }
  for (const auto& [role, weight] : weights) roles_[RoleIndex(role)]->weight = weight;
  keys_stale_ = true;
  all_agents_dirty_ = true;
  return absl::OkStatus();
}

absl::Status Allocator::UpdateQuota(absl::string_view role_name, const Resources& guarantee,
                                    const Resources& limit) {
  if (absl::Status s = ValidateRole(role_name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("role: ", s.message()));
  }
  for (const Resources* r : {&guarantee, &limit}) {
    for (const ResourceEntry& entry : *r) {
      if (entry.type != ResourceEntry::Type::kScalar) {
        return absl::InvalidArgumentError(
            absl::StrCat(r == &guarantee ? "guarantee" : "limit", ": '", entry.name,
                         "' is not a scalar; quota applies to scalars only"));
      }
    }
  }
  Resources g = guarantee.ScalarQuantities();
  Resources l = limit.ScalarQuantities();
  for (const ResourceEntry& entry : g) {
    bool limited = false;
    for (const ResourceEntry& cap : l) limited |= cap.name == entry.name;
    if (limited && l.ScalarMilli(entry.name) < entry.scalar_milli) {
      return absl::InvalidArgumentError(
          absl::StrCat("guarantee: ", entry.name, " ", FormatMilli(entry.scalar_milli),
                       " exceeds the limit ", FormatMilli(l.ScalarMilli(entry.name))));
    }
  }
  RoleState& role = *roles_[RoleIndex(role_name)];
  role.guarantee = ToQuantities(g, &scalars_);
  role.limit = ToQuantities(l, &scalars_);
  role.guarantee_names.clear();
  role.limit_names.clear();
  for (const ResourceEntry& entry : g) {
    role.guarantee_names.push_back(scalars_.IndexOf(entry.name));
  }
  for (const ResourceEntry& entry : l) {
    role.limit_names.push_back(scalars_.IndexOf(entry.name));
  }
  RecomputeInverseTotal();
  // A new guarantee can change which roles are top-most: refresh all.
  for (size_t r = 1; r < roles_.size(); ++r) {
    if (roles_[r]) UpdateQuotaStanding(static_cast<Index>(r));
  }
  all_agents_dirty_ = true;
  return absl::OkStatus();
}

}  // namespace agora::allocator
