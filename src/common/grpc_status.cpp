#include "common/grpc_status.hpp"

#include <grpcpp/support/status.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "agora/v1/common.pb.h"

namespace agora {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com/";

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  v1::RpcStatus rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  status.ForEachPayload([&rich](absl::string_view url, const absl::Cord& payload) {
    google::protobuf::Any* any = rich.add_details();
    any->set_type_url(std::string(url));
    any->set_value(std::string(payload));
  });
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      rich.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  v1::RpcStatus rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : rich.details()) {
      if (any.type_url().rfind(kTypeUrlPrefix, 0) != 0) continue;
      result.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return result;
}

absl::Status NotLeaderError(absl::string_view leader_address, absl::string_view leader_id) {
  absl::Status status = absl::UnavailableError(
      leader_address.empty() ? std::string("not the leader; no leader is elected yet")
                             : absl::StrCat("not the leader; the leader is at ", leader_address));
  v1::LeaderRedirect redirect;
  redirect.set_leader_address(std::string(leader_address));
  redirect.set_leader_id(std::string(leader_id));
  status.SetPayload(kLeaderRedirectUrl, absl::Cord(redirect.SerializeAsString()));
  return status;
}

std::optional<std::string> LeaderAddressFrom(const absl::Status& status) {
  auto payload = status.GetPayload(kLeaderRedirectUrl);
  if (!payload) return std::nullopt;
  v1::LeaderRedirect redirect;
  if (!redirect.ParseFromString(std::string(*payload)) || redirect.leader_address().empty()) {
    return std::nullopt;
  }
  return redirect.leader_address();
}

}  // namespace agora
