// Resources <-> the agent flag syntax ("cpus:4;mem:8192;ports:[1-5]").

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/resources.hpp"

namespace agora {
namespace {

const char* TypeName(ResourceEntry::Type type) {
  switch (type) {
    case ResourceEntry::Type::kScalar:
      return "a scalar";
    case ResourceEntry::Type::kRanges:
      return "ranges";
    case ResourceEntry::Type::kSet:
      return "a set";
  }
  return "unknown";
}

// The type a well-known name must have; false for other names.
bool WellKnownType(absl::string_view name, ResourceEntry::Type* type) {
  if (name == Resources::kCpus || name == Resources::kMem || name == Resources::kDisk ||
      name == Resources::kGpus) {
    *type = ResourceEntry::Type::kScalar;
    return true;
  }
  if (name == Resources::kPorts) {
    *type = ResourceEntry::Type::kRanges;
    return true;
  }
  return false;
}

// Parses "[1-5,10-20]" (brackets already stripped) into `entry`.
absl::Status ParseRanges(absl::string_view body, ResourceEntry* entry) {
  entry->type = ResourceEntry::Type::kRanges;
  if (absl::StripAsciiWhitespace(body).empty()) return absl::OkStatus();
  for (absl::string_view part : absl::StrSplit(body, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::vector<absl::string_view> bounds = absl::StrSplit(part, '-');
    if (bounds.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("range '", part, "' is not of the form begin-end"));
    }
    ValueRange range;
    for (int i = 0; i < 2; ++i) {
      absl::string_view bound = absl::StripAsciiWhitespace(bounds[i]);
      uint64_t* out = i == 0 ? &range.begin : &range.end;
      if (bound.empty() || bound.front() == '+' || !absl::SimpleAtoi(bound, out)) {
        return absl::InvalidArgumentError(
            absl::StrCat("range '", part, "': '", bound, "' is not a non-negative integer"));
      }
    }
    if (range.begin > range.end) {
      return absl::InvalidArgumentError(absl::StrCat("range '", part, "' has begin > end"));
    }
    entry->ranges.push_back(range);
  }
  NormalizeRanges(&entry->ranges);
  return absl::OkStatus();
}

// Parses "{a,b}" (braces already stripped) into `entry`.
absl::Status ParseSet(absl::string_view body, ResourceEntry* entry) {
  entry->type = ResourceEntry::Type::kSet;
  if (absl::StripAsciiWhitespace(body).empty()) return absl::OkStatus();
  for (absl::string_view item : absl::StrSplit(body, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) return absl::InvalidArgumentError("set has an empty item");
    if (item.find_first_of("{}[]();:") != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("set item '", item, "' contains a reserved character"));
    }
    entry->set.emplace_back(item);
  }
  std::sort(entry->set.begin(), entry->set.end());
  entry->set.erase(std::unique(entry->set.begin(), entry->set.end()), entry->set.end());
  return absl::OkStatus();
}

absl::Status ParseScalar(absl::string_view text, ResourceEntry* entry) {
  entry->type = ResourceEntry::Type::kScalar;
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a number"));
  }
  if (std::isnan(value) || std::isinf(value)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not finite"));
  }
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is negative"));
  }
  if (!MilliFromDouble(value, &entry->scalar_milli)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too large"));
  }
  return absl::OkStatus();
}

// Parses one `name[(role)]:value` token; errors are unprefixed.
absl::Status ParseEntry(absl::string_view token, ResourceEntry* entry) {
  size_t colon = token.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError("missing ':' between name and value");
  }
  absl::string_view head = absl::StripAsciiWhitespace(token.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(token.substr(colon + 1));

  absl::string_view name = head;
  size_t paren = head.find('(');
  if (paren != absl::string_view::npos) {
    if (head.back() != ')') {
      return absl::InvalidArgumentError("role is missing its closing ')'");
    }
    name = absl::StripAsciiWhitespace(head.substr(0, paren));
    absl::string_view role =
        absl::StripAsciiWhitespace(head.substr(paren + 1, head.size() - paren - 2));
    if (absl::Status s = ValidateRole(role); !s.ok()) return s;
    if (role != "*") {
      entry->reservations.push_back({Reservation::Type::kStatic, std::string(role), ""});
    }
  }
  if (absl::Status s = ValidateResourceName(name); !s.ok()) return s;
  entry->name = std::string(name);

  if (value.empty()) return absl::InvalidArgumentError("missing value");
  absl::Status parsed;
  if (value.front() == '[') {
    if (value.back() != ']') {
      return absl::InvalidArgumentError("ranges are missing the closing ']'");
    }
    parsed = ParseRanges(value.substr(1, value.size() - 2), entry);
  } else if (value.front() == '{') {
    if (value.back() != '}') {
      return absl::InvalidArgumentError("set is missing the closing '}'");
    }
    parsed = ParseSet(value.substr(1, value.size() - 2), entry);
  } else {
    parsed = ParseScalar(value, entry);
  }
  if (!parsed.ok()) return parsed;

  ResourceEntry::Type expected;
  if (WellKnownType(entry->name, &expected) && entry->type != expected) {
    return absl::InvalidArgumentError(absl::StrCat(entry->name, " must be ", TypeName(expected),
                                                   ", not ", TypeName(entry->type)));
  }
  return absl::OkStatus();
}

std::string FormatReservations(const std::vector<Reservation>& stack) {
  return absl::StrJoin(stack, ",", [](std::string* out, const Reservation& r) {
    out->append(r.role);
    if (r.type == Reservation::Type::kDynamic) {
      absl::StrAppend(out, " DYNAMIC");
      if (!r.principal.empty()) absl::StrAppend(out, ":", r.principal);
    }
  });
}

}  // namespace

absl::StatusOr<Resources> Resources::Parse(absl::string_view text) {
  Resources out;
  std::map<std::string, ResourceEntry::Type, std::less<>> seen_types;
  for (absl::string_view token : absl::StrSplit(text, ';')) {
    token = absl::StripAsciiWhitespace(token);
    if (token.empty()) continue;
    ResourceEntry entry;
    absl::Status status = ParseEntry(token, &entry);
    if (status.ok()) {
      auto [it, inserted] = seen_types.emplace(entry.name, entry.type);
      if (!inserted && it->second != entry.type) {
        status = absl::InvalidArgumentError(absl::StrCat(entry.name, " is ", TypeName(entry.type),
                                                         " here but ", TypeName(it->second),
                                                         " earlier"));
      }
    }
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("resource '", token, "': ", status.message()));
    }
    out.Add(entry);
  }
  return out;
}

std::string Resources::ToString() const {
  std::string out;
  for (const ResourceEntry& entry : *this) {
    if (!out.empty()) out.push_back(';');
    out.append(entry.name);
    if (entry.reserved()) {
      absl::StrAppend(&out, "(", FormatReservations(entry.reservations), ")");
    }
    if (entry.revocable) out.append("{REV}");
    out.push_back(':');
    switch (entry.type) {
      case ResourceEntry::Type::kScalar:
        out.append(FormatMilli(entry.scalar_milli));
        break;
      case ResourceEntry::Type::kRanges:
        absl::StrAppend(&out, "[",
                        absl::StrJoin(entry.ranges, ",",
                                      [](std::string* s, const ValueRange& r) {
                                        absl::StrAppend(s, r.begin, "-", r.end);
                                      }),
                        "]");
        break;
      case ResourceEntry::Type::kSet:
        absl::StrAppend(&out, "{", absl::StrJoin(entry.set, ","), "}");
        break;
    }
  }
  return out;
}

}  // namespace agora
