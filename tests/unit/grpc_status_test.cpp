#include "common/grpc_status.hpp"

#include <grpcpp/support/status.h>

#include "agora/v1/common.pb.h"
#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(GrpcStatusTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, CodeAndMessageSurviveTheRoundTrip) {
  absl::Status original = absl::AbortedError("offer O-1 is no longer valid");
  grpc::Status wire = ToGrpcStatus(original);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(wire.error_message(), "offer O-1 is no longer valid");
  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(back.message(), original.message());
}

TEST(GrpcStatusTest, FieldViolationTravelsAsRichDetail) {
  grpc::Status wire = ToGrpcStatus(InvalidField("offer_ids[0]", "unknown offer"));
  // Any gRPC client can decode the details as google.rpc.Status.
  v1::RpcStatus rich;
  ASSERT_TRUE(rich.ParseFromString(wire.error_details()));
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(rich.details_size(), 1);
  v1::FieldViolation violation;
  ASSERT_TRUE(rich.details(0).UnpackTo(&violation));
  EXPECT_EQ(violation.field(), "offer_ids[0]");
  EXPECT_EQ(ViolatedField(FromGrpcStatus(wire)), "offer_ids[0]");
}

TEST(GrpcStatusTest, NotLeaderErrorNamesTheLeader) {
  absl::Status status = NotLeaderError("10.0.0.7:5050", "m-1");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "not the leader; the leader is at 10.0.0.7:5050");
  EXPECT_EQ(LeaderAddressFrom(FromGrpcStatus(ToGrpcStatus(status))), "10.0.0.7:5050");
}

TEST(GrpcStatusTest, NoLeaderKnownCarriesNoAddress) {
  absl::Status status = NotLeaderError("", "");
  EXPECT_EQ(status.message(), "not the leader; no leader is elected yet");
  EXPECT_EQ(LeaderAddressFrom(status), std::nullopt);
}

TEST(GrpcStatusTest, GarbageDetailsAreIgnored) {
  grpc::Status wire(grpc::StatusCode::INTERNAL, "boom", "\xff\xff not a proto");
  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(LeaderAddressFrom(back), std::nullopt);
}

}  // namespace
}  // namespace agora
