// The agora-agent command-line flags (gflags live only here) and their
// translation into AgentOptions.
#ifndef AGORA_AGENT_FLAGS_HPP_
#define AGORA_AGENT_FLAGS_HPP_

#include "absl/status/statusor.h"
#include "agent/agent.hpp"

namespace agora::agent {

// AgentOptions from the parsed flags; INVALID_ARGUMENT names the bad flag.
absl::StatusOr<AgentOptions> AgentOptionsFromFlags();

// Parses a duration flag with the common vocabulary (ParseDurationValue:
// "90s", "1m30s", "250ms", "7days", or a bare number of seconds); errors
// name "--<flag>".
absl::StatusOr<absl::Duration> ParseDurationFlag(const char* flag, const std::string& value);

}  // namespace agora::agent

#endif  // AGORA_AGENT_FLAGS_HPP_
