// SimpleDrfAllocation: the placeholder allocator behind master::Allocation.
// Flat (no role tree, quota or weights): frameworks are ordered by dominant
// share over the cluster total, each agent's free resources go whole to the
// first eligible framework. Errors as the Allocation contract says: unknown
// agents and frameworks are NOT_FOUND, recovering resources the framework
// does not hold on the agent is INVALID_ARGUMENT.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "master/allocation.hpp"

namespace agora::master {
namespace {

absl::Status UnknownAgent(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("unknown agent '", id, "'"));
}

absl::Status UnknownFramework(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("unknown framework '", id, "'"));
}

class SimpleDrfAllocation : public Allocation {
 public:
  absl::Status AddAgent(const std::string& agent_id, const Resources& total,
                        const std::vector<ResourceUse>& uses) override {
    if (agents_.count(agent_id)) {
      return absl::AlreadyExistsError(absl::StrCat("agent '", agent_id, "' already added"));
    }
    std::map<std::string, Resources> used;
    for (const auto& use : uses) used[use.framework_id] += use.resources;
    Agent& agent = agents_[agent_id];
    cluster_total_ -= agent.total;
    agent.total = total;
    agent.active = true;
    agent.allocated = used;
    cluster_total_ += total;
    for (const auto& [framework_id, resources] : used) allocated_[framework_id] += resources;
    return absl::OkStatus();
  }

