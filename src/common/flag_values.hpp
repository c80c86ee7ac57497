// Flag values: the one vocabulary both daemons accept for durations and
// sizes, as pure parsers. Each error is INVALID_ARGUMENT "<flag>: <reason>"
// (InvalidField, so a FieldViolation names the flag) with the value quoted.
//
// Durations: a non-negative number followed by a unit, or a sequence of
// them ("1m30s"): ns, us, ms, s, m (also min, mins), h, d (days, day),
// w (weeks, week). Fractions are allowed ("1.5s"). A bare number is taken
// in `bare_unit` (seconds for every flag that took plain seconds before);
// pass absl::ZeroDuration() to refuse bare numbers.
//
// Sizes: a non-negative integer number of bytes, optionally followed by a
// binary unit B, KiB, MiB, GiB, TiB (factor 1024) or a decimal unit
// KB, MB, GB, TB (factor 1000, as SI and Prometheus mean them; "k"/"K" alone
// is refused as ambiguous). Fractions are allowed with a unit ("1.5GiB")
// when the result is a whole number of bytes.
#ifndef AGORA_COMMON_FLAG_VALUES_HPP_
#define AGORA_COMMON_FLAG_VALUES_HPP_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace agora {

// Parses a duration flag value; see the file comment. Refuses negative,
// infinite and unparsable values, and values above 100 years.
absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view flag, absl::string_view value,
                                                  absl::Duration bare_unit = absl::Seconds(1));

// Parses a size flag value in bytes; see the file comment. Refuses values
// that do not fit in int64.
absl::StatusOr<int64_t> ParseSizeValue(absl::string_view flag, absl::string_view value);

// Renders a duration the way the parser reads it back ("90s", "250ms",
// "1h30m"; "0s" for zero).
std::string FormatDurationValue(absl::Duration duration);

// Renders bytes with the largest binary unit that divides them ("16MiB",
// "1500B").
std::string FormatSizeValue(int64_t bytes);

}  // namespace agora

#endif  // AGORA_COMMON_FLAG_VALUES_HPP_
