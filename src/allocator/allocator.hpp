// Allocator: Agora's hierarchical DRF allocator, a pure library.
//
// The master owns one Allocator and calls it only from its event loop; the
// Allocator does no I/O, starts no threads and reads no clock. Time comes in
// as `absl::Time now` on the calls that need it (the master passes its
// clock's Now(); tests pass a manual clock). Same options (seed), same calls
// -> same allocations.
//
// Model. Agents have total resources; frameworks subscribe to roles; roles
// form a tree by '/' ("eng/batch" is a child of "eng"). Every resource on an
// agent is either free or allocated to one (framework, role); "allocated"
// includes "offered": the master turns each Allocation into an offer and
// gives back what is declined, unused or freed with RecoverResources.
//
// A cycle (`Allocate`) visits the agents whose free resources changed (or
// every agent with free resources after a framework-side change such as a
// revive) in a seeded random order, and for each agent:
//   1. quota stage: roles with an unmet guarantee, neediest first, get
//      resources reserved to them plus unreserved ones up to the guarantee;
//   2. fair stage: roles in hierarchical weighted-DRF order, frameworks in
//      DRF order inside each role, get what is allocatable to the role
//      (unreserved + reserved to it or an ancestor), capped by quota limits
//      and by the headroom that keeps unmet guarantees satisfiable.
// Offers smaller than the minimum allocatable resources, filtered by a
// decline, to suppressed or inactive frameworks, from deactivated or
// draining agents, or of GPU agents to frameworks without the GPU capability
// are skipped. A cycle with nothing to do returns at once.
//
// Errors: calls naming unknown agents or frameworks return NOT_FOUND;
// invalid arguments INVALID_ARGUMENT; the state is unchanged on error.

#ifndef AGORA_ALLOCATOR_ALLOCATOR_HPP_
#define AGORA_ALLOCATOR_ALLOCATOR_HPP_

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "allocator/allocator_state.hpp"
#include "allocator/allocator_types.hpp"
#include "allocator/quantities.hpp"
#include "common/resources.hpp"

namespace agora::allocator {

class Allocator {
 public:
  explicit Allocator(AllocatorOptions options = {});
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // --- Agents ---------------------------------------------------------
  // Adds an agent with its total and the resources frameworks already use
  // on it. Usage by frameworks not yet added is tracked until they are.
  absl::Status AddAgent(const AgentSpec& spec);
  // Forgets the agent and every allocation and filter on it.
  absl::Status RemoveAgent(absl::string_view agent_id);
  // Replaces the agent's total (re-registration with new resources).
  // Allocations are kept; free = max(total - allocated, 0).
  absl::Status UpdateAgent(absl::string_view agent_id, const Resources& total);
  absl::Status ActivateAgent(absl::string_view agent_id);
  absl::Status DeactivateAgent(absl::string_view agent_id);
  // A draining agent gets no allocations until drained is set to false.
  absl::Status SetAgentDraining(absl::string_view agent_id, bool draining);

  // --- Frameworks -----------------------------------------------------
  absl::Status AddFramework(const FrameworkSpec& spec);
  // Recovers everything the framework holds and drops its filters.
  absl::Status RemoveFramework(absl::string_view framework_id);
  absl::Status ActivateFramework(absl::string_view framework_id);
  // Keeps the framework's allocations but offers it nothing.
  absl::Status DeactivateFramework(absl::string_view framework_id);
  // Stops offers to the framework for `roles` (empty: all its roles). A
  // suppressed framework costs nothing per cycle.
  absl::Status SuppressRoles(absl::string_view framework_id, const std::vector<std::string>& roles);
  // Resumes offers for `roles` (empty: all) and clears all of the
  // framework's filters.
  absl::Status ReviveRoles(absl::string_view framework_id, const std::vector<std::string>& roles);

  // --- Resources ------------------------------------------------------
  // Returns `resources` allocated to (framework, role) on the agent to the
  // free pool. With `refuse` set (a decline), the framework is not offered
  // resources of that agent contained in `resources` until now + refuse
  // (refuse <= 0 means the default, 5 s; capped at max_refuse). Resources
  // not allocated to the framework are ignored (INVALID_ARGUMENT if none
  // of them is).
  absl::Status RecoverResources(absl::string_view framework_id, absl::string_view agent_id,
                                absl::string_view role, const Resources& resources,
                                std::optional<absl::Duration> refuse, absl::Time now);
  // Applies RESERVE/UNRESERVE to allocated resources: `from` (allocated to
  // the framework) becomes `to`; both must have equal scalar quantities.
  // The agent's total changes accordingly.
  absl::Status UpdateAllocation(absl::string_view framework_id, absl::string_view agent_id,
                                absl::string_view role, const Resources& from, const Resources& to);

