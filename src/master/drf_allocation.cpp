// DrfAllocation: master::Allocation over the hierarchical DRF allocator of
// src/allocator. Translates the master's calls and logs (never fails on)
// allocator errors such as a recovery for an agent that was just removed.
#include <algorithm>

#include "allocator/allocator.hpp"
#include "glog/logging.h"
#include "master/allocation.hpp"

namespace agora::master {
namespace {

class DrfAllocation : public Allocation {
 public:
  DrfAllocation(absl::Duration default_refuse, absl::Duration max_refuse)
      : allocator_(Options(default_refuse, max_refuse)) {}

  void AddAgent(const std::string& agent_id, const Resources& total,
                const std::vector<ResourceUse>& used) override {
    allocator::AgentSpec spec;
    spec.id = agent_id;
    spec.total = total;
    for (const auto& use : used) {
      spec.used.push_back(allocator::ResourceUsage{use.framework_id, use.role, use.resources});
    }
    Check(allocator_.AddAgent(spec), "AddAgent");
  }

  void RemoveAgent(const std::string& agent_id) override {
    auto status = allocator_.RemoveAgent(agent_id);
    if (!absl::IsNotFound(status)) Check(status, "RemoveAgent");
  }

  void SetAgentActive(const std::string& agent_id, bool active) override {
    Check(active ? allocator_.ActivateAgent(agent_id) : allocator_.DeactivateAgent(agent_id),
          "SetAgentActive");
  }

  void AddFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                    const std::set<std::string>& suppressed_roles) override {
    allocator::FrameworkSpec spec;
    spec.id = framework_id;
    spec.roles = roles;
    spec.suppressed_roles.assign(suppressed_roles.begin(), suppressed_roles.end());
    Check(allocator_.AddFramework(spec), "AddFramework");
    suppressed_[framework_id] = suppressed_roles;
  }

  // The allocator has no role-change call: the suppression set is brought
  // in line; role changes apply to future subscriptions.
  void UpdateFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                       const std::set<std::string>& suppressed_roles) override {
    std::set<std::string>& current = suppressed_[framework_id];
    std::vector<std::string> suppress, revive;
    for (const auto& role : suppressed_roles)
      if (!current.count(role)) suppress.push_back(role);
    for (const auto& role : current)
      if (!suppressed_roles.count(role)) revive.push_back(role);
    if (!suppress.empty()) Check(allocator_.SuppressRoles(framework_id, suppress), "Suppress");
    if (!revive.empty()) Check(allocator_.ReviveRoles(framework_id, revive), "Revive");
    current = suppressed_roles;
  }

  void RemoveFramework(const std::string& framework_id) override {
    Check(allocator_.RemoveFramework(framework_id), "RemoveFramework");
    suppressed_.erase(framework_id);
  }

  void SetFrameworkActive(const std::string& framework_id, bool active) override {
    Check(active ? allocator_.ActivateFramework(framework_id)
                 : allocator_.DeactivateFramework(framework_id),
          "SetFrameworkActive");
  }

  void Suppress(const std::string& framework_id, const std::set<std::string>& roles) override {
    Check(allocator_.SuppressRoles(framework_id, {roles.begin(), roles.end()}), "Suppress");
    suppressed_[framework_id].insert(roles.begin(), roles.end());
  }

  void Revive(const std::string& framework_id, const std::set<std::string>& roles) override {
    Check(allocator_.ReviveRoles(framework_id, {roles.begin(), roles.end()}), "Revive");
    if (roles.empty()) {
      suppressed_[framework_id].clear();
    } else {
      for (const auto& role : roles) suppressed_[framework_id].erase(role);
    }
  }

  void Recover(const std::string& framework_id, const std::string& agent_id,
               const std::string& role, const Resources& resources,
               std::optional<absl::Duration> refuse, absl::Time now) override {
    if (resources.empty()) return;
    auto status = allocator_.RecoverResources(framework_id, agent_id, role, resources, refuse, now);
    Check(status, "RecoverResources");
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

  static void Check(const absl::Status& status, const char* call) {
    if (!status.ok()) LOG(WARNING) << "Allocator " << call << ": " << status;
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
