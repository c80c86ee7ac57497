#include "executor_driver/executor_env.hpp"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/validation.hpp"

namespace agora::executor {
namespace {

absl::StatusOr<absl::Duration> ReadSeconds(const char* name, const char* value,
                                           absl::Duration fallback) {
  if (value == nullptr || *value == '\0') return fallback;
  double seconds = 0;
  if (!absl::SimpleAtod(value, &seconds) || !(seconds >= 0) || seconds > 1e9) {
    return InvalidField(name, absl::StrCat("'", value, "' is not a number of seconds >= 0"));
  }
  return absl::Seconds(seconds);
}

}  // namespace

absl::StatusOr<ExecutorEnv> ReadExecutorEnv(
    const std::function<const char*(const char*)>& getenv_fn) {
  auto get = [&](const char* name) -> const char* {
    return getenv_fn ? getenv_fn(name) : std::getenv(name);
  };
  auto required = [&](const char* name, std::string* out) -> absl::Status {
    const char* value = get(name);
    if (value == nullptr || *value == '\0') return InvalidField(name, "must be set");
    *out = value;
    return absl::OkStatus();
  };
  ExecutorEnv env;
  if (auto s = required("AGORA_AGENT_ENDPOINT", &env.agent_endpoint); !s.ok()) return s;
  if (auto s = required("AGORA_FRAMEWORK_ID", &env.framework_id); !s.ok()) return s;
  if (auto s = required("AGORA_EXECUTOR_ID", &env.executor_id); !s.ok()) return s;
  if (auto s = ValidateId("AGORA_FRAMEWORK_ID", env.framework_id); !s.ok()) return s;
  if (auto s = ValidateId("AGORA_EXECUTOR_ID", env.executor_id); !s.ok()) return s;
  if (const char* value = get("AGORA_AGENT_ID")) env.agent_id = value;
  if (const char* value = get("AGORA_SANDBOX")) env.sandbox = value;
  if (const char* value = get("AGORA_CHECKPOINT")) env.checkpoint = std::string(value) == "1";
  auto grace = ReadSeconds("AGORA_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
                           get("AGORA_EXECUTOR_SHUTDOWN_GRACE_PERIOD"), env.shutdown_grace_period);
  if (!grace.ok()) return grace.status();
  env.shutdown_grace_period = *grace;
  auto recovery =
      ReadSeconds("AGORA_RECOVERY_TIMEOUT", get("AGORA_RECOVERY_TIMEOUT"), env.recovery_timeout);
  if (!recovery.ok()) return recovery.status();
  env.recovery_timeout = *recovery;
  return env;
}

}  // namespace agora::executor
