// Arithmetic and views of Resources. Parsing and printing live in
// resources_text.cpp, proto conversion in resources_proto.cpp.

#include "common/resources.hpp"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora {
namespace {

// a \ b for sorted, merged range lists.
std::vector<ValueRange> SubtractRanges(const std::vector<ValueRange>& a,
                                       const std::vector<ValueRange>& b) {
  std::vector<ValueRange> out;
  size_t j = 0;
  for (ValueRange current : a) {
    while (j < b.size() && b[j].end < current.begin) ++j;
    size_t k = j;
    bool alive = true;
    while (k < b.size() && b[k].begin <= current.end) {
      if (b[k].begin > current.begin) {
        out.push_back({current.begin, b[k].begin - 1});
      }
      if (b[k].end >= current.end) {
        alive = false;
        break;
      }
      current.begin = b[k].end + 1;
      ++k;
    }
    if (alive) out.push_back(current);
  }
  return out;
}

// True if every range of `b` lies inside one range of `a` (both merged).
bool RangesInclude(const std::vector<ValueRange>& a, const std::vector<ValueRange>& b) {
  size_t i = 0;
  for (const ValueRange& r : b) {
    while (i < a.size() && a[i].end < r.begin) ++i;
    if (i == a.size() || a[i].begin > r.begin || a[i].end < r.end) {
      return false;
    }
  }
  return true;
}

}  // namespace

const Resources::Entries& Resources::EmptyEntries() {
  static const Entries* const empty = new Entries();
  return *empty;
}

Resources::Entries& Resources::Mutable() {
  if (entries_ == nullptr) {
    entries_ = std::make_shared<Entries>();
  } else if (entries_.use_count() > 1) {
    // Another value shares the entries: they stay as they are for it. Only
    // this value's owner can raise the count, so 1 means private.
    entries_ = std::make_shared<Entries>(*entries_);
  }
  return *entries_;
}

void Resources::DropIfEmpty() {
  if (entries_ != nullptr && entries_->empty()) entries_.reset();
}

Resources Resources::FromScalar(absl::string_view name, double value) {
  ResourceEntry entry;
  entry.name = std::string(name);
  entry.type = ResourceEntry::Type::kScalar;
  CHECK(MilliFromDouble(value, &entry.scalar_milli))
      << "invalid scalar " << value << " for " << name;
  Resources out;
  out.Add(entry);
  return out;
}

Resources Resources::FromRanges(absl::string_view name, std::vector<ValueRange> ranges) {
  ResourceEntry entry;
  entry.name = std::string(name);
  entry.type = ResourceEntry::Type::kRanges;
  for (const ValueRange& r : ranges) CHECK_LE(r.begin, r.end);
  NormalizeRanges(&ranges);
  entry.ranges = std::move(ranges);
  Resources out;
  out.Add(entry);
  return out;
}

void Resources::Add(const ResourceEntry& entry) {
  if (entry.empty()) return;
  Entries& entries = Mutable();
  auto it = std::lower_bound(entries.begin(), entries.end(), entry, ResourceEntry::IdentityLess);
  if (it == entries.end() || !ResourceEntry::SameIdentity(*it, entry)) {
    entries.insert(it, entry);
    return;
  }
  switch (entry.type) {
    case ResourceEntry::Type::kScalar:
      it->scalar_milli += entry.scalar_milli;
      break;
    case ResourceEntry::Type::kRanges:
      it->ranges.insert(it->ranges.end(), entry.ranges.begin(), entry.ranges.end());
      NormalizeRanges(&it->ranges);
      break;
    case ResourceEntry::Type::kSet: {
      std::vector<std::string> merged;
      merged.reserve(it->set.size() + entry.set.size());
      std::set_union(it->set.begin(), it->set.end(), entry.set.begin(), entry.set.end(),
                     std::back_inserter(merged));
      it->set = std::move(merged);
      break;
    }
  }
}

void Resources::Subtract(const ResourceEntry& entry) {
  if (entry.empty()) return;
  // Find before unsharing: subtracting what is not held changes nothing.
  const Entries& view = entries();
  auto found = std::lower_bound(view.begin(), view.end(), entry, ResourceEntry::IdentityLess);
  if (found == view.end() || !ResourceEntry::SameIdentity(*found, entry)) {
    return;
  }
  const auto offset = found - view.begin();
  Entries& entries = Mutable();
  auto it = entries.begin() + offset;
  switch (entry.type) {
    case ResourceEntry::Type::kScalar:
      it->scalar_milli = std::max<int64_t>(0, it->scalar_milli - entry.scalar_milli);
      break;
    case ResourceEntry::Type::kRanges:
      it->ranges = SubtractRanges(it->ranges, entry.ranges);
      break;
    case ResourceEntry::Type::kSet: {
      std::vector<std::string> rest;
      std::set_difference(it->set.begin(), it->set.end(), entry.set.begin(), entry.set.end(),
                          std::back_inserter(rest));
      it->set = std::move(rest);
      break;
    }
  }
  if (it->empty()) {
    entries.erase(it);
    DropIfEmpty();
  }
}

bool Resources::Contains(const ResourceEntry& that) const {
  if (that.empty()) return true;
  const Entries& entries = this->entries();
  auto it = std::lower_bound(entries.begin(), entries.end(), that, ResourceEntry::IdentityLess);
  if (it == entries.end() || !ResourceEntry::SameIdentity(*it, that)) {
    return false;
  }
  switch (that.type) {
    case ResourceEntry::Type::kScalar:
      return it->scalar_milli >= that.scalar_milli;
    case ResourceEntry::Type::kRanges:
      return RangesInclude(it->ranges, that.ranges);
    case ResourceEntry::Type::kSet:
      return std::includes(it->set.begin(), it->set.end(), that.set.begin(), that.set.end());
  }
  return false;
}

