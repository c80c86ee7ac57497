#include "agent/health_command.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/task_user.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// The spec that runs `command`: `sh -c` in the sandbox, or, under
// --switch_user, `setpriv` dropping to the user first (posix_spawn cannot
// change ids). Blocking (user database): off the loop.
absl::StatusOr<LaunchSpec> CheckSpec(const HealthCommand& command) {
  LaunchSpec spec;
  spec.env = command.env;
  spec.working_dir = command.working_dir;
  spec.stdout_path = "/dev/null";
  spec.stderr_path = "/dev/null";
  spec.program = "/bin/sh";
  spec.argv = {"sh", "-c", command.shell_command};
  if (!command.user) return spec;
  absl::StatusOr<TaskUser> user = LookUpTaskUser(*command.user, command.allow_root);
  if (!user.ok()) return user.status();
  // For HOME/USER/LOGNAME (ApplyTaskUser's argv additions are the shim's and
  // are replaced below).
  ApplyTaskUser(*user, v1::CommandInfo(), &spec);
  std::vector<std::string> groups;
  for (gid_t gid : user->groups) groups.push_back(absl::StrCat(gid));
  spec.program = access("/usr/bin/setpriv", X_OK) == 0 ? "/usr/bin/setpriv" : "setpriv";
  spec.argv = {"setpriv",
               absl::StrCat("--reuid=", user->uid),
               absl::StrCat("--regid=", user->gid),
               groups.empty() ? std::string("--clear-groups")
                              : absl::StrCat("--groups=", absl::StrJoin(groups, ",")),
               "--",
               "/bin/sh",
               "-c",
               command.shell_command};
  return spec;
}

std::string DescribeExit(const std::string& what, int wait_status) {
  if (WIFEXITED(wait_status))
    return absl::StrCat(what, " exited with status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const char* name = strsignal(WTERMSIG(wait_status));
    return absl::StrCat(what, " was killed by signal ", WTERMSIG(wait_status),
                        name != nullptr ? absl::StrCat(" (", name, ")") : "");
  }
  return absl::StrCat(what, " ended with wait status ", wait_status);
}

}  // namespace

HealthCommandRunner::HealthCommandRunner(EventLoop& loop, Launcher& launcher)
    : loop_(loop),
      launcher_(launcher),
      reaper_([this, alive = alive_](pid_t pid, int wait_status) {
        loop_.Post([this, alive, pid, wait_status] {
          if (*alive) OnExited(pid, wait_status);
        });
      }),
      spawner_("health-spawn") {}

HealthCommandRunner::~HealthCommandRunner() {
  *alive_ = false;
  // Queued spawns see the flag and start nothing.
  spawner_.Stop();
  reaper_.Stop();
  for (const auto& [pid, running] : running_) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

void HealthCommandRunner::Run(HealthCommand command, absl::Duration timeout, ProbeDone done) {
  DCHECK(loop_.IsInLoopThread());
  std::string what = command.what;
  bool posted = spawner_.Post([this, alive = alive_, command = std::move(command), timeout,
                               done = std::move(done)]() mutable {
    if (!*alive) return;
    absl::StatusOr<LaunchSpec> spec = CheckSpec(command);
    absl::StatusOr<pid_t> pid = spec.ok() ? launcher_.Launch(*spec) : spec.status();
    loop_.Post([this, alive, pid, what = command.what, timeout, done = std::move(done)]() mutable {
      if (*alive) {
        OnSpawned(pid, std::move(what), timeout, std::move(done));
      } else if (pid.ok()) {
        ::kill(-*pid, SIGKILL);
      }
    });
  });
  if (!posted) LOG(WARNING) << "Agent stopping; health check " << what << " not run";
}

void HealthCommandRunner::OnSpawned(absl::StatusOr<pid_t> pid, std::string what,
                                    absl::Duration timeout, ProbeDone done) {
  if (!pid.ok()) {
    done(
        HealthResult{false, absl::StrCat(what, " could not be started: ", pid.status().message())});
    return;
  }
  Running& running = running_[*pid];
  running.what = what;
  running.done = std::move(done);
  pid_t group = *pid;
  running.timer = loop_.RunAfter(timeout, [this, group, timeout] {
    auto it = running_.find(group);
    if (it == running_.end()) return;
    it->second.timer = 0;
    // Not yet reaped (its exit is reported on this loop), so the pid is
    // still ours: the group is the check's. The exit reaps it later.
    ::kill(-group, SIGKILL);
    ProbeDone report = std::move(it->second.done);
    it->second.done = nullptr;
    report(HealthResult{
        false, absl::StrCat(it->second.what, " timed out after ", absl::FormatDuration(timeout))});
  });
  reaper_.Watch(*pid);
}

void HealthCommandRunner::OnExited(pid_t pid, int wait_status) {
  auto it = running_.find(pid);
  if (it == running_.end()) return;
  Running running = std::move(it->second);
  running_.erase(it);
  if (running.timer != 0) loop_.Cancel(running.timer);
  // Whatever the check left in its group dies with it.
  ::kill(-pid, SIGKILL);
  if (!running.done) return;  // Reported as timed out.
  bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  running.done(HealthResult{ok, DescribeExit(running.what, wait_status)});
}

}  // namespace agora::agent
