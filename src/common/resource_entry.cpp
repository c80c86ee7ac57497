#include "common/resource_entry.hpp"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace agora {
namespace {

const std::string kUnreservedRole = "*";

// Largest scalar we accept, in units: keeps `value * 1000` well inside int64
// and far above any real machine.
constexpr double kMaxScalar = 1e12;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

void NormalizeRanges(std::vector<ValueRange>* ranges) {
  if (ranges->size() < 2) return;
  std::sort(ranges->begin(), ranges->end());
  size_t out = 0;
  for (size_t i = 1; i < ranges->size(); ++i) {
    ValueRange& last = (*ranges)[out];
    const ValueRange& next = (*ranges)[i];
    // Adjacent ranges merge too; `last.end + 1` cannot overflow past a
    // begin because begin <= UINT64_MAX.
    if (last.end == UINT64_MAX || next.begin <= last.end + 1) {
      last.end = std::max(last.end, next.end);
    } else {
      (*ranges)[++out] = next;
    }
  }
  ranges->resize(out + 1);
}

const std::string& ResourceEntry::role() const {
  return reservations.empty() ? kUnreservedRole : reservations.back().role;
}

bool ResourceEntry::empty() const {
  switch (type) {
    case Type::kScalar:
      return scalar_milli == 0;
    case Type::kRanges:
      return ranges.empty();
    case Type::kSet:
      return set.empty();
  }
  return true;
}

bool ResourceEntry::SameIdentity(const ResourceEntry& a, const ResourceEntry& b) {
  return a.name == b.name && a.type == b.type && a.revocable == b.revocable &&
         a.reservations == b.reservations;
}

bool ResourceEntry::IdentityLess(const ResourceEntry& a, const ResourceEntry& b) {
  if (int c = a.name.compare(b.name); c != 0) return c < 0;
  if (a.reservations != b.reservations) {
    return a.reservations < b.reservations;  // empty (unreserved) first
  }
  if (a.revocable != b.revocable) return !a.revocable;
  return a.type < b.type;
}

bool operator==(const ResourceEntry& a, const ResourceEntry& b) {
  if (!ResourceEntry::SameIdentity(a, b)) return false;
  switch (a.type) {
    case ResourceEntry::Type::kScalar:
      return a.scalar_milli == b.scalar_milli;
    case ResourceEntry::Type::kRanges:
      return a.ranges == b.ranges;
    case ResourceEntry::Type::kSet:
      return a.set == b.set;
  }
  return false;
}

bool IsStrictSubrole(absl::string_view child, absl::string_view parent) {
  return child.size() > parent.size() + 1 && child.substr(0, parent.size()) == parent &&
         child[parent.size()] == '/';
}

absl::Status ValidateResourceName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("name is empty");
  if (name.size() > 255) {
    return absl::InvalidArgumentError("name is longer than 255 bytes");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", name, "' contains invalid character '", std::string(1, c), "'"));
    }
  }
  return absl::OkStatus();
}

bool MilliFromDouble(double value, int64_t* milli) {
  if (!std::isfinite(value) || value < 0 || value > kMaxScalar) return false;
  *milli = std::llround(value * 1000.0);
  return true;
}

std::string FormatMilli(int64_t milli) {
  std::string out = absl::StrCat(milli / 1000);
  int64_t frac = milli % 1000;
  if (frac == 0) return out;
  std::string digits = absl::StrCat(1000 + frac).substr(1);  // zero-padded
  while (digits.back() == '0') digits.pop_back();
  return absl::StrCat(out, ".", digits);
}

}  // namespace agora
