// Resources: parsing, printing, arithmetic and views.

#include "common/resources.hpp"

#include <gtest/gtest.h>

namespace agora {
namespace {

Resources R(absl::string_view text) {
  absl::StatusOr<Resources> parsed = Resources::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : Resources();
}

TEST(ResourcesParseTest, ParsesTheFlagSyntax) {
  Resources r = R("cpus:4;mem:8192;ports:[31000-32000];disk(role):100");
  EXPECT_EQ(r.cpus(), 4);
  EXPECT_EQ(r.mem(), 8192);
  EXPECT_EQ(r.disk(), 100);
  EXPECT_EQ(r.gpus(), 0);
  ASSERT_EQ(r.ports().size(), 1u);
  EXPECT_EQ(r.ports()[0], (ValueRange{31000, 32000}));
  EXPECT_EQ(r.ReservedFor("role").disk(), 100);
  EXPECT_EQ(r.Unreserved().disk(), 0);
  EXPECT_EQ(r.size(), 4u);
}

TEST(ResourcesParseTest, ParsesSetsMultipleRangesAndNestedRoles) {
  Resources r = R("zones:{b,a,b};ports:[10-20,1-5];cpus(eng/batch):2");
  EXPECT_EQ(r.Set("zones"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.ports(), (std::vector<ValueRange>{{1, 5}, {10, 20}}));
  EXPECT_EQ(r.ReservedFor("eng/batch").cpus(), 2);
  const ResourceEntry& cpus = *r.begin();
  ASSERT_EQ(cpus.reservations.size(), 1u);
  EXPECT_EQ(cpus.reservations[0].type, Reservation::Type::kStatic);
  EXPECT_EQ(cpus.role(), "eng/batch");
}

TEST(ResourcesParseTest, StarRoleIsUnreserved) {
  EXPECT_EQ(R("cpus(*):2"), R("cpus:2"));
  EXPECT_TRUE(R("cpus(*):2").Reserved().empty());
}

TEST(ResourcesParseTest, WhitespaceAndEmptyTokensAreTolerated) {
  EXPECT_EQ(R(" cpus : 4 ; ; mem:1 ;"), R("cpus:4;mem:1"));
  EXPECT_TRUE(R("").empty());
  EXPECT_TRUE(R(" ; ").empty());
}

TEST(ResourcesParseTest, DuplicatesAddUpAndRangesMerge) {
  EXPECT_EQ(R("cpus:1;cpus:2.5").cpus(), 3.5);
  EXPECT_EQ(R("ports:[1-5];ports:[3-8,10-10]").ports(),
            (std::vector<ValueRange>{{1, 8}, {10, 10}}));
  EXPECT_EQ(R("ports:[1-5,6-9]").ports(), (std::vector<ValueRange>{{1, 9}}));
}

TEST(ResourcesParseTest, ZeroAndEmptyValuesProduceNoEntry) {
  EXPECT_TRUE(R("cpus:0;ports:[];s:{}").empty());
}

TEST(ResourcesParseTest, RoundsToThousandths) {
  EXPECT_EQ(R("cpus:0.0004").cpus(), 0);
  EXPECT_EQ(R("cpus:0.0005").ScalarMilli("cpus"), 1);
  EXPECT_EQ(R("cpus:1.23456").ScalarMilli("cpus"), 1235);
}

struct BadInput {
  const char* text;
  const char* message;
};

class ResourcesMalformedTest : public testing::TestWithParam<BadInput> {};

TEST_P(ResourcesMalformedTest, RejectsWithMessageNamingThePart) {
  absl::StatusOr<Resources> parsed = Resources::Parse(GetParam().text);
  ASSERT_FALSE(parsed.ok()) << GetParam().text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, ResourcesMalformedTest,
    testing::Values(BadInput{"cpus:abc", "resource 'cpus:abc': 'abc' is not a number"},
                    BadInput{"cpus:-1", "resource 'cpus:-1': '-1' is negative"},
                    BadInput{"cpus:nan", "resource 'cpus:nan': 'nan' is not finite"},
                    BadInput{"cpus:inf", "resource 'cpus:inf': 'inf' is not finite"},
                    BadInput{"mem:1e300", "resource 'mem:1e300': '1e300' is too large"},
                    BadInput{":4", "resource ':4': name is empty"},
                    BadInput{"cpus", "resource 'cpus': missing ':' between name and value"},
                    BadInput{"cpus:", "resource 'cpus:': missing value"},
                    BadInput{"c pus:1",
                             "resource 'c pus:1': name 'c pus' contains invalid "
                             "character ' '"},
                    BadInput{"ports:[5-3]",
                             "resource 'ports:[5-3]': range '5-3' has "
                             "begin > end"},
                    BadInput{"ports:[1-2",
                             "resource 'ports:[1-2': ranges are missing "
                             "the closing ']'"},
                    BadInput{"ports:[1]",
                             "resource 'ports:[1]': range '1' is not of the "
                             "form begin-end"},
                    BadInput{"ports:[1-x]",
                             "resource 'ports:[1-x]': range '1-x': 'x' is "
                             "not a non-negative integer"},
                    BadInput{"ports:[-1-5]",
                             "resource 'ports:[-1-5]': range '-1-5' is "
                             "not of the form begin-end"},
                    BadInput{"ports:[1-2,]",
                             "resource 'ports:[1-2,]': range '' is not of "
                             "the form begin-end"},
                    BadInput{"ports:[1-99999999999999999999]",
                             "resource 'ports:[1-99999999999999999999]': range "
                             "'1-99999999999999999999': '99999999999999999999' is not a "
                             "non-negative integer"},
                    BadInput{"s:{a,,b}", "resource 's:{a,,b}': set has an empty item"},
                    BadInput{"s:{a", "resource 's:{a': set is missing the closing '}'"},
                    BadInput{"cpus(eng:1",
                             "resource 'cpus(eng:1': role is missing its "
                             "closing ')'"},
                    BadInput{"cpus():1", "resource 'cpus():1': role must not be empty"},
                    BadInput{"cpus(a//b):1",
                             "resource 'cpus(a//b):1': role 'a//b' has an empty "
                             "segment"},
                    BadInput{"cpus(a/..):1",
                             "resource 'cpus(a/..):1': role 'a/..' has a '..' "
                             "segment"},
                    BadInput{"cpus(-a):1",
                             "resource 'cpus(-a):1': role '-a' has a "
                             "segment starting with '-'"},
                    BadInput{"cpus:[1-2]",
                             "resource 'cpus:[1-2]': cpus must be a "
                             "scalar, not ranges"},
                    BadInput{"ports:5",
                             "resource 'ports:5': ports must be ranges, not a "
                             "scalar"},
                    BadInput{"x:1;x:{a}",
                             "resource 'x:{a}': x is a set here but a "
                             "scalar earlier"},
                    BadInput{"cpus:4;mem:1;disk:1x",
                             "resource 'disk:1x': '1x' is not a "
                             "number"}));

TEST(ResourcesTextTest, ToStringRoundTripsParse) {
  for (const char* text : {"cpus:4;mem:8192;ports:[31000-32000];disk(role):100",
                           "cpus:0.5;cpus(eng/batch):2.125;gpus:1;zones:{a,b,c}",
                           "ports:[1-5,10-20];mem(a):0.001", ""}) {
    Resources r = R(text);
    EXPECT_EQ(R(r.ToString()), r) << text << " -> " << r.ToString();
  }
  EXPECT_EQ(R("mem:8192;cpus:4;ports:[1-2]").ToString(), "cpus:4;mem:8192;ports:[1-2]");
  EXPECT_EQ(R("cpus:0.1;cpus(r):0.25").ToString(), "cpus:0.1;cpus(r):0.25");
}

TEST(ResourcesArithmeticTest, FixedPointNeverDrifts) {
  Resources total;
  Resources tenth = R("cpus:0.1");
  for (int i = 0; i < 1000; ++i) total += tenth;
  EXPECT_EQ(total, R("cpus:100"));
  for (int i = 0; i < 1000; ++i) total -= tenth;
  EXPECT_TRUE(total.empty());
  EXPECT_EQ(R("cpus:0.1") + R("cpus:0.2") - R("cpus:0.3"), Resources());
}

TEST(ResourcesArithmeticTest, AddsAndSubtractsEveryType) {
  Resources a = R("cpus:4;ports:[1-10];s:{a,b}");
  Resources b = R("cpus:1.5;ports:[3-4,10-12];s:{b,c}");
  EXPECT_EQ(a + b, R("cpus:5.5;ports:[1-12];s:{a,b,c}"));
  EXPECT_EQ(a - b, R("cpus:2.5;ports:[1-2,5-9];s:{a}"));
  EXPECT_EQ((a + b) - b - a, Resources());
}

TEST(ResourcesArithmeticTest, SubtractionSaturates) {
  EXPECT_TRUE((R("cpus:1") - R("cpus:2")).empty());
  EXPECT_EQ(R("cpus:1;mem:5") - R("gpus:3"), R("cpus:1;mem:5"));
  EXPECT_EQ(R("ports:[5-10]") - R("ports:[1-20]"), Resources());
}

TEST(ResourcesArithmeticTest, ReservedAndUnreservedDoNotMix) {
  Resources r = R("cpus:2;cpus(a):3");
  EXPECT_EQ(r.cpus(), 5);
  EXPECT_EQ(r - R("cpus(a):3"), R("cpus:2"));
  EXPECT_EQ(r - R("cpus(b):3"), r);
  EXPECT_FALSE(R("cpus:5").Contains(R("cpus(a):1")));
}

TEST(ResourcesArithmeticTest, ContainsComparesEachEntry) {
  Resources a = R("cpus:4;mem:10;ports:[1-10,20-30];s:{a,b}");
  EXPECT_TRUE(a.Contains(R("cpus:4;ports:[2-3,25-30];s:{b}")));
  EXPECT_TRUE(a.Contains(Resources()));
  EXPECT_FALSE(a.Contains(R("cpus:4.001")));
  EXPECT_FALSE(a.Contains(R("ports:[9-21]")));
  EXPECT_FALSE(a.Contains(R("s:{c}")));
  EXPECT_FALSE(a.Contains(R("gpus:1")));
  EXPECT_TRUE(Resources().Contains(Resources()));
}

TEST(ResourcesViewTest, ReservationViews) {
  Resources r = R("cpus:1;cpus(eng):2;cpus(eng/batch):4;mem(ops):8");
  EXPECT_EQ(r.Unreserved(), R("cpus:1"));
  EXPECT_EQ(r.ReservedFor("eng"), R("cpus(eng):2"));
  EXPECT_EQ(r.ReservedFor("*"), R("cpus:1"));
  std::map<std::string, Resources> reserved = r.Reserved();
  ASSERT_EQ(reserved.size(), 3u);
  EXPECT_EQ(reserved["eng/batch"], R("cpus(eng/batch):4"));
  EXPECT_EQ(reserved["ops"], R("mem(ops):8"));
  // Reserved to an ancestor is allocatable to a descendant, not vice versa.
  EXPECT_EQ(r.AllocatableTo("eng/batch").cpus(), 7);
  EXPECT_EQ(r.AllocatableTo("eng").cpus(), 3);
  EXPECT_EQ(r.AllocatableTo("engineering").cpus(), 1);
  EXPECT_EQ(r.AllocatableTo("ops").mem(), 8);
  EXPECT_EQ(r.ScalarQuantities(), R("cpus:7;mem:8"));
}

TEST(ResourcesViewTest, RevocableViews) {
  ResourceEntry entry = *R("cpus:2").begin();
  entry.revocable = true;
  Resources r = R("cpus:1");
  r.Add(entry);
  EXPECT_EQ(r.cpus(), 3);
  EXPECT_EQ(r.Revocable().cpus(), 2);
  EXPECT_EQ(r.NonRevocable(), R("cpus:1"));
  EXPECT_EQ(r.ToString(), "cpus:1;cpus{REV}:2");
}

TEST(ResourcesReservationTest, PushAndPopDynamicReservation) {
  Reservation dyn{Reservation::Type::kDynamic, "eng", "alice"};
  absl::StatusOr<Resources> reserved = R("cpus:2;mem:4").PushReservation(dyn);
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  EXPECT_EQ(reserved->ReservedFor("eng").cpus(), 2);
  EXPECT_TRUE(reserved->Unreserved().empty());
  EXPECT_EQ(reserved->ToString(), "cpus(eng DYNAMIC:alice):2;mem(eng DYNAMIC:alice):4");

  absl::StatusOr<Resources> popped = reserved->PopReservation();
  ASSERT_TRUE(popped.ok()) << popped.status();
  EXPECT_EQ(*popped, R("cpus:2;mem:4"));
}

TEST(ResourcesReservationTest, RefinementMustBeStrictSubrole) {
  Resources base = R("cpus(eng):2");
  Reservation child{Reservation::Type::kDynamic, "eng/batch", ""};
  absl::StatusOr<Resources> refined = base.PushReservation(child);
  ASSERT_TRUE(refined.ok());
  EXPECT_EQ(refined->ReservedFor("eng/batch").cpus(), 2);
  EXPECT_EQ(*refined->PopReservation(), base);

  Reservation sibling{Reservation::Type::kDynamic, "ops", ""};
  EXPECT_EQ(base.PushReservation(sibling).status().message(),
            "cannot reserve cpus for role 'ops': it is reserved for 'eng' "
            "and a refinement must be a strict sub-role");
}

TEST(ResourcesReservationTest, RejectsInvalidPushAndPop) {
  Resources r = R("cpus:1");
  EXPECT_FALSE(r.PushReservation({Reservation::Type::kStatic, "eng", ""}).ok());
  EXPECT_FALSE(r.PushReservation({Reservation::Type::kDynamic, "*", ""}).ok());
  EXPECT_FALSE(r.PushReservation({Reservation::Type::kDynamic, "a//b", ""}).ok());
  EXPECT_EQ(r.PopReservation().status().message(), "cannot unreserve cpus: it is unreserved");
  EXPECT_EQ(R("cpus(eng):1").PopReservation().status().message(),
            "cannot unreserve cpus of role 'eng': the reservation is STATIC");
}

TEST(ResourcesBuilderTest, FromScalarAndFromRanges) {
  EXPECT_EQ(Resources::FromScalar("cpus", 1.5), R("cpus:1.5"));
  EXPECT_TRUE(Resources::FromScalar("cpus", 0).empty());
  EXPECT_EQ(Resources::FromRanges("ports", {{10, 20}, {1, 9}}), R("ports:[1-20]"));
}

TEST(RoleTest, ValidatesAndComparesRoles) {
  EXPECT_TRUE(ValidateRole("*").ok());
  EXPECT_TRUE(ValidateRole("eng/batch.v2_x-y").ok());
  EXPECT_FALSE(ValidateRole("/eng").ok());
  EXPECT_FALSE(ValidateRole("eng/").ok());
  EXPECT_FALSE(ValidateRole("e ng").ok());
  EXPECT_FALSE(ValidateRole(".").ok());
  EXPECT_FALSE(ValidateRole(std::string(256, 'a')).ok());
  EXPECT_TRUE(IsStrictSubrole("a/b", "a"));
  EXPECT_TRUE(IsStrictSubrole("a/b/c", "a"));
  EXPECT_FALSE(IsStrictSubrole("a", "a"));
  EXPECT_FALSE(IsStrictSubrole("ab", "a"));
  EXPECT_FALSE(IsStrictSubrole("a", "a/b"));
}

}  // namespace
}  // namespace agora
