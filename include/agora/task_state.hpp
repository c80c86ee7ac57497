// Facts about task states that framework authors need.
#ifndef AGORA_TASK_STATE_HPP_
#define AGORA_TASK_STATE_HPP_

#include "agora/v1/common.pb.h"

namespace agora {

// FINISHED, FAILED, KILLED, ERROR, DROPPED, GONE, GONE_BY_OPERATOR: the task
// is not running and never will again; its resources are free. UNREACHABLE
// and UNKNOWN are not terminal: the task may still be running.
bool IsTerminalState(v1::TaskState state);

}  // namespace agora

#endif  // AGORA_TASK_STATE_HPP_
