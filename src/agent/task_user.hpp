// --switch_user: which Unix user a command task runs as, its ids from the
// user database, and how agora-shim is told (--uid/--gid/--groups, and
// HOME/USER/LOGNAME in the task's environment). The shim, still root, joins
// the task's cgroups and chowns the sandbox and log files; only the task's
// process drops to the user (see src/shim/shim_spawn.hpp).
#ifndef AGORA_AGENT_TASK_USER_HPP_
#define AGORA_AGENT_TASK_USER_HPP_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/launcher.hpp"
#include "agora/v1/common.pb.h"

namespace agora::agent {

// A user a task may run as.
struct TaskUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary one included
  std::string home;
};

// CommandInfo.user, else FrameworkInfo.user; "" if neither is set.
std::string TaskUserName(const v1::CommandInfo& command, const v1::FrameworkInfo& framework);

// Looks `name` up in the user database (getpwnam_r, getgrouplist: blocking,
// call it off the event loop). FAILED_PRECONDITION when there is no name
// ("no user to run the task as: ..."), when the user does not exist ("user
// 'X' does not exist on this agent"), or when it is root (uid 0) and
// `allow_root` is false (the message names --allow_root_tasks).
absl::StatusOr<TaskUser> LookUpTaskUser(const std::string& name, bool allow_root);

// Tells the shim of `spec` to run the task as `user`: adds --uid, --gid and
// --groups to its argv and sets HOME, USER and LOGNAME in its environment
// (replacing the agent's own), except those the command's environment sets.
void ApplyTaskUser(const TaskUser& user, const v1::CommandInfo& command, LaunchSpec* spec);

}  // namespace agora::agent

#endif  // AGORA_AGENT_TASK_USER_HPP_
