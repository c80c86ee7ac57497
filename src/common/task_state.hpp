// Facts about task states shared by the master, the agent, the drivers and
// the CLI.
#ifndef AGORA_COMMON_TASK_STATE_HPP_
#define AGORA_COMMON_TASK_STATE_HPP_

#include "absl/strings/string_view.h"
#include "agora/task_state.hpp"
#include "agora/v1/common.pb.h"

namespace agora {

// IsTerminalState() is public: include/agora/task_state.hpp.

// "TASK_RUNNING" -> "RUNNING": the short name used in tables and logs.
absl::string_view ShortStateName(v1::TaskState state);

}  // namespace agora

#endif  // AGORA_COMMON_TASK_STATE_HPP_
