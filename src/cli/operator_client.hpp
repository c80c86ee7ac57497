// OperatorClient: the CLI's blocking calls to the master's MasterOperator
// service. Finds the master from a --master spec (host:port, a list tried in
// turn until one answers, or the leader elected in ZooKeeper; see
// master_candidates.hpp), follows one LeaderRedirect per master, and turns
// failures into one-line errors. Used from the CLI's main thread only.
#ifndef AGORA_CLI_OPERATOR_CLIENT_HPP_
#define AGORA_CLI_OPERATOR_CLIENT_HPP_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agora/v1/master.pb.h"

namespace agora::cli {

class OperatorClient {
 public:
  // `master` is a --master spec; every call (and the wait for ZooKeeper's
  // answer) has `timeout_seconds`.
  explicit OperatorClient(std::string master, double timeout_seconds = 5);
  ~OperatorClient();

  absl::StatusOr<v1::GetTasksResponse> GetTasks(const v1::GetTasksRequest& request);
  absl::StatusOr<v1::GetAgentsResponse> GetAgents(const v1::GetAgentsRequest& request);
  absl::StatusOr<v1::GetFrameworksResponse> GetFrameworks(const v1::GetFrameworksRequest& request);
  absl::StatusOr<v1::GetOffersResponse> GetOffers(const v1::GetOffersRequest& request);
  absl::StatusOr<v1::GetHealthResponse> GetHealth();
  absl::StatusOr<v1::MasterState> GetState();
  absl::StatusOr<v1::GetRolesResponse> GetRoles();
  absl::StatusOr<v1::GetQuotaResponse> GetQuota();
  absl::StatusOr<v1::UpdateQuotaResponse> UpdateQuota(const v1::UpdateQuotaRequest& request);
  absl::StatusOr<v1::GetWeightsResponse> GetWeights();
  absl::StatusOr<v1::UpdateWeightsResponse> UpdateWeights(const v1::UpdateWeightsRequest& request);
  absl::StatusOr<v1::DrainAgentResponse> DrainAgent(const v1::DrainAgentRequest& request);
  absl::StatusOr<v1::DeactivateAgentResponse> DeactivateAgent(
      const v1::DeactivateAgentRequest& request);
  absl::StatusOr<v1::ReactivateAgentResponse> ReactivateAgent(
      const v1::ReactivateAgentRequest& request);
  absl::StatusOr<v1::MarkAgentGoneResponse> MarkAgentGone(const v1::MarkAgentGoneRequest& request);
  absl::StatusOr<v1::TeardownFrameworkResponse> TeardownFramework(
      const v1::TeardownFrameworkRequest& request);
  absl::StatusOr<v1::KillTaskResponse> KillTask(const v1::KillTaskRequest& request);

  // Every page of a listing, merged into one response (the page field of
  // the last answer).
  absl::StatusOr<v1::GetTasksResponse> AllTasks(v1::GetTasksRequest request);
  absl::StatusOr<v1::GetAgentsResponse> AllAgents();
  absl::StatusOr<v1::GetFrameworksResponse> AllFrameworks(bool include_completed);

  // Streams Watch events to `on_event` until the stream ends or `on_event`
  // returns false (then OK). Finds the leader as the unary calls do: a
  // standby's redirect is followed before the first event; the call itself
  // has no deadline.
  absl::Status Watch(const v1::WatchRequest& request,
                     const std::function<bool(const v1::WatchEvent&)>& on_event);

  // The master that answered last (after a redirect), or the spec while
  // none has; for messages.
  const std::string& master() const { return master_; }

 private:
  struct Stub;
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(const char* name, Method method, const Request& request);
  // One master, following at most one redirect.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> CallOne(std::string address, Method method, const Request& request);
  Stub& StubFor(const std::string& address);
  // Resolves the spec into candidates_ on first use.
  absl::Status FindCandidates();

  const std::string spec_;
  std::string master_;
  double timeout_seconds_;
  std::vector<std::string> candidates_;  // Found on the first call.
  size_t next_candidate_ = 0;            // The one that answered last.
  std::map<std::string, std::unique_ptr<Stub>> stubs_;
};

// "cannot reach the master at X: ..." for unreachable masters ("... any
// master in X" for a list or zk:// spec), otherwise "<call>: <message>".
std::string DescribeCallError(const std::string& master, const char* call,
                              const absl::Status& status);

}  // namespace agora::cli

#endif  // AGORA_CLI_OPERATOR_CLIENT_HPP_
