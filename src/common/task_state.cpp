#include "common/task_state.hpp"

namespace agora {

bool IsTerminalState(v1::TaskState state) {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_ERROR:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

absl::string_view ShortStateName(v1::TaskState state) {
  absl::string_view name = v1::TaskState_Name(state);
  constexpr absl::string_view kPrefix = "TASK_";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  return name;
}

}  // namespace agora
