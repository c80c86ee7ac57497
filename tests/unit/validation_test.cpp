#include "common/validation.hpp"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(ValidationTest, InvalidFieldNamesTheFieldInMessageAndPayload) {
  absl::Status status = InvalidField("operations[1].launch", "must not be empty");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "operations[1].launch: must not be empty");
  EXPECT_EQ(ViolatedField(status), "operations[1].launch");
}

TEST(ValidationTest, PlainErrorsCarryNoField) {
  EXPECT_EQ(ViolatedField(absl::InvalidArgumentError("x")), std::nullopt);
  EXPECT_EQ(ViolatedField(absl::OkStatus()), std::nullopt);
}

TEST(ValidationTest, BuildsFieldPaths) {
  EXPECT_EQ(SubField(IndexedField("operations", 2), "launch"), "operations[2].launch");
  EXPECT_EQ(SubField("", "filters"), "filters");
}

TEST(ValidationTest, AcceptsValidRoles) {
  for (const char* role : {"*", "web", "eng/batch", "a.b/c_d/e-f"}) {
    EXPECT_TRUE(ValidateRole("role", role).ok()) << role;
  }
}

TEST(ValidationTest, RejectsMalformedRolesWithReason) {
  EXPECT_EQ(ValidateRole("roles[0]", "").message(), "roles[0]: role must not be empty");
  EXPECT_EQ(ValidateRole("roles[0]", "eng//x").message(),
            "roles[0]: role 'eng//x' has an empty segment");
  EXPECT_EQ(ValidateRole("roles[0]", "eng/..").message(),
            "roles[0]: role 'eng/..' has a '..' segment");
  EXPECT_EQ(ValidateRole("roles[0]", "-x").message(),
            "roles[0]: role '-x' has a segment starting with '-'");
  EXPECT_FALSE(ValidateRole("roles[0]", "a b").ok());
  EXPECT_FALSE(ValidateRole("roles[0]", "/a").ok());
  EXPECT_FALSE(ValidateRole("roles[0]", "a/*").ok());
  EXPECT_FALSE(ValidateRole("roles[0]", std::string(256, 'a')).ok());
}

TEST(ValidationTest, NumbersMustBeFiniteAndInRange) {
  EXPECT_TRUE(ValidateNonNegative("f", 0).ok());
  EXPECT_EQ(ValidateNonNegative("filters.refuse_seconds", -1).message(),
            "filters.refuse_seconds: must not be negative (got -1)");
  EXPECT_EQ(ValidateNonNegative("f", std::nan("")).message(), "f: must be a finite number");
  EXPECT_FALSE(ValidateNonNegative("f", std::numeric_limits<double>::infinity()).ok());
  EXPECT_TRUE(ValidatePositive("weight", 0.5).ok());
  EXPECT_EQ(ValidatePositive("weight", 0).message(), "weight: must be positive (got 0)");
}

TEST(ValidationTest, TextLengthAndPresence) {
  EXPECT_TRUE(ValidateText("name", "x", 10, true).ok());
  EXPECT_TRUE(ValidateText("name", "", 10, false).ok());
  EXPECT_EQ(ValidateText("name", "", 10, true).message(), "name: must not be empty");
  EXPECT_EQ(ValidateText("name", "0123456789a", 10, true).message(), "name: longer than 10 bytes");
}

}  // namespace
}  // namespace agora
