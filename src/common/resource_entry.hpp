// Building blocks of `Resources`: an inclusive integer range, a reservation,
// one named resource entry, and the role-name rules shared with the
// allocator and the master's validation.

#ifndef AGORA_COMMON_RESOURCE_ENTRY_HPP_
#define AGORA_COMMON_RESOURCE_ENTRY_HPP_

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/validation.hpp"

namespace agora {

// An inclusive interval [begin, end] of non-negative integers; begin <= end.
struct ValueRange {
  uint64_t begin = 0;
  uint64_t end = 0;

  friend bool operator==(const ValueRange& a, const ValueRange& b) {
    return a.begin == b.begin && a.end == b.end;
  }
  friend bool operator<(const ValueRange& a, const ValueRange& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  }
};

// Sorts and merges overlapping or adjacent ranges in place ([1-3],[4-5] ->
// [1-5]). Every input range must satisfy begin <= end.
void NormalizeRanges(std::vector<ValueRange>* ranges);

// One level of a reservation stack: who the resource is reserved for.
struct Reservation {
  enum class Type { kStatic, kDynamic };

  Type type = Type::kStatic;
  std::string role;
  // Only meaningful for dynamic reservations.
  std::string principal;

  friend bool operator==(const Reservation& a, const Reservation& b) {
    return a.type == b.type && a.role == b.role && a.principal == b.principal;
  }
  friend bool operator<(const Reservation& a, const Reservation& b) {
    return std::tie(a.type, a.role, a.principal) < std::tie(b.type, b.role, b.principal);
  }
};

// One named resource with its value and identity. Normalized invariants
// (maintained by `Resources`): `ranges` sorted and merged, `set` sorted and
// unique, `scalar_milli` >= 0.
struct ResourceEntry {
  enum class Type { kScalar, kRanges, kSet };

  std::string name;
  Type type = Type::kScalar;
  // Thousandths of a unit: 1500 means 1.5.
  int64_t scalar_milli = 0;
  std::vector<ValueRange> ranges;
  std::vector<std::string> set;
  // Reservation stack, outermost first; empty means unreserved.
  std::vector<Reservation> reservations;
  bool revocable = false;

  bool reserved() const { return !reservations.empty(); }
  // The role that currently owns the entry; "*" when unreserved.
  const std::string& role() const;
  double scalar() const { return static_cast<double>(scalar_milli) / 1000.0; }
  bool empty() const;

  // True if `a` and `b` may be merged: same name, type, reservations and
  // revocability.
  static bool SameIdentity(const ResourceEntry& a, const ResourceEntry& b);
  // Strict weak order on identity; unreserved sorts before reserved.
  static bool IdentityLess(const ResourceEntry& a, const ResourceEntry& b);

  friend bool operator==(const ResourceEntry& a, const ResourceEntry& b);
};

// Role names are checked by ValidateRole(role) in common/validation.hpp.

// True if `child` is a strict descendant of `parent` ("a/b" of "a").
bool IsStrictSubrole(absl::string_view child, absl::string_view parent);

// Resource names: non-empty, at most 255 bytes of [A-Za-z0-9_.-].
absl::Status ValidateResourceName(absl::string_view name);

// Fixed-point helpers. `MilliFromDouble` rounds to the nearest thousandth
// and returns false for NaN, infinities, negatives and values too large to
// represent.
bool MilliFromDouble(double value, int64_t* milli);
std::string FormatMilli(int64_t milli);

}  // namespace agora

#endif  // AGORA_COMMON_RESOURCE_ENTRY_HPP_
