#include "common/ids.hpp"

#include <set>
#include <string>

#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(IdsTest, AcceptsWellFormedIds) {
  EXPECT_TRUE(ValidateId("task_id", "web-1").ok());
  EXPECT_TRUE(ValidateId("task_id", "a.b_c-D9").ok());
  EXPECT_TRUE(ValidateId("task_id", std::string(kMaxIdLength, 'x')).ok());
}

TEST(IdsTest, RejectsEmptyIdNamingTheField) {
  absl::Status status = ValidateId("task_infos[0].task_id", "");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "task_infos[0].task_id: must not be empty");
}

TEST(IdsTest, RejectsOverlongAndForbiddenCharacters) {
  EXPECT_EQ(ValidateId("id", std::string(kMaxIdLength + 1, 'x')).message(),
            "id: longer than 255 bytes");
  EXPECT_EQ(ValidateId("id", "a/b").message(),
            "id: 'a/b' contains a character outside [A-Za-z0-9._-]");
  EXPECT_FALSE(ValidateId("id", "a b").ok());
  EXPECT_FALSE(ValidateId("id", std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateId("id", "..").ok());
}

TEST(IdsTest, EveryRejectionCarriesAFieldViolation) {
  for (const std::string& bad :
       {std::string(), std::string(kMaxIdLength + 1, 'x'), std::string("a/b"), std::string("..")}) {
    absl::Status status = ValidateId("header.framework_id", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ViolatedField(status), "header.framework_id") << status;
  }
}

TEST(IdsTest, GeneratorProducesDistinctIdsWithItsEpoch) {
  IdGenerator generator("e42");
  EXPECT_EQ(generator.Next("F"), "F-e42-1");
  EXPECT_EQ(generator.Next("F"), "F-e42-2");
  EXPECT_EQ(generator.Next("O"), "O-e42-3");
  EXPECT_TRUE(ValidateId("id", generator.Next("A")).ok());
}

TEST(IdsTest, UuidsAreSixteenBytesAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string uuid = NewUuidBytes();
    EXPECT_EQ(uuid.size(), 16u);
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, RandomHexIdsAreValidIds) {
  std::string id = RandomHexId();
  EXPECT_EQ(id.size(), 16u);
  EXPECT_TRUE(ValidateId("id", id).ok());
  EXPECT_NE(RandomHexId(), id);
}

TEST(IdsTest, BytesToHexRendersEveryByte) {
  EXPECT_EQ(BytesToHex(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(BytesToHex(""), "");
}

}  // namespace
}  // namespace agora
