// HealthPolicy: the pure decisions of one task's health check -- when the
// next check runs, when the task's health changes (an update is sent only
// then), and when the task must be killed. No I/O, no clock: every call is
// given the time. Owned by the task's HealthChecker, on the agent's loop.
//
// Rules (Mesos' semantics, updates only on change):
// - The first check runs `delay` after the task started; each next one
//   `interval` after the previous result.
// - A success makes the task healthy; the first success (or the first after
//   a failure) reports healthy=true, later ones report nothing.
// - A failure before any success within `grace` of the start is ignored
//   (not counted, nothing reported). Any other failure is counted: the first
//   of a run reports healthy=false (unless the task is already unhealthy),
//   and the `consecutive_failures`-th in a row kills the task.
#ifndef AGORA_AGENT_HEALTH_POLICY_HPP_
#define AGORA_AGENT_HEALTH_POLICY_HPP_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "agora/v1/common.pb.h"

namespace agora::agent {

// A HealthCheck's timing with the defaults filled in for zero values.
struct HealthSettings {
  absl::Duration delay = absl::Seconds(15);
  absl::Duration interval = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(20);
  absl::Duration grace = absl::Seconds(10);
  uint32_t consecutive_failures = 3;

  // Zero (unset) fields take the defaults above. The check must have been
  // validated (ValidateHealthCheck): no negative or NaN values.
  static HealthSettings From(const v1::HealthCheck& check);
};

// What the check probes, for messages: "HTTP GET http://127.0.0.1:8080/health",
// "TCP connect to 127.0.0.1:9000", "command 'test -f ready'".
std::string DescribeHealthCheck(const v1::HealthCheck& check);

// One check's outcome. `what` says what happened, naming the check
// ("HTTP GET http://127.0.0.1:8080/health answered 503").
struct HealthResult {
  bool ok = false;
  std::string what;
};

// What to do after a result.
struct HealthDecision {
  // Set when the task's health changed: send a TASK_RUNNING update with
  // healthy = *report (and `message` when unhealthy).
  std::optional<bool> report;
  // Kill the task: its terminal update is TASK_FAILED with
  // REASON_TASK_HEALTH_CHECK_FAILED and `message`.
  bool kill = false;
  std::string message;
  // When the next check runs (meaningless after a kill).
  absl::Time next_check;
};

class HealthPolicy {
 public:
  // `started`: when the task started (its RUNNING); `known_health`: the
  // health last reported for the task (after an agent restart), nullopt if
  // none. A task already reported healthy has no grace period left.
  HealthPolicy(HealthSettings settings, absl::Time started,
               std::optional<bool> known_health = std::nullopt);

  const HealthSettings& settings() const { return settings_; }
  absl::Time FirstCheckAt() const { return started_ + settings_.delay; }
  // The health last reported (nullopt before the first report).
  std::optional<bool> health() const { return health_; }
  uint32_t consecutive_failures() const { return failures_; }

  // The check that ran finished at `at` with `result`.
  HealthDecision OnResult(absl::Time at, const HealthResult& result);

 private:
  HealthSettings settings_;
  absl::Time started_;
  std::optional<bool> health_;
  bool succeeded_once_ = false;
  uint32_t failures_ = 0;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_HEALTH_POLICY_HPP_
