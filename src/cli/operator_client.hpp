// OperatorClient: the CLI's blocking calls to the master's MasterOperator
// service. Follows one LeaderRedirect; turns failures into one-line errors.
// Used from the CLI's main thread only.
#ifndef AGORA_CLI_OPERATOR_CLIENT_HPP_
#define AGORA_CLI_OPERATOR_CLIENT_HPP_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agora/v1/master.pb.h"

namespace agora::cli {

class OperatorClient {
 public:
  // `master` is "host:port"; every call has `timeout_seconds`.
  explicit OperatorClient(std::string master, double timeout_seconds = 5);
  ~OperatorClient();

  absl::StatusOr<v1::GetTasksResponse> GetTasks(const v1::GetTasksRequest& request);
  absl::StatusOr<v1::GetAgentsResponse> GetAgents(const v1::GetAgentsRequest& request);
  absl::StatusOr<v1::GetFrameworksResponse> GetFrameworks(const v1::GetFrameworksRequest& request);
  absl::StatusOr<v1::GetOffersResponse> GetOffers(const v1::GetOffersRequest& request);
  absl::StatusOr<v1::GetHealthResponse> GetHealth();

  // The master actually answering (after a redirect), for messages.
  const std::string& master() const { return master_; }

 private:
  struct Stub;
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(const char* name, Method method, const Request& request);

  std::string master_;
  double timeout_seconds_;
  std::unique_ptr<Stub> stub_;
};

// "cannot reach the master at X: ..." for unreachable masters, otherwise
// "<call>: <message>".
std::string DescribeCallError(const std::string& master, const char* call,
                              const absl::Status& status);

}  // namespace agora::cli

#endif  // AGORA_CLI_OPERATOR_CLIENT_HPP_