bool Resources::Contains(const Resources& that) const {
  if (entries_ == that.entries_) return true;  // the same shared entries
  for (const ResourceEntry& entry : that) {
    if (!Contains(entry)) return false;
  }
  return true;
}

Resources& Resources::operator+=(const Resources& that) {
  if (empty()) {
    entries_ = that.entries_;  // share: `that` is already normalized
    return *this;
  }
  for (const ResourceEntry& entry : that) Add(entry);
  return *this;
}

Resources& Resources::operator-=(const Resources& that) {
  if (!empty() && entries_ == that.entries_) {
    entries_.reset();  // x - x is empty
    return *this;
  }
  for (const ResourceEntry& entry : that) Subtract(entry);
  return *this;
}

int64_t Resources::ScalarMilli(absl::string_view name) const {
  int64_t total = 0;
  for (const ResourceEntry& entry : *this) {
    if (entry.type == ResourceEntry::Type::kScalar && entry.name == name) {
      total += entry.scalar_milli;
    }
  }
  return total;
}

double Resources::Scalar(absl::string_view name) const {
  return static_cast<double>(ScalarMilli(name)) / 1000.0;
}

std::vector<ValueRange> Resources::Ranges(absl::string_view name) const {
  std::vector<ValueRange> out;
  for (const ResourceEntry& entry : *this) {
    if (entry.type == ResourceEntry::Type::kRanges && entry.name == name) {
      out.insert(out.end(), entry.ranges.begin(), entry.ranges.end());
    }
  }
  NormalizeRanges(&out);
  return out;
}

std::vector<std::string> Resources::Set(absl::string_view name) const {
  std::vector<std::string> out;
  for (const ResourceEntry& entry : *this) {
    if (entry.type == ResourceEntry::Type::kSet && entry.name == name) {
      out.insert(out.end(), entry.set.begin(), entry.set.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename Predicate>
Resources Resources::Filter(Predicate keep) const {
  const Entries& entries = this->entries();
  if (std::all_of(entries.begin(), entries.end(), keep)) return *this;  // shares
  Resources out;
  for (const ResourceEntry& entry : entries) {
    // Filtering preserves order and identity uniqueness.
    if (keep(entry)) out.Mutable().push_back(entry);
  }
  return out;
}

Resources Resources::Unreserved() const {
  return Filter([](const ResourceEntry& e) { return !e.reserved(); });
}

std::map<std::string, Resources> Resources::Reserved() const {
  std::map<std::string, Resources> out;
  for (const ResourceEntry& entry : *this) {
    if (entry.reserved()) out[entry.role()].Add(entry);
  }
  return out;
}

Resources Resources::ReservedFor(absl::string_view role) const {
  if (role == "*") return Unreserved();
  return Filter([role](const ResourceEntry& e) { return e.reserved() && e.role() == role; });
}

Resources Resources::AllocatableTo(absl::string_view role) const {
  return Filter([role](const ResourceEntry& e) {
    return !e.reserved() || e.role() == role || IsStrictSubrole(role, e.role());
  });
}

Resources Resources::Revocable() const {
  return Filter([](const ResourceEntry& e) { return e.revocable; });
}

Resources Resources::NonRevocable() const {
  return Filter([](const ResourceEntry& e) { return !e.revocable; });
}

Resources Resources::ScalarQuantities() const {
  Resources out;
  for (const ResourceEntry& entry : *this) {
    if (entry.type != ResourceEntry::Type::kScalar) continue;
    ResourceEntry stripped;
    stripped.name = entry.name;
    stripped.scalar_milli = entry.scalar_milli;
    out.Add(stripped);
  }
  return out;
}

absl::StatusOr<Resources> Resources::PushReservation(const Reservation& reservation) const {
  if (reservation.type != Reservation::Type::kDynamic) {
    return absl::InvalidArgumentError("only DYNAMIC reservations can be pushed");
  }
  if (absl::Status s = ValidateRole(reservation.role); !s.ok()) return s;
  if (reservation.role == "*") {
    return absl::InvalidArgumentError("cannot reserve for role '*'");
  }
  Resources out;
  for (const ResourceEntry& entry : *this) {
    if (entry.reserved() && !IsStrictSubrole(reservation.role, entry.role())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot reserve ", entry.name, " for role '", reservation.role, "': it is reserved for '",
          entry.role(), "' and a refinement must be a strict sub-role"));
    }
    ResourceEntry pushed = entry;
    pushed.reservations.push_back(reservation);
    out.Add(pushed);
  }
  return out;
}

absl::StatusOr<Resources> Resources::PopReservation() const {
  Resources out;
  for (const ResourceEntry& entry : *this) {
    if (!entry.reserved()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot unreserve ", entry.name, ": it is unreserved"));
    }
    if (entry.reservations.back().type != Reservation::Type::kDynamic) {
      return absl::InvalidArgumentError(absl::StrCat("cannot unreserve ", entry.name, " of role '",
                                                     entry.role(), "': the reservation is STATIC"));
    }
    ResourceEntry popped = entry;
    popped.reservations.pop_back();
    out.Add(popped);
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const Resources& resources) {
  return out << resources.ToString();
}

}  // namespace agora
