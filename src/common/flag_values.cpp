#include "common/flag_values.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/validation.hpp"

namespace agora {
namespace {

constexpr absl::string_view kDurationUnits = "ns, us, ms, s, m, h, days, weeks";
constexpr absl::string_view kSizeUnits = "B, KiB, MiB, GiB, TiB, KB, MB, GB, TB";

// Splits "1h30m" into {{"1", "h"}, {"30", "m"}}; false when the text is not
// a sequence of <number><letters> terms.
bool SplitTerms(absl::string_view text,
                std::vector<std::pair<absl::string_view, absl::string_view>>* terms) {
  size_t i = 0;
  while (i < text.size()) {
    size_t number_start = i;
    while (i < text.size() && (absl::ascii_isdigit(text[i]) || text[i] == '.')) ++i;
    if (i == number_start) return false;
    size_t unit_start = i;
    while (i < text.size() && absl::ascii_isalpha(text[i])) ++i;
    terms->emplace_back(text.substr(number_start, unit_start - number_start),
                        text.substr(unit_start, i - unit_start));
  }
  return !terms->empty();
}

// Nanoseconds per duration unit; 0 for an unknown unit.
double NanosPer(absl::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s" || unit == "sec" || unit == "secs") return 1e9;
  if (unit == "m" || unit == "min" || unit == "mins") return 60e9;
  if (unit == "h" || unit == "hr" || unit == "hrs") return 3600e9;
  if (unit == "d" || unit == "day" || unit == "days") return 86400e9;
  if (unit == "w" || unit == "week" || unit == "weeks") return 7 * 86400e9;
  return 0;
}

// Bytes per size unit; 0 for an unknown unit.
double BytesPer(absl::string_view unit) {
  if (unit == "B") return 1;
  if (unit == "KiB") return 1024.0;
  if (unit == "MiB") return 1024.0 * 1024;
  if (unit == "GiB") return 1024.0 * 1024 * 1024;
  if (unit == "TiB") return 1024.0 * 1024 * 1024 * 1024;
  if (unit == "KB") return 1e3;
  if (unit == "MB") return 1e6;
  if (unit == "GB") return 1e9;
  if (unit == "TB") return 1e12;
  return 0;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view flag, absl::string_view value,
                                                  absl::Duration bare_unit) {
  absl::string_view text = absl::StripAsciiWhitespace(value);
  auto bad = [&](absl::string_view why) {
    return InvalidField(flag, absl::StrCat("'", value, "' ", why));
  };
  if (text.empty()) return bad("is empty; expected a duration such as 250ms, 90s, 2m or 7days");
  if (text.front() == '-') return bad("is negative; durations must be >= 0");
  std::vector<std::pair<absl::string_view, absl::string_view>> terms;
  if (!SplitTerms(text, &terms)) {
    return bad("is not a duration such as 250ms, 90s, 2m or 7days");
  }
  double nanos = 0;
  for (const auto& [number, unit] : terms) {
    double amount = 0;
    if (!absl::SimpleAtod(number, &amount) || !std::isfinite(amount)) {
      return bad(absl::StrCat("has a malformed number '", number, "'"));
    }
    if (unit.empty()) {
      if (terms.size() > 1) return bad(absl::StrCat("has '", number, "' without a unit"));
      if (bare_unit == absl::ZeroDuration()) {
        return bad(absl::StrCat("has no unit (use one of ", kDurationUnits, ")"));
      }
      nanos += amount * absl::ToDoubleNanoseconds(bare_unit);
      continue;
    }
    double per = NanosPer(unit);
    if (per == 0) {
      return bad(
          absl::StrCat("has an unknown unit '", unit, "' (use one of ", kDurationUnits, ")"));
    }
    nanos += amount * per;
  }
  if (nanos > 100 * 365.25 * 86400e9) return bad("is longer than 100 years");
  return absl::Nanoseconds(std::llround(nanos));
}

absl::StatusOr<int64_t> ParseSizeValue(absl::string_view flag, absl::string_view value) {
  absl::string_view text = absl::StripAsciiWhitespace(value);
  auto bad = [&](absl::string_view why) {
    return InvalidField(flag, absl::StrCat("'", value, "' ", why));
  };
  if (text.empty()) return bad("is empty; expected a size such as 4096, 512KiB or 64MiB");
  if (text.front() == '-') return bad("is negative; sizes must be >= 0");
  std::vector<std::pair<absl::string_view, absl::string_view>> terms;
  if (!SplitTerms(text, &terms) || terms.size() != 1) {
    return bad("is not a size such as 4096, 512KiB or 64MiB");
  }
  auto [number, unit] = terms[0];
  double per = 1;
  if (!unit.empty()) {
    per = BytesPer(unit);
    if (per == 0) {
      return bad(absl::StrCat("has an unknown unit '", unit, "' (use one of ", kSizeUnits,
                              "; units are case-sensitive)"));
    }
  }
  double amount = 0;
  if (!absl::SimpleAtod(number, &amount) || !std::isfinite(amount)) {
    return bad(absl::StrCat("has a malformed number '", number, "'"));
  }
  double bytes = amount * per;
  if (bytes >= 9.2e18) return bad("is too large");
  if (bytes != std::floor(bytes)) return bad("is not a whole number of bytes");
  return static_cast<int64_t>(bytes);
}

std::string FormatDurationValue(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) return "0s";
  std::string out;
  int64_t nanos = absl::ToInt64Nanoseconds(duration);
  struct Unit {
    const char* name;
    int64_t nanos;
  };
  for (Unit unit :
       {Unit{"days", 86400'000'000'000}, Unit{"h", 3600'000'000'000}, Unit{"m", 60'000'000'000},
        Unit{"s", 1'000'000'000}, Unit{"ms", 1'000'000}, Unit{"us", 1'000}, Unit{"ns", 1}}) {
    if (nanos >= unit.nanos) {
      absl::StrAppend(&out, nanos / unit.nanos, unit.name);
      nanos %= unit.nanos;
    }
  }
  return out;
}

std::string FormatSizeValue(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrCat(bytes, units[unit]);
}

}  // namespace agora
