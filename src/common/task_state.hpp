// Facts about task states shared by the master, the agent, the drivers and
// the CLI.
#ifndef AGORA_COMMON_TASK_STATE_HPP_
#define AGORA_COMMON_TASK_STATE_HPP_

#include "absl/strings/string_view.h"
#include "agora/v1/common.pb.h"

namespace agora {

// FINISHED, FAILED, KILLED, ERROR, DROPPED, GONE, GONE_BY_OPERATOR: the task
// is not running and never will again; its resources are free.
bool IsTerminalState(v1::TaskState state);

// "TASK_RUNNING" -> "RUNNING": the short name used in tables and logs.
absl::string_view ShortStateName(v1::TaskState state);

}  // namespace agora

#endif  // AGORA_COMMON_TASK_STATE_HPP_
