#include "common/validation.hpp"

#include <cmath>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agora/v1/common.pb.h"

namespace agora {

absl::Status InvalidField(absl::string_view field, absl::string_view reason) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
  v1::FieldViolation violation;
  violation.set_field(std::string(field));
  violation.set_description(std::string(reason));
  status.SetPayload(kFieldViolationUrl, absl::Cord(violation.SerializeAsString()));
  return status;
}

absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason) {
  absl::Status status(code, absl::StrCat(field, ": ", reason));
  v1::FieldViolation violation;
  violation.set_field(std::string(field));
  violation.set_description(std::string(reason));
  status.SetPayload(kFieldViolationUrl, absl::Cord(violation.SerializeAsString()));
  return status;
}

std::optional<std::string> ViolatedField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldViolationUrl);
  if (!payload) return std::nullopt;
  v1::FieldViolation violation;
  if (!violation.ParseFromString(std::string(*payload))) return std::nullopt;
  return violation.field();
}

std::string IndexedField(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

std::string SubField(absl::string_view parent, absl::string_view child) {
  if (parent.empty()) return std::string(child);
  return absl::StrCat(parent, ".", child);
}

namespace {

// Why `role` is not a valid role name; empty when it is.
std::string RoleProblem(absl::string_view role) {
  if (role == "*") return "";
  if (role.empty()) return "role must not be empty";
  if (role.size() > 255) return absl::StrCat("role '", role, "' is longer than 255 bytes");
  for (absl::string_view segment : absl::StrSplit(role, '/')) {
    if (segment.empty()) return absl::StrCat("role '", role, "' has an empty segment");
    if (segment == "." || segment == "..") {
      return absl::StrCat("role '", role, "' has a '", segment, "' segment");
    }
    if (segment[0] == '-') {
      return absl::StrCat("role '", role, "' has a segment starting with '-'");
    }
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-';
      if (!ok) {
        return absl::StrCat("role '", role, "' contains invalid character '",
                            absl::string_view(&c, 1), "'");
      }
    }
  }
  return "";
}

}  // namespace

absl::Status ValidateRole(absl::string_view role) {
  std::string problem = RoleProblem(role);
  return problem.empty() ? absl::OkStatus() : absl::InvalidArgumentError(problem);
}

absl::Status ValidateRole(absl::string_view field, absl::string_view role) {
  std::string problem = RoleProblem(role);
  return problem.empty() ? absl::OkStatus() : InvalidField(field, problem);
}

absl::Status ValidateNonNegative(absl::string_view field, double value) {
  if (!std::isfinite(value)) return InvalidField(field, "must be a finite number");
  if (value < 0) return InvalidField(field, absl::StrCat("must not be negative (got ", value, ")"));
  return absl::OkStatus();
}

absl::Status ValidatePositive(absl::string_view field, double value) {
  if (!std::isfinite(value)) return InvalidField(field, "must be a finite number");
  if (value <= 0) return InvalidField(field, absl::StrCat("must be positive (got ", value, ")"));
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_bytes,
                          bool required) {
  if (required && value.empty()) return InvalidField(field, "must not be empty");
  if (value.size() > max_bytes) {
    return InvalidField(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace agora
