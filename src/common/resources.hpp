// Resources: the value type for CPU, memory, disk, ports, GPUs and any other
// named resource an agent offers, with the arithmetic the master and the
// allocator need.
//
// A `Resources` is a normalized collection of `ResourceEntry`s. Entries with
// the same identity (name, type, reservation stack, revocability) are always
// merged into one, and entries are kept sorted by identity, so two equal
// collections compare equal element by element. Empty entries (a zero
// scalar, no ranges, an empty set) are never stored.
//
// Scalars are held in fixed-point thousandths (int64), as the proto comment
// promises: 0.1 + 0.2 - 0.3 is exactly zero and repeated addition and
// subtraction never drift. Values finer than 0.001 are rounded to nearest.
//
// Subtraction is saturating: subtracting more than is held removes the
// entry (scalars never go negative, ranges and sets subtract what overlaps).
// Callers that must not over-subtract check `Contains` first.
//
// Thread-compatible value type, cheap to copy and to move: copies share one
// immutable entry vector (reference-counted, copy-on-write), so handing the
// same resources to an offer, an allocation map and a filter costs no deep
// copy. A mutation of a shared value first takes a private copy.

#ifndef AGORA_COMMON_RESOURCES_HPP_
#define AGORA_COMMON_RESOURCES_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agora/v1/common.pb.h"
#include "common/resource_entry.hpp"

namespace agora {

class Resources {
 public:
  using const_iterator = std::vector<ResourceEntry>::const_iterator;

  Resources() = default;

  // Parses the agent flag syntax: entries separated by ';', each
  // `name[(role)]:value` where value is a non-negative scalar (`4`, `0.5`),
  // ranges (`[31000-32000,40000-40010]`) or a set (`{a,b}`). `(role)` makes a
  // STATIC reservation for `role`; `(*)` or no parentheses is unreserved.
  // Repeated names are added together (their types must agree); overlapping
  // ranges merge. Empty tokens are ignored. Every malformed input yields
  // INVALID_ARGUMENT naming the offending entry and part.
  static absl::StatusOr<Resources> Parse(absl::string_view text);

  // Converts and validates proto resources. Errors are INVALID_ARGUMENT and
  // name the field below `field`, e.g. "resources[2].scalar: -1 is not a
  // finite number in [0, 1e12]". Reservation labels are not kept.
  static absl::StatusOr<Resources> FromProto(
      const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
      absl::string_view field = "resources");
  static absl::StatusOr<Resources> FromProto(const v1::Resource& resource);

  // Unreserved, non-revocable scalar `name` of `value` (rounded to 0.001;
  // CHECKs that value is finite and >= 0: for trusted code, not input).
  static Resources FromScalar(absl::string_view name, double value);
  // Unreserved, non-revocable ranges resource (e.g. ports).
  static Resources FromRanges(absl::string_view name, std::vector<ValueRange> ranges);

  google::protobuf::RepeatedPtrField<v1::Resource> ToProto() const;

  // Flag syntax, entries sorted by name. `Parse(r.ToString()) == r` for every
  // `r` expressible in the flag syntax (unreserved or one STATIC
  // reservation, non-revocable). Dynamic or refined reservations print as
  // the stack `name(role1,role2 DYNAMIC:principal)` and revocable entries as
  // `name{REV}:value`; those forms are for humans and are not parsed back.
  std::string ToString() const;

  bool empty() const { return entries_ == nullptr; }
  size_t size() const { return entries().size(); }
  const_iterator begin() const { return entries().begin(); }
  const_iterator end() const { return entries().end(); }

  // True if every entry of `that` is held here: same identity and at least
  // the scalar amount / a superset of the ranges or set.
  bool Contains(const Resources& that) const;
  bool Contains(const ResourceEntry& that) const;

  // Adds an entry (merged with an existing one of the same identity). The
  // entry must be normalized (see ResourceEntry); empty entries are ignored.
  void Add(const ResourceEntry& entry);
  // Saturating subtraction of one entry (see the class comment).
  void Subtract(const ResourceEntry& entry);

  Resources& operator+=(const Resources& that);
  Resources& operator-=(const Resources& that);
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  friend bool operator==(const Resources& a, const Resources& b) {
    return a.entries_ == b.entries_ || a.entries() == b.entries();
  }
  friend bool operator!=(const Resources& a, const Resources& b) { return !(a == b); }

  // Scalar totals across all reservations and revocability, in units.
  double Scalar(absl::string_view name) const;
  // The same in thousandths (exact).
  int64_t ScalarMilli(absl::string_view name) const;
  double cpus() const { return Scalar(kCpus); }
  double mem() const { return Scalar(kMem); }
  double disk() const { return Scalar(kDisk); }
  double gpus() const { return Scalar(kGpus); }

  // Union of all ranges named `name`, sorted and merged.
  std::vector<ValueRange> Ranges(absl::string_view name) const;
  std::vector<ValueRange> ports() const { return Ranges(kPorts); }
  // Union of all set items named `name`, sorted.
  std::vector<std::string> Set(absl::string_view name) const;

  // Reservation views. The reservation role of an entry is the role of the
  // last entry of its reservation stack; "*" denotes unreserved.
  Resources Unreserved() const;
  // Everything reserved, keyed by reservation role.
  std::map<std::string, Resources> Reserved() const;
  // Entries reserved exactly to `role` (`"*"`: the unreserved ones).
  Resources ReservedFor(absl::string_view role) const;
  // What may be offered to `role`: unreserved entries plus entries reserved
  // to `role` or to one of its ancestors (Mesos's hierarchical semantics:
  // resources reserved to "eng" may go to "eng/batch").
  Resources AllocatableTo(absl::string_view role) const;
  Resources Revocable() const;
  Resources NonRevocable() const;
  // Scalar entries only, with reservations and revocability stripped and
  // equal names merged: the quantity view used for shares and quota.
  Resources ScalarQuantities() const;

  // RESERVE: pushes `reservation` onto every entry's stack. The new role
  // must be `reservation`-valid and, for an already reserved entry, a strict
  // sub-role of its current role (refinement). Only DYNAMIC may be pushed.
  absl::StatusOr<Resources> PushReservation(const Reservation& reservation) const;
  // UNRESERVE: pops the last reservation of every entry. Fails if an entry
  // is unreserved or its last reservation is STATIC.
  absl::StatusOr<Resources> PopReservation() const;

  // Well-known names.
  static constexpr absl::string_view kCpus = "cpus";
  static constexpr absl::string_view kMem = "mem";
  static constexpr absl::string_view kDisk = "disk";
  static constexpr absl::string_view kGpus = "gpus";
  static constexpr absl::string_view kPorts = "ports";

 private:
  using Entries = std::vector<ResourceEntry>;

  template <typename Predicate>
  Resources Filter(Predicate keep) const;

  const Entries& entries() const { return entries_ ? *entries_ : EmptyEntries(); }
  static const Entries& EmptyEntries();
  // The entries for writing: unshared (copied first if another value shares
  // them) and allocated. Callers restore the invariants below, and call
  // DropIfEmpty() after removing entries.
  Entries& Mutable();
  void DropIfEmpty();

  // Sorted by ResourceEntry::IdentityLess; no two entries share an identity;
  // no entry is empty. Null when there are no entries (never an empty
  // vector), and never mutated while shared.
  std::shared_ptr<Entries> entries_;
};

std::ostream& operator<<(std::ostream& out, const Resources& resources);

}  // namespace agora

#endif  // AGORA_COMMON_RESOURCES_HPP_
