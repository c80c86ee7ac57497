// The values of `agora` options and arguments: numbers, durations,
// resources, task states, event types, ROLE=WEIGHT words. Pure; every error
// is INVALID_ARGUMENT naming the option or argument and the reason.
#ifndef AGORA_CLI_OPTION_VALUES_HPP_
#define AGORA_CLI_OPTION_VALUES_HPP_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/args.hpp"

namespace agora::cli {

// Stores option `name` (known to accept `value`, "" for a switch) into
// `options`.
absl::Status ApplyOption(const std::string& name, const std::string& value, CliOptions* options);

// Checks the whole command once every option is applied (`given`: the
// options seen) and converts its positional arguments.
absl::Status CheckCommand(const std::set<std::string>& given, CliOptions* options);

// "30s", "250ms", "2m", "1h" (absl::ParseDuration syntax) or a bare number
// of seconds; >= 0. Returns seconds.
absl::StatusOr<double> ParseSeconds(const std::string& field, const std::string& value);

// "RUNNING", "running" or "TASK_RUNNING".
absl::StatusOr<v1::TaskState> ParseTaskState(const std::string& field, const std::string& value);

// "TASK_UPDATED" or "task_updated".
absl::StatusOr<v1::WatchEvent::Type> ParseEventType(const std::string& field,
                                                    const std::string& value);

}  // namespace agora::cli

#endif  // AGORA_CLI_OPTION_VALUES_HPP_
