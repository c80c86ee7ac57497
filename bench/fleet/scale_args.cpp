#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fleet/scale.hpp"

namespace agora::bench {
namespace {

absl::Status ParseCount(const std::string& flag, const std::string& value, int* out) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": expected a positive integer, got '", value, "'"));
  }
  *out = parsed;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScaleOptions> ParseScaleArgs(const std::vector<std::string>& args) {
  ScaleOptions options;
  bool quick = false;
  std::set<std::string> given;
  static const std::set<std::string> kBoolean = {"quick", "json", "probe_shared_connection"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "' (flags are --name=value)"));
    }
    std::string name = arg.substr(2);
    std::string value;
    const size_t equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (kBoolean.count(name) != 0) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": missing value"));
    }
    given.insert(name);
    absl::Status status;
    if (name == "agents") {
      status = ParseCount(name, value, &options.agents);
    } else if (name == "frameworks") {
      status = ParseCount(name, value, &options.frameworks);
    } else if (name == "tasks") {
      status = ParseCount(name, value, &options.tasks);
    } else if (name == "state_calls") {
      status = ParseCount(name, value, &options.state_calls);
    } else if (name == "heartbeat") {
      status = ParseCount(name, value, &options.heartbeat_seconds);
    } else if (name == "wave") {
      status = ParseCount(name, value, &options.wave);
    } else if (name == "timeout") {
      status = ParseCount(name, value, &options.timeout_seconds);
    } else if (name == "work_dir") {
      options.work_dir = value;
    } else if (name == "master_binary") {
      options.master_binary = value;
    } else if (kBoolean.count(name) != 0) {
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, ": expected true or false, got '", value, "'"));
      }
      bool* flag = name == "quick"  ? &quick
                   : name == "json" ? &options.json
                                    : &options.probe_shared_connection;
      *flag = value == "true";
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": unknown flag"));
    }
    if (!status.ok()) return status;
  }
  if (quick) {
    if (given.count("agents") == 0) options.agents = 1000;
    if (given.count("frameworks") == 0) options.frameworks = 10;
    if (given.count("tasks") == 0) options.tasks = 10000;
  }
  if (options.frameworks > options.tasks) {
    return absl::InvalidArgumentError(absl::StrCat("--frameworks: ", options.frameworks,
                                                   " frameworks cannot share ", options.tasks,
                                                   " tasks (at most one framework per task)"));
  }
  // Each simulated agent offers 64 cpus: 640 tasks of 0.1 cpu.
  if (static_cast<int64_t>(options.tasks) > static_cast<int64_t>(options.agents) * 640) {
    return absl::InvalidArgumentError(absl::StrCat("--tasks: ", options.tasks,
                                                   " tasks do not fit on ", options.agents,
                                                   " agents of 64 cpus (0.1 cpu per task)"));
  }
  return options;
}

}  // namespace agora::bench