  absl::Status RemoveAgent(const std::string& agent_id) override {
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) return UnknownAgent(agent_id);
    for (const auto& [framework_id, resources] : it->second.allocated)
      allocated_[framework_id] -= resources;
    cluster_total_ -= it->second.total;
    agents_.erase(it);
    for (auto& [id, framework] : frameworks_) framework.filters.erase(agent_id);
    return absl::OkStatus();
  }

  absl::Status SetAgentActive(const std::string& agent_id, bool active) override {
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) return UnknownAgent(agent_id);
    it->second.active = active;
    return absl::OkStatus();
  }

  absl::Status AddFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                            const std::set<std::string>& suppressed_roles) override {
    if (frameworks_.count(framework_id)) {
      return absl::AlreadyExistsError(absl::StrCat("framework '", framework_id, "' already added"));
    }
    Framework& framework = frameworks_[framework_id];
    framework.roles = roles;
    framework.suppressed = suppressed_roles;
    framework.active = true;
    return absl::OkStatus();
  }

  absl::Status UpdateFramework(const std::string& framework_id,
                               const std::vector<std::string>& roles,
                               const std::set<std::string>& suppressed_roles) override {
    auto it = frameworks_.find(framework_id);
    if (it == frameworks_.end()) return UnknownFramework(framework_id);
    it->second.roles = roles;
    it->second.suppressed = suppressed_roles;
    return absl::OkStatus();
  }

  absl::Status RemoveFramework(const std::string& framework_id) override {
    if (!frameworks_.erase(framework_id)) return UnknownFramework(framework_id);
    allocated_.erase(framework_id);
    for (auto& [id, agent] : agents_) agent.allocated.erase(framework_id);
    return absl::OkStatus();
  }

  absl::Status SetFrameworkActive(const std::string& framework_id, bool active) override {
    auto it = frameworks_.find(framework_id);
    if (it == frameworks_.end()) return UnknownFramework(framework_id);
    it->second.active = active;
    return absl::OkStatus();
  }

  absl::Status Suppress(const std::string& framework_id,
                        const std::set<std::string>& roles) override {
    auto it = frameworks_.find(framework_id);
    if (it == frameworks_.end()) return UnknownFramework(framework_id);
    if (roles.empty()) {
      it->second.suppressed.insert(it->second.roles.begin(), it->second.roles.end());
    } else {
      it->second.suppressed.insert(roles.begin(), roles.end());
    }
    return absl::OkStatus();
  }

  absl::Status Revive(const std::string& framework_id,
                      const std::set<std::string>& roles) override {
    auto it = frameworks_.find(framework_id);
    if (it == frameworks_.end()) return UnknownFramework(framework_id);
    if (roles.empty()) {
      it->second.suppressed.clear();
    } else {
      for (const auto& role : roles) it->second.suppressed.erase(role);
    }
    it->second.filters.clear();
    return absl::OkStatus();
  }

  absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const Resources& resources,
                       std::optional<absl::Duration> refuse, absl::Time now) override {
    if (resources.empty()) return absl::OkStatus();
    auto it = agents_.find(agent_id);
    if (it == agents_.end()) return UnknownAgent(agent_id);
    auto used = it->second.allocated.find(framework_id);
    if (used == it->second.allocated.end() || !used->second.Contains(resources)) {
      return absl::InvalidArgumentError(absl::StrCat("resources: ", resources.ToString(),
                                                     " are not allocated to framework '",
                                                     framework_id, "' on agent '", agent_id, "'"));
    }
    used->second -= resources;
    if (used->second.empty()) it->second.allocated.erase(used);
    if (auto total = allocated_.find(framework_id); total != allocated_.end()) {
      total->second -= resources;
    }
    if (refuse && *refuse > absl::ZeroDuration() && !resources.empty()) {
      auto framework = frameworks_.find(framework_id);
      if (framework != frameworks_.end()) {
        framework->second.filters[agent_id] = Filter{resources, now + *refuse};
      }
    }
    return absl::OkStatus();
  }

  // Flat DRF has no quota or weights: the master still records and reports
  // them (GetQuota, GetRoles), they only take effect with --allocator=drf.
  absl::Status UpdateQuota(const std::string&, const Resources&, const Resources&) override {
    return absl::OkStatus();
  }
  absl::Status UpdateWeights(const std::map<std::string, double>&) override {
    return absl::OkStatus();
  }

  std::vector<OfferDecision> Allocate(absl::Time now) override {
    std::vector<OfferDecision> decisions;
    for (auto& [agent_id, agent] : agents_) {
      if (!agent.active) continue;
      Resources free = agent.total;
      for (const auto& [framework_id, resources] : agent.allocated) free -= resources;
      if (!Allocatable(free)) continue;
      const std::string* chosen = nullptr;
      double best_share = std::numeric_limits<double>::infinity();
      std::string role;
      for (auto& [framework_id, framework] : frameworks_) {
        if (!framework.active) continue;
        std::string offer_role;
        for (const auto& candidate : framework.roles) {
          if (!framework.suppressed.count(candidate)) {
            offer_role = candidate;
            break;
          }
        }
        if (offer_role.empty()) continue;
        if (auto filter = framework.filters.find(agent_id); filter != framework.filters.end()) {
          if (filter->second.expiry > now && filter->second.refused.Contains(free)) continue;
          if (filter->second.expiry <= now) framework.filters.erase(filter);
        }
        double share = DominantShare(framework_id);
        if (share < best_share) {
          best_share = share;
          chosen = &framework_id;
          role = offer_role;
        }
      }
      if (chosen == nullptr) continue;
      agent.allocated[*chosen] += free;
      allocated_[*chosen] += free;
      decisions.push_back(OfferDecision{*chosen, agent_id, role, free});
    }
    return decisions;
  }

  std::map<std::string, double> DominantShares() const override {
    std::map<std::string, double> shares;
    for (const auto& [id, framework] : frameworks_) shares[id] = DominantShare(id);
    return shares;
  }

  double DominantShare(const std::string& framework_id) const {
    auto it = allocated_.find(framework_id);
    if (it == allocated_.end()) return 0;
    double share = 0;
    for (absl::string_view name : {Resources::kCpus, Resources::kMem, Resources::kDisk}) {
      double total = cluster_total_.Scalar(name);
      if (total > 0) share = std::max(share, it->second.Scalar(name) / total);
    }
    return share;
  }

 private:
  struct Filter {
    Resources refused;
    absl::Time expiry;
  };
  struct Agent {
    Resources total;
    bool active = true;
    std::map<std::string, Resources> allocated;  // By framework id.
  };
  struct Framework {
    std::vector<std::string> roles;
    std::set<std::string> suppressed;
    bool active = true;
    std::map<std::string, Filter> filters;  // By agent id.
  };

  static bool Allocatable(const Resources& free) { return free.cpus() >= 0.01 || free.mem() >= 32; }

  std::map<std::string, Agent> agents_;
  std::map<std::string, Framework> frameworks_;
  std::map<std::string, Resources> allocated_;  // By framework id.
  Resources cluster_total_;
};

}  // namespace

std::unique_ptr<Allocation> NewSimpleDrfAllocation() {
  return std::make_unique<SimpleDrfAllocation>();
}

}  // namespace agora::master
