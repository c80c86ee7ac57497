// ExecutorEnv: the AGORA_* environment an agent gives an executor, parsed
// and validated in one place.
#ifndef AGORA_EXECUTOR_DRIVER_EXECUTOR_ENV_HPP_
#define AGORA_EXECUTOR_DRIVER_EXECUTOR_ENV_HPP_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::executor {

struct ExecutorEnv {
  // AGORA_AGENT_ENDPOINT: "host:port" or "unix:PATH".
  std::string agent_endpoint;
  std::string framework_id;
  std::string executor_id;
  // May be empty (the agent had no id yet).
  std::string agent_id;
  std::string sandbox;
  bool checkpoint = false;
  absl::Duration shutdown_grace_period = absl::Seconds(5);
  // How long to keep re-subscribing after the agent goes away before giving
  // up (AGORA_RECOVERY_TIMEOUT, seconds; default 15 min).
  absl::Duration recovery_timeout = absl::Minutes(15);
};

// Reads the variables through `getenv` (std::getenv by default). Errors are
// INVALID_ARGUMENT naming the variable.
absl::StatusOr<ExecutorEnv> ReadExecutorEnv(
    const std::function<const char*(const char*)>& getenv = nullptr);

}  // namespace agora::executor

#endif  // AGORA_EXECUTOR_DRIVER_EXECUTOR_ENV_HPP_
