#include "cli/option_values.hpp"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "agora/task_state.hpp"
#include "common/ids.hpp"
#include "common/resources.hpp"
#include "common/validation.hpp"

namespace agora::cli {
namespace {

absl::Status Bad(const std::string& field, const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": '", value, "' ", why));
}

std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Quota resources: scalars only, unreserved.
absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Resource>> ParseQuotaResources(
    const std::string& field, const std::string& value) {
  absl::StatusOr<Resources> resources = Resources::Parse(value);
  if (!resources.ok()) return Bad(field, value, std::string(resources.status().message()));
  if (resources->empty()) return Bad(field, value, "names no resource (e.g. 'cpus:2;mem:1024')");
  for (const ResourceEntry& entry : *resources) {
    if (entry.type != ResourceEntry::Type::kScalar) {
      return Bad(field, value, absl::StrCat(entry.name, " is not a scalar (quota takes scalars)"));
    }
    if (entry.reserved()) {
      return Bad(field, value,
                 absl::StrCat(entry.name, " names a reservation (quota is per role)"));
    }
  }
  return resources->ToProto();
}

// `agora logs --tail`: "N" lines, or "NB", "NKiB", "NMiB" bytes.
bool ParseTail(const std::string& text, LogsOptions* logs) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  if (digits == 0 || !absl::SimpleAtoi(text.substr(0, digits), &n)) return false;
  const std::string unit = text.substr(digits);
  const int64_t scale = unit.empty()    ? 0
                        : unit == "B"   ? 1
                        : unit == "KiB" ? 1 << 10
                        : unit == "MiB" ? 1 << 20
                                        : -1;
  if (scale < 0 || n > (int64_t{1} << 40)) return false;
  logs->tail_lines = scale == 0 ? n : -1;
  logs->tail_bytes = scale == 0 ? -1 : n * scale;
  return true;
}

absl::Status CheckId(const CliOptions& options, const char* what) {
  return ValidateId(what, options.arguments.front());
}

}  // namespace

absl::StatusOr<double> ParseSeconds(const std::string& field, const std::string& value) {
  if (std::optional<double> number = ParseNumber(value); number.has_value()) {
    if (*number < 0) return Bad(field, value, "is negative");
    return *number;
  }
  absl::Duration duration;
  if (!absl::ParseDuration(value, &duration) || duration == absl::InfiniteDuration()) {
    return Bad(field, value, "is not a duration (e.g. 30s, 500ms, 2m, or seconds)");
  }
  if (duration < absl::ZeroDuration()) return Bad(field, value, "is negative");
  return absl::ToDoubleSeconds(duration);
}

absl::StatusOr<v1::TaskState> ParseTaskState(const std::string& field, const std::string& value) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, "TASK_")) name = "TASK_" + name;
  v1::TaskState state;
  if (!v1::TaskState_Parse(name, &state) || state == v1::TASK_STATE_UNSPECIFIED) {
    return Bad(field, value, "is not a task state (RUNNING, FINISHED, FAILED, KILLED...)");
  }
  return state;
}

absl::StatusOr<v1::WatchEvent::Type> ParseEventType(const std::string& field,
                                                    const std::string& value) {
  v1::WatchEvent::Type type;
  if (!v1::WatchEvent::Type_Parse(absl::AsciiStrToUpper(value), &type) ||
      type == v1::WatchEvent::TYPE_UNSPECIFIED || type == v1::WatchEvent::SUBSCRIBED) {
    return Bad(field, value, "is not an event type (TASK_UPDATED, AGENT_ADDED...)");
  }
  return type;
}

