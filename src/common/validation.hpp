// Validation helpers that produce errors naming the bad field.
//
// Every error returned for bad input is INVALID_ARGUMENT with the message
// "<field>: <reason>" and an agora.v1.FieldViolation payload, which
// ToGrpcStatus() turns into a gRPC error detail so clients can point at the
// offending field programmatically.
#ifndef AGORA_COMMON_VALIDATION_HPP_
#define AGORA_COMMON_VALIDATION_HPP_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace agora {

// The type URL of the FieldViolation payload on INVALID_ARGUMENT statuses.
inline constexpr absl::string_view kFieldViolationUrl =
    "type.googleapis.com/agora.v1.FieldViolation";

// INVALID_ARGUMENT "<field>: <reason>" carrying a FieldViolation payload.
absl::Status InvalidField(absl::string_view field, absl::string_view reason);

// `code` with the message "<field>: <reason>" and a FieldViolation payload,
// for a well-formed field whose value the master refuses for another reason
// than its form: NOT_FOUND (names nothing the master knows),
// PERMISSION_DENIED (belongs to another principal), FAILED_PRECONDITION
// (names something in the wrong state, e.g. removed).
absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason);

// The field named by an InvalidField() status, if it carries one.
std::optional<std::string> ViolatedField(const absl::Status& status);

// "parent[index]" and "parent.child": build dotted field paths.
std::string IndexedField(absl::string_view parent, size_t index);
std::string SubField(absl::string_view parent, absl::string_view child);

// A role is "*" or '/'-separated segments of [A-Za-z0-9_.-], none empty,
// "." or "..", none starting with '-'; at most 255 bytes in all.
absl::Status ValidateRole(absl::string_view field, absl::string_view role);
// The same rules without a field name: INVALID_ARGUMENT "role '...' ...".
absl::Status ValidateRole(absl::string_view role);

// `value` must be finite and >= 0 (durations, refuse_seconds, weights...).
absl::Status ValidateNonNegative(absl::string_view field, double value);

// `value` must be finite and > 0.
absl::Status ValidatePositive(absl::string_view field, double value);

// A human-readable text field: at most `max_bytes` and, if `required`,
// non-empty.
absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_bytes,
                          bool required);

}  // namespace agora

#endif  // AGORA_COMMON_VALIDATION_HPP_
