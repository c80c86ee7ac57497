#include "cli/operator_client.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "agora/v1/master.grpc.pb.h"
#include "common/grpc_status.hpp"

namespace agora::cli {

struct OperatorClient::Stub {
  explicit Stub(const std::string& address) {
    grpc::ChannelArguments args;
    // Listings of big clusters exceed the 4 MiB default.
    args.SetMaxReceiveMessageSize(256 * 1024 * 1024);
    stub = v1::MasterOperator::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  std::unique_ptr<v1::MasterOperator::Stub> stub;
};

OperatorClient::OperatorClient(std::string master, double timeout_seconds)
    : master_(std::move(master)),
      timeout_seconds_(timeout_seconds),
      stub_(std::make_unique<Stub>(master_)) {}

OperatorClient::~OperatorClient() = default;

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> OperatorClient::Call(const char* name, Method method,
                                              const Request& request) {
  absl::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds_ * 1000)));
    Response response;
    status = FromGrpcStatus((stub_->stub.get()->*method)(&context, request, &response));
    if (status.ok()) return response;
    std::optional<std::string> leader = LeaderAddressFrom(status);
    if (!leader.has_value() || *leader == master_) break;
    master_ = *leader;
    stub_ = std::make_unique<Stub>(master_);
  }
  return status;
}

absl::StatusOr<v1::GetTasksResponse> OperatorClient::GetTasks(const v1::GetTasksRequest& r) {
  return Call<v1::GetTasksRequest, v1::GetTasksResponse>("GetTasks",
                                                         &v1::MasterOperator::Stub::GetTasks, r);
}

absl::StatusOr<v1::GetAgentsResponse> OperatorClient::GetAgents(const v1::GetAgentsRequest& r) {
  return Call<v1::GetAgentsRequest, v1::GetAgentsResponse>("GetAgents",
                                                           &v1::MasterOperator::Stub::GetAgents, r);
}

absl::StatusOr<v1::GetFrameworksResponse> OperatorClient::GetFrameworks(
    const v1::GetFrameworksRequest& r) {
  return Call<v1::GetFrameworksRequest, v1::GetFrameworksResponse>(
      "GetFrameworks", &v1::MasterOperator::Stub::GetFrameworks, r);
}

absl::StatusOr<v1::GetOffersResponse> OperatorClient::GetOffers(const v1::GetOffersRequest& r) {
  return Call<v1::GetOffersRequest, v1::GetOffersResponse>("GetOffers",
                                                           &v1::MasterOperator::Stub::GetOffers, r);
}

absl::StatusOr<v1::GetHealthResponse> OperatorClient::GetHealth() {
  return Call<v1::GetHealthRequest, v1::GetHealthResponse>(
      "GetHealth", &v1::MasterOperator::Stub::GetHealth, v1::GetHealthRequest());
}

std::string DescribeCallError(const std::string& master, const char* call,
                              const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (LeaderAddressFrom(status).has_value() ||
          status.message().find("leader") != absl::string_view::npos) {
        return absl::StrCat("the master at ", master, " is not the leader: ", status.message());
      }
      return absl::StrCat("cannot reach the master at ", master, ": ", status.message());
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("cannot reach the master at ", master, ": no answer in time");
    case absl::StatusCode::kUnimplemented:
      return absl::StrCat("the master at ", master, " does not support ", call);
    default:
      return absl::StrCat(call, " failed: ", status.message());
  }
}

}  // namespace agora::cli
