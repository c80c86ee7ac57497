// Internal bookkeeping of the Allocator: one record per agent, framework and
// role, addressed by dense indices that are never reused (removed records
// leave a null slot). Not part of the public API.

#ifndef AGORA_ALLOCATOR_ALLOCATOR_STATE_HPP_
#define AGORA_ALLOCATOR_ALLOCATOR_STATE_HPP_

#include <cstdint>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "allocator/quantities.hpp"
#include "common/resources.hpp"

namespace agora::allocator {

using Index = uint32_t;
constexpr Index kNoIndex = UINT32_MAX;

// One member of an Order: ordered by key, then index. `key` is mutable so
// that MoveKey can change it in place when the member keeps its position
// (then the set's order, all that its tree depends on, is unchanged).
struct Ranked {
  mutable double key;
  Index index;

  friend bool operator<(const Ranked& a, const Ranked& b) {
    return a.key < b.key || (!(b.key < a.key) && a.index < b.index);
  }
};

// An ordered set of (sort key, index): the sorter of one tree level.
using Order = std::set<Ranked>;

// Moves `index` from key `from` to key `to` in `order`: in place when it
// stays between its neighbours (a sorter of one or a few members, or a small
// change), else by reusing its tree node (no allocation); inserts it if it
// was not there.
// The same for a member whose position `it` is known (no search for it).
// Returns its position afterwards: the same node, so an iterator kept
// elsewhere stays valid either way.
inline Order::iterator MoveKeyAt(Order* order, Order::iterator it, double to) {
  const Ranked moved{to, it->index};
  const bool after_previous = it == order->begin() || *std::prev(it) < moved;
  const bool before_next = std::next(it) == order->end() || moved < *std::next(it);
  if (after_previous && before_next) {
    it->key = to;
    return it;
  }
  auto node = order->extract(it);
  node.value().key = to;
  return order->insert(std::move(node)).position;
}

inline void MoveKey(Order* order, double from, double to, Index index) {
  if (order->size() == 1 && order->begin()->index == index) {
    order->begin()->key = to;  // a sorter of one (a role alone at its level)
    return;
  }
  auto it = order->find({from, index});
  if (it == order->end()) {
    order->insert({to, index});
    return;
  }
  MoveKeyAt(order, it, to);
}

// Key of an allocation on an agent: (framework, role).
inline uint64_t AllocationKey(Index framework, Index role) {
  return (static_cast<uint64_t>(framework) << 32) | role;
}

struct Filter {
  // Shared between filters of one agent that refused the same resources.
  std::shared_ptr<const Resources> refused;
  absl::Time expires;
};

struct AgentState {
  std::string id;
  Resources total;
  // total minus every allocation on the agent.
  Resources free;
  // Views of `free`, kept in step with it by every change (see
  // Allocator::RefreshFreeViews): its scalar quantities, all of them and the
  // unreserved non-revocable part, and whether it holds reserved or
  // revocable entries. The cycle reads these instead of walking `free` for
  // every candidate.
  Quantities free_all;
  Quantities free_unreserved;
  bool free_reserved = false;
  bool free_revocable = false;
  // `free` is non-empty and meets a minimum-allocatable alternative.
  bool free_meets_minimum = false;
  Quantities total_quantities;
  // Reservation quantities by role index (count towards quota).
  std::vector<std::pair<Index, Quantities>> reserved_by_role;
  // Offered or allocated, keyed by AllocationKey.
  absl::flat_hash_map<uint64_t, Resources> allocated;
  // Filters keyed by framework index.
  absl::flat_hash_map<Index, Filter> filters;
  // The refused set of the latest filter, shared by equal later ones.
  std::shared_ptr<const Resources> last_refused;
  bool active = true;
  bool draining = false;
  bool has_gpus = false;
  bool dirty = false;
};

struct Membership {
  Index role = kNoIndex;
  Quantities allocated;
  double key = 0;
  bool in_order = false;
  // The framework's member of the role's `frameworks` order, while in_order.
  Order::iterator position;
  bool suppressed = false;
  // False once the framework left the role but still holds resources in it.
  bool subscribed = true;
};

struct FrameworkState {
  std::string id;
  std::vector<Membership> memberships;
  bool active = false;
  // Known only through an agent's reported usage, not yet added.
  bool placeholder = false;
  bool gpu_capable = false;
  bool revocable_capable = false;
  absl::flat_hash_set<Index> agents_with_filters;
  absl::flat_hash_set<Index> agents_with_allocations;

  Membership* Find(Index role) {
    for (Membership& m : memberships) {
      if (m.role == role) return &m;
    }
    return nullptr;
  }
};

struct RoleState {
  std::string name;
  Index parent = kNoIndex;
  double weight = 1;

  Quantities guarantee;
  Quantities limit;
  // Which scalar indices carry a guarantee / a limit.
  std::vector<int> guarantee_names;
  std::vector<int> limit_names;

  // Allocated to this role's own frameworks, and to its whole subtree.
  Quantities own_allocated;
  Quantities subtree_allocated;
  // Quota consumption of the subtree = allocated unreserved non-revocable
  // + every reservation for the subtree.
  Quantities subtree_consumed;

  // Children (by role index) with eligible frameworks, plus the role itself
  // (its "own" leaf) when its own frameworks include an eligible one.
  Order order;
  // Eligible (active, unsuppressed) frameworks of the role itself.
  Order frameworks;
  double key = 0;
  double own_key = 0;
  bool in_parent_order = false;
  bool own_in_order = false;
  // Own limits leave no room for an unreserved offer (see Saturated()).
  bool saturated = false;
  int64_t eligible_in_subtree = 0;

  // Member in the unsatisfied-guarantee order of stage 1.
  double quota_key = 0;
  bool in_quota_order = false;
  // Contribution to the required headroom (only for the top-most roles
  // with a guarantee).
  Quantities headroom_contribution;

  int frameworks_subscribed = 0;

  bool has_guarantee() const { return !guarantee_names.empty(); }
};

}  // namespace agora::allocator

#endif  // AGORA_ALLOCATOR_ALLOCATOR_STATE_HPP_
