#include "cli/operator_client.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agora/v1/master.grpc.pb.h"
#include "cli/master_candidates.hpp"
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

namespace {

// Nothing answered there: worth trying another master.
bool Unreachable(const absl::Status& status) {
  return (status.code() == absl::StatusCode::kUnavailable && !LeaderAddressFrom(status)) ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

OperatorClient::OperatorClient(std::string master, double timeout_seconds)
    : spec_(master), master_(std::move(master)), timeout_seconds_(timeout_seconds) {}

OperatorClient::~OperatorClient() = default;

absl::Status OperatorClient::FindCandidates() {
  if (!candidates_.empty()) return absl::OkStatus();
  auto candidates = MasterCandidates(spec_, absl::Seconds(timeout_seconds_));
  if (!candidates.ok()) return candidates.status();
  candidates_ = std::move(*candidates);
  return absl::OkStatus();
}

OperatorClient::Stub& OperatorClient::StubFor(const std::string& address) {
  std::unique_ptr<Stub>& stub = stubs_[address];
  if (stub == nullptr) stub = std::make_unique<Stub>(address);
  return *stub;
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> OperatorClient::Call(const char* name, Method method,
                                              const Request& request) {
  (void)name;
  if (absl::Status found = FindCandidates(); !found.ok()) return found;
  absl::Status status;
  std::string failures;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    size_t index = (next_candidate_ + i) % candidates_.size();
    absl::StatusOr<Response> response =
        CallOne<Request, Response>(candidates_[index], method, request);
    if (response.ok() || !Unreachable(response.status())) {
      next_candidate_ = index;
      return response;
    }
    status = response.status();
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", candidates_[index], ": ",
                    status.message());
  }
  if (candidates_.size() == 1) return status;
  master_ = spec_;
  return absl::UnavailableError(absl::StrCat("no master answered (", failures, ")"));
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> OperatorClient::CallOne(std::string address, Method method,
                                                 const Request& request) {
  absl::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    master_ = address;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds_ * 1000)));
    Response response;
    status = FromGrpcStatus((StubFor(address).stub.get()->*method)(&context, request, &response));
    if (status.ok()) return response;
    std::optional<std::string> leader = LeaderAddressFrom(status);
    if (!leader.has_value() || *leader == address) break;
    address = *leader;
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

absl::StatusOr<v1::MasterState> OperatorClient::GetState() {
  return Call<v1::GetStateRequest, v1::MasterState>("GetState", &v1::MasterOperator::Stub::GetState,
                                                    v1::GetStateRequest());
}

absl::StatusOr<v1::GetRolesResponse> OperatorClient::GetRoles() {
  return Call<v1::GetRolesRequest, v1::GetRolesResponse>(
      "GetRoles", &v1::MasterOperator::Stub::GetRoles, v1::GetRolesRequest());
}

absl::StatusOr<v1::GetQuotaResponse> OperatorClient::GetQuota() {
  return Call<v1::GetQuotaRequest, v1::GetQuotaResponse>(
      "GetQuota", &v1::MasterOperator::Stub::GetQuota, v1::GetQuotaRequest());
}

absl::StatusOr<v1::UpdateQuotaResponse> OperatorClient::UpdateQuota(
    const v1::UpdateQuotaRequest& r) {
  return Call<v1::UpdateQuotaRequest, v1::UpdateQuotaResponse>(
      "UpdateQuota", &v1::MasterOperator::Stub::UpdateQuota, r);
}

absl::StatusOr<v1::GetWeightsResponse> OperatorClient::GetWeights() {
  return Call<v1::GetWeightsRequest, v1::GetWeightsResponse>(
      "GetWeights", &v1::MasterOperator::Stub::GetWeights, v1::GetWeightsRequest());
}

absl::StatusOr<v1::UpdateWeightsResponse> OperatorClient::UpdateWeights(
    const v1::UpdateWeightsRequest& r) {
  return Call<v1::UpdateWeightsRequest, v1::UpdateWeightsResponse>(
      "UpdateWeights", &v1::MasterOperator::Stub::UpdateWeights, r);
}

