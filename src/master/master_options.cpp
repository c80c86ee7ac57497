#include "master/master_options.hpp"

#include "absl/strings/str_cat.h"
#include "common/flag_values.hpp"
#include "common/validation.hpp"
#include "common/zk_client.hpp"

namespace agora::master {
namespace {

absl::Status PositiveDuration(absl::string_view field, absl::Duration value) {
  if (value <= absl::ZeroDuration() || value == absl::InfiniteDuration()) {
    return InvalidField(field, absl::StrCat("must be a positive, finite duration, got ",
                                            absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

absl::Status NonNegativeDuration(absl::string_view field, absl::Duration value) {
  if (value < absl::ZeroDuration() || value == absl::InfiniteDuration()) {
    return InvalidField(field, absl::StrCat("must be a non-negative, finite duration, got ",
                                            absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

absl::Status ValidPort(absl::string_view field, int port, bool allow_disabled) {
  if (port < (allow_disabled ? -1 : 0) || port > 65535) {
    return InvalidField(field, absl::StrCat("must be in [0, 65535]", allow_disabled ? " or -1" : "",
                                            ", got ", port));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MasterOptions::Validate() const {
  if (ip.empty()) return InvalidField("ip", "must not be empty");
  if (auto s = ValidPort("port", port, false); !s.ok()) return s;
  if (auto s = ValidPort("http_port", http_port, true); !s.ok()) return s;
  if (registry != "local" && registry != "zk") {
    return InvalidField("registry",
                        absl::StrCat("unknown backend '", registry, "' (supported: local, zk)"));
  }
  if (registry == "zk" && zk.empty()) {
    return InvalidField("registry", "'zk' needs --zk=zk://host:port/path");
  }
  if (!zk.empty()) {
    if (auto parsed = ParseZkUrl("zk", zk); !parsed.ok()) return parsed.status();
    if (registry != "zk") {
      return InvalidField("zk",
                          "replicated masters need --registry=zk (a local registry is not shared "
                          "between masters, so a new leader would not know the cluster)");
    }
  }
  if (zk_session_timeout < absl::Milliseconds(100) || zk_session_timeout > absl::Minutes(10)) {
    return InvalidField(
        "zk_session_timeout",
        absl::StrCat("must be in [0.1s, 10m], got ", absl::FormatDuration(zk_session_timeout)));
  }
  if (allocator != "drf" && allocator != "simple") {
    return InvalidField(
        "allocator", absl::StrCat("unknown allocator '", allocator, "' (supported: drf, simple)"));
  }
  if (work_dir.empty()) return InvalidField("work_dir", "required (registry and master.lock)");
  if (work_dir.front() != '/') {
    return InvalidField("work_dir", absl::StrCat("must be an absolute path, got '", work_dir, "'"));
  }
  if (auto s = NonNegativeDuration("offer_timeout", offer_timeout); !s.ok()) return s;
  if (auto s = PositiveDuration("agent_heartbeat_interval", agent_heartbeat_interval); !s.ok())
    return s;
  if (max_missed_heartbeats < 1) {
    return InvalidField("max_missed_heartbeats",
                        absl::StrCat("must be at least 1, got ", max_missed_heartbeats));
  }
  if (auto s = PositiveDuration("agent_reregister_timeout", agent_reregister_timeout); !s.ok())
    return s;
  if (!(recovered_agents_unreachable_limit > 0) || recovered_agents_unreachable_limit > 1) {
    return InvalidField(
        "recovered_agents_unreachable_limit",
        absl::StrCat("must be a fraction in (0, 1], got ", recovered_agents_unreachable_limit));
  }
  if (recovered_agents_unreachable_per_second < 1) {
    return InvalidField(
        "recovered_agents_unreachable_per_second",
        absl::StrCat("must be at least 1, got ", recovered_agents_unreachable_per_second));
  }
  if (auto s = PositiveDuration("framework_failover_timeout_default",
                                framework_failover_timeout_default);
      !s.ok())
    return s;
  if (auto s = PositiveDuration("framework_heartbeat_interval", framework_heartbeat_interval);
      !s.ok())
    return s;
  if (auto s = PositiveDuration("allocation_interval", allocation_interval); !s.ok()) return s;
  if (max_completed_tasks_per_framework < 0) {
    return InvalidField("max_completed_tasks_per_framework",
                        absl::StrCat("must be >= 0, got ", max_completed_tasks_per_framework));
  }
  if (auto s = PositiveDuration("default_refuse", default_refuse); !s.ok()) return s;
  if (auto s = PositiveDuration("max_refuse", max_refuse); !s.ok()) return s;
  if (max_message_bytes < 1024) {
    return InvalidField("max_message_bytes",
                        absl::StrCat("must be at least 1024, got ", max_message_bytes));
  }
  if (stream_queue_capacity < 1) {
    return InvalidField("stream_queue_capacity",
                        absl::StrCat("must be at least 1, got ", stream_queue_capacity));
  }
  if (max_watch_queue < 1) {
    return InvalidField("max_watch_queue",
                        absl::StrCat("must be at least 1, got ", max_watch_queue));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> MasterOptions::ToMap() const {
  auto seconds = [](absl::Duration d) { return FormatDurationValue(d); };
  return {
      {"ip", ip},
      {"port", absl::StrCat(port)},
      {"http_port", absl::StrCat(http_port)},
      {"hostname", hostname},
      {"work_dir", work_dir},
      {"registry", registry},
      {"zk", zk},
      {"zk_session_timeout", seconds(zk_session_timeout)},
      {"zk_credentials", zk_credentials},
      {"allocator", allocator},
      {"offer_timeout", seconds(offer_timeout)},
      {"agent_heartbeat_interval", seconds(agent_heartbeat_interval)},
      {"max_missed_heartbeats", absl::StrCat(max_missed_heartbeats)},
      {"agent_reregister_timeout", seconds(agent_reregister_timeout)},
      {"recovered_agents_unreachable_limit", absl::StrCat(recovered_agents_unreachable_limit)},
      {"recovered_agents_unreachable_per_second",
       absl::StrCat(recovered_agents_unreachable_per_second)},
      {"framework_failover_timeout_default", seconds(framework_failover_timeout_default)},
      {"framework_heartbeat_interval", seconds(framework_heartbeat_interval)},
      {"allocation_interval", seconds(allocation_interval)},
      {"allocation_thread", allocation_thread ? "true" : "false"},
      {"max_completed_tasks_per_framework", absl::StrCat(max_completed_tasks_per_framework)},
      {"default_refuse", seconds(default_refuse)},
      {"max_refuse", seconds(max_refuse)},
      {"max_message_bytes", FormatSizeValue(max_message_bytes)},
      {"max_watch_queue", absl::StrCat(max_watch_queue)},
  };
}

}  // namespace agora::master