  // --- Policy ---------------------------------------------------------
  // Sets weights (positive, finite); roles not listed keep theirs.
  absl::Status UpdateWeights(const std::vector<std::pair<std::string, double>>& weights);
  // Sets a role's quota: scalar guarantee <= limit (empty limit: none;
  // empty guarantee: none). Reservations count towards consumption.
  absl::Status UpdateQuota(absl::string_view role, const Resources& guarantee,
                           const Resources& limit);

  // --- Allocation -----------------------------------------------------
  // Expires filters due at `now`, then allocates whatever changed since the
  // last cycle. Returns at most one Allocation per (framework, agent, role).
  std::vector<Allocation> Allocate(absl::Time now);
  // True if the next Allocate has work (an event since the last cycle);
  // expiring filters are reported by NextFilterExpiry instead.
  bool HasPendingWork() const;
  // When the earliest filter expires, if any (the master's periodic sweep
  // may use it to sleep longer).
  std::optional<absl::Time> NextFilterExpiry() const;

  AllocatorMetrics Metrics() const;
  // Recomputes the state kept in step incrementally for speed (each agent's
  // free-pool views, each framework's position in its role's order) and
  // returns INTERNAL naming the first record that differs. For tests:
  // O(agents + frameworks).
  absl::Status CheckDerivedState() const;
  // The agent's unallocated resources (for state endpoints and tests).
  absl::StatusOr<Resources> AgentFree(absl::string_view agent_id) const;

 private:
  // Candidates of one stage.
  enum class Stage { kQuota, kFair };
  struct FilterExpiry {
    absl::Time expires;
    Index agent;
    Index framework;
    bool operator>(const FilterExpiry& o) const { return expires > o.expires; }
  };
  using ExpiryHeap =
      std::priority_queue<FilterExpiry, std::vector<FilterExpiry>, std::greater<FilterExpiry>>;
  // One level of the stage-2 walk down the role tree.
  struct WalkLevel {
    Index role;
    Order::const_iterator next;
  };
  // An allocation of the agent being visited, turned into an Allocation
  // once the visit ends.
  struct PendingOutput {
    Index framework;
    Index role;
    Resources resources;
  };

  // allocator_roles.cpp: role tree, ordering, accounting.
  Index RoleIndex(absl::string_view name);
  Index FindRole(absl::string_view name) const;
  double ShareOf(const Quantities& allocated) const;
  double DrfKey(const Quantities& allocated, double weight) const;
  void SetEligible(Index framework, Membership* membership, bool eligible);
  void ChangeEligibleCount(Index role, int64_t delta);
  void UpdateOwnLeaf(Index role);
  bool Saturated(const RoleState& node) const;
  void RekeyFramework(Index framework, Membership* membership);
  void RekeyRoleChain(Index role);
  // While a cycle visits an agent, re-sorting is deferred to its end (the
  // visit sees the order as of its start, like Mesos's sorted snapshot).
  void FlushDeferredRekeys();
  void RekeyAll();
  void ChargeRole(Index role, const Quantities& all, const Quantities& unreserved, int sign);
  void ChargeReservations(Index role, const Quantities& reserved, int sign);
  void UpdateQuotaStanding(Index role);
  Index TopGuaranteeRole(Index role) const;
  void RefreshEligibility(Index framework);
  bool Eligible(const FrameworkState& fw, const Membership& m) const;

