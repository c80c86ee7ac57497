// DrfAllocation: master::Allocation over the hierarchical DRF allocator of
// src/allocator. Translates the master's calls and returns the allocator's
// errors (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT) to the master, which
// treats each as a broken invariant.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "allocator/allocator.hpp"
#include "master/allocation.hpp"

namespace agora::master {
namespace {

class DrfAllocation : public Allocation {
 public:
  DrfAllocation(absl::Duration default_refuse, absl::Duration max_refuse)
      : allocator_(Options(default_refuse, max_refuse)) {}

  absl::Status AddAgent(const std::string& agent_id, const Resources& total,
                        const std::vector<ResourceUse>& used) override {
    allocator::AgentSpec spec;
    spec.id = agent_id;
    spec.total = total;
    for (const auto& use : used) {
      spec.used.push_back(allocator::ResourceUsage{use.framework_id, use.role, use.resources});
    }
    return allocator_.AddAgent(spec);
  }

  absl::Status RemoveAgent(const std::string& agent_id) override {
    return allocator_.RemoveAgent(agent_id);
  }

  absl::Status SetAgentActive(const std::string& agent_id, bool active) override {
    return active ? allocator_.ActivateAgent(agent_id) : allocator_.DeactivateAgent(agent_id);
  }

  absl::Status AddFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                            const std::set<std::string>& suppressed_roles) override {
    allocator::FrameworkSpec spec;
    spec.id = framework_id;
    spec.roles = roles;
    spec.suppressed_roles.assign(suppressed_roles.begin(), suppressed_roles.end());
    if (auto s = allocator_.AddFramework(spec); !s.ok()) return s;
    suppressed_[framework_id] = suppressed_roles;
    return absl::OkStatus();
  }

  // The allocator has no role-change call: the suppression set is brought
  // in line; role changes apply to future subscriptions.
  absl::Status UpdateFramework(const std::string& framework_id,
                               const std::vector<std::string>& roles,
                               const std::set<std::string>& suppressed_roles) override {
    auto it = suppressed_.find(framework_id);
    if (it == suppressed_.end()) {
      return absl::NotFoundError(absl::StrCat("unknown framework '", framework_id, "'"));
    }
    std::set<std::string>& current = it->second;
    std::vector<std::string> suppress, revive;
    for (const auto& role : suppressed_roles)
      if (!current.count(role)) suppress.push_back(role);
    for (const auto& role : current)
      if (!suppressed_roles.count(role)) revive.push_back(role);
    if (!suppress.empty()) {
      if (auto s = allocator_.SuppressRoles(framework_id, suppress); !s.ok()) return s;
    }
    if (!revive.empty()) {
      if (auto s = allocator_.ReviveRoles(framework_id, revive); !s.ok()) return s;
    }
    current = suppressed_roles;
    return absl::OkStatus();
  }

  absl::Status RemoveFramework(const std::string& framework_id) override {
    if (auto s = allocator_.RemoveFramework(framework_id); !s.ok()) return s;
    suppressed_.erase(framework_id);
    return absl::OkStatus();
  }

  absl::Status SetFrameworkActive(const std::string& framework_id, bool active) override {
    return active ? allocator_.ActivateFramework(framework_id)
                  : allocator_.DeactivateFramework(framework_id);
  }

  absl::Status Suppress(const std::string& framework_id,
                        const std::set<std::string>& roles) override {
    if (auto s = allocator_.SuppressRoles(framework_id, {roles.begin(), roles.end()}); !s.ok())
      return s;
    suppressed_[framework_id].insert(roles.begin(), roles.end());
    return absl::OkStatus();
  }

  absl::Status Revive(const std::string& framework_id,
                      const std::set<std::string>& roles) override {
    if (auto s = allocator_.ReviveRoles(framework_id, {roles.begin(), roles.end()}); !s.ok())
      return s;
    if (roles.empty()) {
      suppressed_[framework_id].clear();
    } else {
      for (const auto& role : roles) suppressed_[framework_id].erase(role);
    }
    return absl::OkStatus();
  }

  absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const Resources& resources,
                       std::optional<absl::Duration> refuse, absl::Time now) override {
    if (resources.empty()) return absl::OkStatus();
    return allocator_.RecoverResources(framework_id, agent_id, role, resources, refuse, now);
  }

  absl::Status UpdateQuota(const std::string& role, const Resources& guarantee,
                           const Resources& limit) override {
    return allocator_.UpdateQuota(role, guarantee, limit);
  }

  absl::Status UpdateWeights(const std::map<std::string, double>& weights) override {
    return allocator_.UpdateWeights({weights.begin(), weights.end()});
  }

  std::vector<OfferDecision> Allocate(absl::Time now) override {
    std::vector<OfferDecision> decisions;
    for (auto& allocation : allocator_.Allocate(now)) {
      decisions.push_back(OfferDecision{std::move(allocation.framework_id),
                                        std::move(allocation.agent_id), std::move(allocation.role),
                                        std::move(allocation.resources)});
    }
    return decisions;
  }

  std::map<std::string, double> DominantShares() const override {
    return allocator_.Metrics().framework_dominant_shares;
  }

 private:
  static allocator::AllocatorOptions Options(absl::Duration default_refuse,
                                             absl::Duration max_refuse) {
    allocator::AllocatorOptions options;
    options.default_refuse = default_refuse;
    options.max_refuse = max_refuse;
    return options;
  }

  allocator::Allocator allocator_;
  std::map<std::string, std::set<std::string>> suppressed_;
};

}  // namespace

std::unique_ptr<Allocation> NewDrfAllocation(absl::Duration default_refuse,
                                             absl::Duration max_refuse) {
  return std::make_unique<DrfAllocation>(default_refuse, max_refuse);
}

}  // namespace agora::master
