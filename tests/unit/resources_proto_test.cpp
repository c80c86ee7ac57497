// Resources <-> agora.v1.Resource conversion and its validation.

#include <gtest/gtest.h>

#include "common/resources.hpp"
#include "common/validation.hpp"

namespace agora {
namespace {

Resources R(absl::string_view text) { return *Resources::Parse(text); }

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Resource::SCALAR);
  r.set_scalar(value);
  return r;
}

std::string ErrorOf(const v1::Resource& proto) {
  google::protobuf::RepeatedPtrField<v1::Resource> list;
  *list.Add() = Scalar("cpus", 1);
  *list.Add() = proto;
  absl::StatusOr<Resources> converted = Resources::FromProto(list);
  EXPECT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), absl::StatusCode::kInvalidArgument);
  // Every error carries a FieldViolation naming the field its message starts with.
  const std::string message(converted.status().message());
  std::optional<std::string> field = ViolatedField(converted.status());
  EXPECT_TRUE(field.has_value()) << message;
  EXPECT_EQ(message.rfind(field.value_or("(none)") + ": ", 0), 0u) << message;
  return message;
}

TEST(ResourcesProtoTest, RoundTripsEveryKind) {
  Resources r = R("cpus:4.5;mem(eng/batch):8192;ports:[1-5,10-20];s:{a,b}");
  Reservation dyn{Reservation::Type::kDynamic, "ops", "bob"};
  r += *R("disk:10").PushReservation(dyn);
  ResourceEntry revocable = *R("gpus:1").begin();
  revocable.revocable = true;
  r.Add(revocable);

  absl::StatusOr<Resources> back = Resources::FromProto(r.ToProto());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(ResourcesProtoTest, ToProtoWritesTheFields) {
  auto protos = R("cpus(eng):0.25;ports:[7-9]").ToProto();
  ASSERT_EQ(protos.size(), 2);
  EXPECT_EQ(protos[0].name(), "cpus");
  EXPECT_EQ(protos[0].type(), v1::Resource::SCALAR);
  EXPECT_DOUBLE_EQ(protos[0].scalar(), 0.25);
  ASSERT_EQ(protos[0].reservations_size(), 1);
  EXPECT_EQ(protos[0].reservations(0).type(), v1::ReservationInfo::STATIC);
  EXPECT_EQ(protos[0].reservations(0).role(), "eng");
  EXPECT_EQ(protos[1].ranges().range(0).begin(), 7u);
  EXPECT_EQ(protos[1].ranges().range(0).end(), 9u);
}

TEST(ResourcesProtoTest, MergesAndNormalizesInput) {
  google::protobuf::RepeatedPtrField<v1::Resource> list;
  *list.Add() = Scalar("cpus", 1);
  *list.Add() = Scalar("cpus", 0.5);
  *list.Add() = Scalar("mem", 0);
  EXPECT_EQ(*Resources::FromProto(list), R("cpus:1.5"));
}

TEST(ResourcesProtoTest, SingleResourceErrorsNameTheField) {
  EXPECT_EQ(Resources::FromProto(Scalar("cpus", -1)).status().message(),
            "scalar: -1 is not a finite number in [0, 1e12]");
}

TEST(ResourcesProtoTest, RejectsBadScalars) {
  EXPECT_EQ(ErrorOf(Scalar("cpus", -2)),
            "resources[1].scalar: -2 is not a finite number in [0, 1e12]");
  EXPECT_EQ(ErrorOf(Scalar("cpus", std::nan(""))),
            "resources[1].scalar: nan is not a finite number in [0, 1e12]");
  EXPECT_EQ(ErrorOf(Scalar("cpus", INFINITY)),
            "resources[1].scalar: inf is not a finite number in [0, 1e12]");
}

TEST(ResourcesProtoTest, RejectsBadNamesAndTypes) {
  EXPECT_EQ(ErrorOf(Scalar("", 1)), "resources[1].name: name is empty");
  v1::Resource untyped = Scalar("x", 1);
  untyped.set_type(v1::Resource::TYPE_UNSPECIFIED);
  EXPECT_EQ(ErrorOf(untyped), "resources[1].type: must be SCALAR, RANGES or SET");
  v1::Resource ports = Scalar("ports", 1);
  EXPECT_EQ(ErrorOf(ports), "resources[1].type: ports must be RANGES");
  v1::Resource cpus;
  cpus.set_name("cpus");
  cpus.set_type(v1::Resource::SET);
  cpus.mutable_set()->add_item("a");
  EXPECT_EQ(ErrorOf(cpus), "resources[1].type: cpus must be SCALAR");
}

TEST(ResourcesProtoTest, RejectsMixedValues) {
  v1::Resource mixed = Scalar("x", 1);
  mixed.mutable_set()->add_item("a");
  EXPECT_EQ(ErrorOf(mixed), "resources[1].set: must be empty for a SCALAR resource");
  v1::Resource ranges;
  ranges.set_name("ports");
  ranges.set_type(v1::Resource::RANGES);
  ranges.set_scalar(3);
  EXPECT_EQ(ErrorOf(ranges), "resources[1].scalar: must be empty for a RANGES resource");
}

TEST(ResourcesProtoTest, RejectsBadRangesAndSets) {
  v1::Resource ranges;
  ranges.set_name("ports");
  ranges.set_type(v1::Resource::RANGES);
  v1::Range* range = ranges.mutable_ranges()->add_range();
  range->set_begin(9);
  range->set_end(3);
  EXPECT_EQ(ErrorOf(ranges), "resources[1].ranges.range[0]: begin 9 > end 3");

  v1::Resource set;
  set.set_name("s");
  set.set_type(v1::Resource::SET);
  set.mutable_set()->add_item("a");
  set.mutable_set()->add_item("");
  EXPECT_EQ(ErrorOf(set), "resources[1].set.item[1]: is empty");
}

TEST(ResourcesProtoTest, RejectsBadReservations) {
  v1::Resource r = Scalar("cpus", 1);
  r.add_reservations()->set_role("eng");
  EXPECT_EQ(ErrorOf(r), "resources[1].reservations[0].type: must be STATIC or DYNAMIC");

  r.mutable_reservations(0)->set_type(v1::ReservationInfo::STATIC);
  r.mutable_reservations(0)->set_role("*");
  EXPECT_EQ(ErrorOf(r),
            "resources[1].reservations[0].role: '*' cannot be reserved for; "
            "omit the reservation");

  r.mutable_reservations(0)->set_role("eng");
  v1::ReservationInfo* second = r.add_reservations();
  second->set_type(v1::ReservationInfo::DYNAMIC);
  second->set_role("ops");
  EXPECT_EQ(ErrorOf(r),
            "resources[1].reservations[1].role: 'ops' must be a strict "
            "sub-role of 'eng'");

  second->set_role("eng/x");
  EXPECT_TRUE(Resources::FromProto(r).ok());
  v1::ReservationInfo* third = r.add_reservations();
  third->set_type(v1::ReservationInfo::STATIC);
  third->set_role("eng/x/y");
  EXPECT_EQ(ErrorOf(r),
            "resources[1].reservations[2].type: a STATIC reservation cannot "
            "refine a DYNAMIC one");
}

}  // namespace
}  // namespace agora