  // allocator.cpp helpers.
  AgentState* FindAgent(absl::string_view id, Index* index);
  FrameworkState* FindFramework(absl::string_view id, Index* index);
  Index FrameworkIndex(absl::string_view id, bool create_placeholder);
  // Moves `resources` (contained in the agent's free) to (framework, role).
  void Assign(Index agent, Index framework, Index role, const Resources& resources);
  // The same with the scalar quantities of `resources` already computed
  // (all, and the unreserved non-revocable part; see ToQuantities).
  void Assign(Index agent, Index framework, Index role, const Resources& resources,
              const Quantities& all, const Quantities& unreserved);
  // The bookkeeping half of Assign: `resources` already left the agent's
  // free pool.
  void Account(Index agent, Index framework, Index role, const Resources& resources,
               const Quantities& all, const Quantities& unreserved);
  // Recomputes the views of the agent's free pool (AgentState::free_all and
  // the rest) after `free` changed other than by Release or an offer.
  void RefreshFreeViews(AgentState* agent);
  // Moves `resources` (contained in the allocation) back to free; with
  // `to_free` false they vanish (the agent is being removed).
  void Release(Index agent, Index framework, Index role, const Resources& resources, bool to_free);
  Membership* MembershipFor(Index framework, Index role);
  // The framework's memberships for `roles` (all of them when empty), or
  // INVALID_ARGUMENT naming a role it is not subscribed to.
  absl::StatusOr<std::vector<Membership*>> MembershipsOf(FrameworkState* fw,
                                                         absl::string_view framework_id,
                                                         const std::vector<std::string>& roles);
  void SetAgentTotal(Index agent, const Resources& total);
  // Call after changing active/draining with the previous allocatability.
  void SetAgentAllocatable(Index agent, bool allocatable_before);
  void RecomputeInverseTotal();
  bool AgentAllocatable(const AgentState& agent) const;
  void MarkDirty(Index agent);
  void RemoveFilter(Index agent, Index framework);

  // allocator_cycle.cpp.
  void ExpireFilters(absl::Time now);
  void AllocateAgent(Index agent, std::vector<Allocation>* out);
  bool OfferTo(Index agent, Index framework, Index role, Stage stage,
               std::vector<PendingOutput>* pending);
  Resources Candidate(const AgentState& agent, Index role, Stage stage) const;
  // True if the candidate for (framework, role) is the agent's whole free
  // pool, unchanged: nothing to cap, exclude or strip.
  bool WholeFreeIsCandidate(const AgentState& agent, const FrameworkState& fw, Index role,
                            Stage stage) const;
  // True if `resources` (with scalar quantities `scalars`) is non-empty and
  // satisfies one of the minimum-allocatable alternatives.
  bool MeetsMinimum(const Resources& resources, const Quantities& scalars) const;
  bool FreeMeetsMinimum(const AgentState& agent) const { return agent.free_meets_minimum; }
  bool LimitedChain(Index role) const;
  bool Filtered(const AgentState& agent, Index framework, const Resources& candidate) const;
  std::vector<Index> AgentsToVisit();

  AllocatorOptions options_;
  ScalarIndex scalars_;
  std::vector<std::vector<std::pair<int, int64_t>>> min_allocatable_;

  std::vector<std::unique_ptr<AgentState>> agents_;
  std::vector<std::unique_ptr<FrameworkState>> frameworks_;
  std::vector<std::unique_ptr<RoleState>> roles_;  // roles_[0] is the root
  absl::flat_hash_map<std::string, Index> agent_index_;
  absl::flat_hash_map<std::string, Index> framework_index_;
  absl::flat_hash_map<std::string, Index> role_index_;

  Quantities pool_total_;
  // 1 / pool_total_ per scalar; 0 for an empty total and for the scalars
  // excluded from fair sharing.
  std::vector<double> inverse_total_;
  // Unreserved non-revocable free resources of allocatable agents, and the
  // part of them held back for unmet guarantees.
  Quantities available_headroom_;
  Quantities required_headroom_;
  // Roles with an unmet guarantee and an eligible own framework.
  Order quota_order_;
  // Roles whose own limits are reached: left out of the stage-2 walk and
  // visited only for agents with reserved free resources.
  std::set<Index> saturated_roles_;

  std::vector<Index> dirty_agents_;
  bool all_agents_dirty_ = false;
  bool keys_stale_ = false;
  bool deferring_ = false;
  std::vector<std::pair<Index, Index>> deferred_frameworks_;  // (fw, role)
  std::vector<Index> deferred_roles_;
  // Scratch of AllocateAgent, kept to reuse its capacity.
  std::vector<PendingOutput> pending_;
  std::vector<WalkLevel> walk_;
  ExpiryHeap expiries_;
  std::mt19937_64 rng_;
  AllocatorMetrics counters_;
  int live_agents_ = 0;
  int live_frameworks_ = 0;
};

}  // namespace agora::allocator

#endif  // AGORA_ALLOCATOR_ALLOCATOR_HPP_