absl::Status ApplyOption(const std::string& name, const std::string& value, CliOptions* options) {
  RunOptions& run = options->run;
  if (name == "--json") {
    options->json = true;
  } else if (name == "--all") {
    options->all = true;
  } else if (name == "--active" || name == "--yes" || name == "--force" || name == "--mark-gone") {
    if (name == "--yes") options->yes = true;
    if (name == "--force") options->force = true;
    if (name == "--mark-gone") options->mark_gone = true;
  } else if (name == "--framework" || name == "--agent") {
    if (absl::Status s = ValidateId(name, value); !s.ok()) return s;
    (name == "--framework" ? options->framework_id : options->agent_id) = value;
  } else if (name == "--state" || name == "--types") {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      std::string item(absl::StripAsciiWhitespace(part));
      if (name == "--state") {
        auto state = ParseTaskState(name, item);
        if (!state.ok()) return state.status();
        options->states.push_back(*state);
      } else {
        auto type = ParseEventType(name, item);
        if (!type.ok()) return type.status();
        options->watch_types.push_back(*type);
      }
    }
    if (absl::StripAsciiWhitespace(value).empty()) return Bad(name, value, "is empty");
  } else if (name == "--guarantee" || name == "--limit") {
    auto resources = ParseQuotaResources(name, value);
    if (!resources.ok()) return resources.status();
    *(name == "--guarantee" ? options->quota.mutable_guarantees()
                            : options->quota.mutable_limits()) = std::move(*resources);
  } else if (name == "--grace") {
    auto seconds = ParseSeconds(name, value);
    if (!seconds.ok()) return seconds.status();
    options->grace_seconds = *seconds;
  } else if (name == "--stderr" || name == "-f" || name == "--follow") {
    (name == "--stderr" ? options->logs.stderr_file : options->logs.follow) = true;
  } else if (name == "--tail") {
    if (!ParseTail(value, &options->logs)) {
      return Bad(name, value, "is not a number of lines (N) or bytes (NB, NKiB, NMiB)");
    }
  } else if (name == "--name") {
    if (absl::Status s = ValidateText("--name", value, 255, true); !s.ok()) return s;
    run.name = value;
  } else if (name == "--command") {
    if (value.empty()) return absl::InvalidArgumentError("--command: must not be empty");
    run.command = value;
  } else if (name == "--cpus" || name == "--mem") {
    std::optional<double> number = ParseNumber(value);
    if (!number.has_value() || *number <= 0) return Bad(name, value, "is not a positive number");
    (name == "--cpus" ? run.cpus : run.mem) = *number;
  } else if (name == "--instances") {
    int instances = 0;
    if (!absl::SimpleAtoi(value, &instances) || instances < 1 || instances > 100000) {
      return Bad(name, value, "is not a whole number in [1, 100000]");
    }
    run.instances = instances;
  } else if (name == "--role") {
    if (absl::Status s = ValidateRole("--role", value); !s.ok()) return s;
    run.role = value;
  } else if (name == "--timeout") {
    std::optional<double> number = ParseNumber(value);
    if (!number.has_value() || *number < 0)
      return Bad(name, value, "is not a number of seconds >= 0");
    run.timeout_seconds = *number;
  } else if (name == "--health-cmd" || name == "--health-tcp" || name == "--health-http") {
    if (!run.health_cmd.empty() || run.health_tcp_port != 0 || run.health_http_port != 0)
      return Bad(name, value, "is a second health check; a task has at most one");
    std::string port = value.substr(0, value.find('/'));
    int number = 0;
    if (name == "--health-cmd") {
      if (value.empty()) return Bad(name, value, "must not be empty");
      run.health_cmd = value;
    } else if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return Bad(name, value, "does not start with a port in [1, 65535]");
    } else if (name == "--health-tcp") {
      if (port != value) return Bad(name, value, "is not a port");
      run.health_tcp_port = number;
    } else {
      run.health_http_port = number;
      run.health_http_path = port == value ? "/" : value.substr(port.size());
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown option '", name, "'"));
  }
  return absl::OkStatus();
}

absl::Status CheckCommand(const std::set<std::string>& given, CliOptions* options) {
  switch (options->command) {
    case Command::kRun:
      if (!given.count("--command"))
        return absl::InvalidArgumentError("run: --command is required");
      return absl::OkStatus();
    case Command::kTasks:
      if (given.count("--active") && given.count("--all")) {
        return absl::InvalidArgumentError("--active and --all exclude each other");
      }
      for (v1::TaskState state : options->states) {
        if (IsTerminalState(state)) options->all = true;
      }
      return absl::OkStatus();
    case Command::kAgent:
    case Command::kDrain:
    case Command::kDeactivate:
    case Command::kReactivate:
      return CheckId(*options, "AGENT");
    case Command::kMarkGone:
      if (absl::Status s = CheckId(*options, "AGENT"); !s.ok()) return s;
      if (!options->yes) {
        return absl::InvalidArgumentError(
            absl::StrCat("marking agent ", options->arguments.front(),
                         " gone is irreversible (its tasks are lost and it may never come "
                         "back): add --yes to confirm"));
      }
      return absl::OkStatus();
    case Command::kFramework:
    case Command::kTeardown:
      return CheckId(*options, "FRAMEWORK");
    case Command::kTask:
    case Command::kKill:
      return CheckId(*options, "TASK");
    case Command::kLogs:
      options->logs.task_id = options->arguments.front();
      return CheckId(*options, "TASK");
    case Command::kQuotaSet:
      if (!given.count("--guarantee") && !given.count("--limit")) {
        return absl::InvalidArgumentError("quota set: give --guarantee, --limit or both");
      }
      [[fallthrough]];
    case Command::kQuotaRemove:
      if (absl::Status s = ValidateRole("ROLE", options->arguments.front()); !s.ok()) return s;
      options->quota.set_role(options->arguments.front());
      return absl::OkStatus();
    case Command::kWeightsSet:
      for (const std::string& word : options->arguments) {
        std::vector<std::string> parts = absl::StrSplit(word, absl::MaxSplits('=', 1));
        if (parts.size() != 2) return Bad("ROLE=WEIGHT", word, "has no '='");
        if (absl::Status s = ValidateRole("ROLE=WEIGHT", parts[0]); !s.ok()) return s;
        std::optional<double> weight = ParseNumber(parts[1]);
        if (!weight.has_value() || *weight <= 0) {
          return Bad("ROLE=WEIGHT", word, "has no positive weight");
        }
        v1::WeightInfo info;
        info.set_role(parts[0]);
        info.set_weight(*weight);
        options->weights.push_back(std::move(info));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace agora::cli
