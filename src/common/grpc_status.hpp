// Conversion between absl::Status (used everywhere inside Agora) and
// grpc::Status (on the wire), keeping the rich details: FieldViolation on
// INVALID_ARGUMENT and LeaderRedirect on UNAVAILABLE travel as
// agora.v1.RpcStatus (wire-compatible with google.rpc.Status) in the
// grpc-status-details-bin trailer.
#ifndef AGORA_COMMON_GRPC_STATUS_HPP_
#define AGORA_COMMON_GRPC_STATUS_HPP_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace grpc {
class Status;
}  // namespace grpc

namespace agora {

// The type URL of the LeaderRedirect payload on UNAVAILABLE statuses.
inline constexpr absl::string_view kLeaderRedirectUrl =
    "type.googleapis.com/agora.v1.LeaderRedirect";

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// UNAVAILABLE "not the leader" naming the current leader (empty if unknown).
absl::Status NotLeaderError(absl::string_view leader_address, absl::string_view leader_id);

// The leader address carried by a NotLeaderError (possibly after a trip
// through gRPC); nullopt if the status carries none or names no leader.
std::optional<std::string> LeaderAddressFrom(const absl::Status& status);

}  // namespace agora

#endif  // AGORA_COMMON_GRPC_STATUS_HPP_
