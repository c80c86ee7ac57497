// Allocation: the master's view of the allocator, an AllocatorInterface-
// shaped seam. The master reports every event (agents, frameworks, recovered
// resources, filters, suppress/revive) and asks for decisions; the allocator
// never performs I/O or reads the clock (time is passed in).
//
// Accounting follows Mesos: resources handed out by Allocate() stay
// allocated to the framework (offered, then used by tasks) until the master
// calls Recover() for them (decline, rescind, unused part of an accept,
// terminal task).
//
// Errors: every call that changes state returns a status. A non-OK status
// means the call contradicts the allocator's accounting (an agent or
// framework it does not know, an agent added twice, resources recovered
// that are not allocated to that framework and role) and the allocator's
// state is unchanged. The master keeps the same books, so for it each error
// is a broken invariant: it counts it
// (agora_master_allocation_invariant_violations_total), logs it at ERROR
// and fails debug builds (LOG(DFATAL)); see MasterCore::CheckAllocation.
//
// Implementations: SimpleDrfAllocation (below, a placeholder used until the
// full hierarchical DRF library of src/allocator is wired in) and the
// adapter over agora_allocator. Owned by the master core; loop thread only,
// or, with MasterOptions::allocation_thread, owned by an AllocatorThread
// (allocator_thread.hpp) and called on its thread only: implementations
// need no locking either way.
#ifndef AGORA_MASTER_ALLOCATION_HPP_
#define AGORA_MASTER_ALLOCATION_HPP_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/resources.hpp"

namespace agora::master {

// Resources a framework's tasks hold on an agent, for one of its roles.
struct ResourceUse {
  std::string framework_id;
  std::string role;
  Resources resources;
};

// One offer the allocator decided on.
struct OfferDecision {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  Resources resources;
};

class Allocation {
 public:
  virtual ~Allocation() = default;

  // `used` is what frameworks' tasks already hold on the agent (known after a
  // re-registration).
  virtual absl::Status AddAgent(const std::string& agent_id, const Resources& total,
                                const std::vector<ResourceUse>& used) = 0;
  virtual absl::Status RemoveAgent(const std::string& agent_id) = 0;
  // Inactive agents (unreachable, draining) get no allocations.
  virtual absl::Status SetAgentActive(const std::string& agent_id, bool active) = 0;

  virtual absl::Status AddFramework(const std::string& framework_id,
                                    const std::vector<std::string>& roles,
                                    const std::set<std::string>& suppressed_roles) = 0;
  virtual absl::Status UpdateFramework(const std::string& framework_id,
                                       const std::vector<std::string>& roles,
                                       const std::set<std::string>& suppressed_roles) = 0;
  // Frees everything allocated to the framework.
  virtual absl::Status RemoveFramework(const std::string& framework_id) = 0;
  // Inactive (disconnected) frameworks get no offers but keep their usage.
  virtual absl::Status SetFrameworkActive(const std::string& framework_id, bool active) = 0;
  // Empty `roles`: all of the framework's roles.
  virtual absl::Status Suppress(const std::string& framework_id,
                                const std::set<std::string>& roles) = 0;
  // Unsuppresses the roles and clears all the framework's filters.
  virtual absl::Status Revive(const std::string& framework_id,
                              const std::set<std::string>& roles) = 0;

  // Returns resources to the pool. With `refuse`, the framework is not
  // offered these resources of that agent again before `now + *refuse`.
  virtual absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                               const std::string& role, const Resources& resources,
                               std::optional<absl::Duration> refuse, absl::Time now) = 0;

  // Sets a role's quota (scalar guarantee <= limit; empty limit: none; both
  // empty: no quota). The master validated both.
  virtual absl::Status UpdateQuota(const std::string& role, const Resources& guarantee,
                                   const Resources& limit) = 0;
  // Sets role weights (positive, finite; validated by the master); roles
  // not listed keep theirs.
  virtual absl::Status UpdateWeights(const std::map<std::string, double>& weights) = 0;

  // Hands out free resources. Deterministic for the same calls.
  virtual std::vector<OfferDecision> Allocate(absl::Time now) = 0;

  // Dominant share of every framework (for the operator API).
  virtual std::map<std::string, double> DominantShares() const = 0;
};

// Creates the built-in placeholder: each agent's free resources go, whole, to
// the eligible framework with the lowest dominant share (ties by id).
// Filters block an agent for a framework while the free resources are
// contained in what it refused.
std::unique_ptr<Allocation> NewSimpleDrfAllocation();

// The hierarchical DRF allocator of src/allocator (agora_allocator), the
// master's default.
std::unique_ptr<Allocation> NewDrfAllocation(absl::Duration default_refuse,
                                             absl::Duration max_refuse);

}  // namespace agora::master

#endif  // AGORA_MASTER_ALLOCATION_HPP_