absl::StatusOr<v1::DrainAgentResponse> OperatorClient::DrainAgent(const v1::DrainAgentRequest& r) {
  return Call<v1::DrainAgentRequest, v1::DrainAgentResponse>(
      "DrainAgent", &v1::MasterOperator::Stub::DrainAgent, r);
}

absl::StatusOr<v1::DeactivateAgentResponse> OperatorClient::DeactivateAgent(
    const v1::DeactivateAgentRequest& r) {
  return Call<v1::DeactivateAgentRequest, v1::DeactivateAgentResponse>(
      "DeactivateAgent", &v1::MasterOperator::Stub::DeactivateAgent, r);
}

absl::StatusOr<v1::ReactivateAgentResponse> OperatorClient::ReactivateAgent(
    const v1::ReactivateAgentRequest& r) {
  return Call<v1::ReactivateAgentRequest, v1::ReactivateAgentResponse>(
      "ReactivateAgent", &v1::MasterOperator::Stub::ReactivateAgent, r);
}

absl::StatusOr<v1::MarkAgentGoneResponse> OperatorClient::MarkAgentGone(
    const v1::MarkAgentGoneRequest& r) {
  return Call<v1::MarkAgentGoneRequest, v1::MarkAgentGoneResponse>(
      "MarkAgentGone", &v1::MasterOperator::Stub::MarkAgentGone, r);
}

absl::StatusOr<v1::TeardownFrameworkResponse> OperatorClient::TeardownFramework(
    const v1::TeardownFrameworkRequest& r) {
  return Call<v1::TeardownFrameworkRequest, v1::TeardownFrameworkResponse>(
      "TeardownFramework", &v1::MasterOperator::Stub::TeardownFramework, r);
}

absl::StatusOr<v1::KillTaskResponse> OperatorClient::KillTask(const v1::KillTaskRequest& r) {
  return Call<v1::KillTaskRequest, v1::KillTaskResponse>("KillTask",
                                                         &v1::MasterOperator::Stub::KillTask, r);
}

absl::Status OperatorClient::Watch(const v1::WatchRequest& request,
                                   const std::function<bool(const v1::WatchEvent&)>& on_event) {
  if (absl::Status found = FindCandidates(); !found.ok()) return found;
  absl::Status status;
  std::string failures;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    const size_t index = (next_candidate_ + i) % candidates_.size();
    std::string address = candidates_[index];
    for (int attempt = 0; attempt < 2; ++attempt) {
      master_ = address;
      grpc::ClientContext context;
      auto reader = StubFor(address).stub->Watch(&context, request);
      v1::WatchEvent event;
      bool streamed = false;
      while (reader->Read(&event)) {
        streamed = true;
        if (!on_event(event)) {
          context.TryCancel();
          (void)reader->Finish();
          return absl::OkStatus();
        }
      }
      status = FromGrpcStatus(reader->Finish());
      // Once events flowed, the end of the stream is the answer.
      if (streamed) return status;
      std::optional<std::string> leader = LeaderAddressFrom(status);
      if (!leader.has_value() || *leader == address) break;
      address = *leader;
    }
    if (!Unreachable(status)) {
      next_candidate_ = index;
      return status;
    }
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", candidates_[index], ": ",
                    status.message());
  }
  if (candidates_.size() == 1) return status;
  master_ = spec_;
  return absl::UnavailableError(absl::StrCat("no master answered (", failures, ")"));
}

std::string DescribeCallError(const std::string& master, const char* call,
                              const absl::Status& status) {
  std::string where = absl::StrContains(master, ",") || absl::StartsWith(master, "zk://")
                          ? absl::StrCat("any master in ", master)
                          : absl::StrCat("the master at ", master);
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (LeaderAddressFrom(status).has_value() ||
          status.message().find("leader") != absl::string_view::npos) {
        return absl::StrCat("the master at ", master, " is not the leader: ", status.message());
      }
      if (absl::StartsWith(master, "zk://")) return std::string(status.message());
      return absl::StrCat("cannot reach ", where, ": ", status.message());
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("cannot reach ", where, ": no answer in time");
    case absl::StatusCode::kUnimplemented:
      return absl::StrCat("the master at ", master, " does not support ", call);
    default:
      return absl::StrCat(call, " failed: ", status.message());
  }
}

}  // namespace agora::cli
