#include "agent/task_user.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agora::agent {

std::string TaskUserName(const v1::CommandInfo& command, const v1::FrameworkInfo& framework) {
  return command.user().empty() ? framework.user() : command.user();
}

absl::StatusOr<TaskUser> LookUpTaskUser(const std::string& name, bool allow_root) {
  if (name.empty()) {
    return absl::FailedPreconditionError(
        "no user to run the task as: neither CommandInfo.user nor FrameworkInfo.user is set "
        "(the agent runs with --switch_user)");
  }
  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<size_t>(hint) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) == ERANGE)
    buffer.resize(buffer.size() * 2);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("cannot look up user '", name, "': ", std::strerror(rc)));
  }
  if (found == nullptr)
    return absl::FailedPreconditionError(
        absl::StrCat("user '", name, "' does not exist on this agent"));
  TaskUser user;
  user.name = name;
  user.uid = entry.pw_uid;
  user.gid = entry.pw_gid;
  user.home = entry.pw_dir != nullptr ? entry.pw_dir : "/";
  if (user.uid == 0 && !allow_root) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to run the task as user '", name,
                     "' (uid 0): start the agent with --allow_root_tasks to allow root tasks"));
  }
  int count = 32;
  user.groups.resize(static_cast<size_t>(count));
  while (getgrouplist(name.c_str(), user.gid, user.groups.data(), &count) < 0)
    user.groups.resize(static_cast<size_t>(count));
  user.groups.resize(static_cast<size_t>(count));
  return user;
}

void ApplyTaskUser(const TaskUser& user, const v1::CommandInfo& command, LaunchSpec* spec) {
  spec->argv.push_back(absl::StrCat("--uid=", user.uid));
  spec->argv.push_back(absl::StrCat("--gid=", user.gid));
  spec->argv.push_back(absl::StrCat("--groups=", absl::StrJoin(user.groups, ",")));
  const std::pair<const char*, std::string> variables[] = {
      {"HOME", user.home}, {"USER", user.name}, {"LOGNAME", user.name}};
  for (const auto& [name, value] : variables) {
    bool set_by_task = std::any_of(
        command.environment().variables().begin(), command.environment().variables().end(),
        [&](const v1::Environment::Variable& variable) { return variable.name() == name; });
    if (set_by_task) continue;
    std::string prefix = absl::StrCat(name, "=");
    spec->env.erase(std::remove_if(spec->env.begin(), spec->env.end(),
                                   [&](const std::string& entry) {
                                     return entry.compare(0, prefix.size(), prefix) == 0;
                                   }),
                    spec->env.end());
    spec->env.push_back(prefix + value);
  }
}

}  // namespace agora::agent
