#include "agent/health_policy.hpp"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agora::agent {
namespace {

absl::Duration SecondsOr(double seconds, absl::Duration fallback) {
  return seconds > 0 ? absl::Seconds(seconds) : fallback;
}

}  // namespace

HealthSettings HealthSettings::From(const v1::HealthCheck& check) {
  HealthSettings settings;
  settings.delay = SecondsOr(check.delay_seconds(), settings.delay);
  settings.interval = SecondsOr(check.interval_seconds(), settings.interval);
  settings.timeout = SecondsOr(check.timeout_seconds(), settings.timeout);
  settings.grace = SecondsOr(check.grace_period_seconds(), settings.grace);
  if (check.consecutive_failures() > 0)
    settings.consecutive_failures = check.consecutive_failures();
  return settings;
}

std::string DescribeHealthCheck(const v1::HealthCheck& check) {
  switch (check.type()) {
    case v1::HealthCheck::HTTP: {
      std::string scheme = check.http().scheme().empty() ? "http" : check.http().scheme();
      std::string path = check.http().path().empty() ? "/" : check.http().path();
      return absl::StrCat("HTTP GET ", scheme, "://127.0.0.1:", check.http().port(), path);
    }
    case v1::HealthCheck::TCP:
      return absl::StrCat("TCP connect to 127.0.0.1:", check.tcp().port());
    case v1::HealthCheck::COMMAND: {
      const v1::CommandInfo& command = check.command();
      std::string text = command.shell() || command.arguments().empty()
                             ? command.value()
                             : absl::StrJoin(command.arguments(), " ");
      return absl::StrCat("command '", text, "'");
    }
    default:
      return "health check of unknown type";
  }
}

HealthPolicy::HealthPolicy(HealthSettings settings, absl::Time started,
                           std::optional<bool> known_health)
    : settings_(settings), started_(started), health_(known_health) {
  // A task reported healthy before (an agent restart) is past its grace.
  succeeded_once_ = known_health.value_or(false);
}

HealthDecision HealthPolicy::OnResult(absl::Time at, const HealthResult& result) {
  HealthDecision decision;
  decision.next_check = at + settings_.interval;
  if (result.ok) {
    succeeded_once_ = true;
    failures_ = 0;
    if (health_ != true) decision.report = true;
    health_ = true;
    return decision;
  }
  // Starting tasks get the grace period until their first success.
  if (!succeeded_once_ && at - started_ < settings_.grace) return decision;
  failures_++;
  if (failures_ >= settings_.consecutive_failures) {
    decision.kill = true;
    decision.message = failures_ == 1 ? absl::StrCat("Health check failed: ", result.what)
                                      : absl::StrCat("Health check failed ", failures_,
                                                     " times in a row: ", result.what);
    return decision;
  }
  decision.message = absl::StrCat("Health check failed: ", result.what);
  if (health_ != false) decision.report = false;
  health_ = false;
  return decision;
}

}  // namespace agora::agent
