// HealthCommandRunner: runs the COMMAND health checks of an agent's command
// tasks without blocking its loop and without a thread per check.
//
// Owner: AgentImpl (one per agent). Thread: Run() on the loop; `done` runs
// on the loop. The spawn (posix_spawn through the Launcher, after the user
// lookup under --switch_user) runs on the runner's own work queue, so a slow
// check never delays checkpoint writes; exits are learned from the runner's
// own Reaper (pidfd), and the timeout is a loop timer that SIGKILLs the
// check's whole process group (it leads its own session) and reports the
// failure at once. A check counts as passed when `sh -c` exits 0.
//
// The check runs in the task's sandbox with the task's environment, as the
// task's user under --switch_user (through setpriv), but not inside the
// task's cgroups: its usage is charged to the agent.
#ifndef AGORA_AGENT_HEALTH_COMMAND_HPP_
#define AGORA_AGENT_HEALTH_COMMAND_HPP_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/health_probes.hpp"
#include "agent/launcher.hpp"
#include "agent/reaper.hpp"
#include "agent/work_queue.hpp"
#include "common/event_loop.hpp"

namespace agora::agent {

// One COMMAND check to run.
struct HealthCommand {
  // `sh -c` text (see ShellCommandOf).
  std::string shell_command;
  // The complete environment, cwd (the task's sandbox).
  std::vector<std::string> env;
  std::string working_dir;
  // --switch_user: the user to run as (looked up off the loop).
  std::optional<std::string> user;
  bool allow_root = false;
  // For messages: "command 'test -f ready'".
  std::string what;
};

class HealthCommandRunner {
 public:
  HealthCommandRunner(EventLoop& loop, Launcher& launcher);
  // Kills the checks still running (call after the loop stopped or on it).
  ~HealthCommandRunner();

  HealthCommandRunner(const HealthCommandRunner&) = delete;
  HealthCommandRunner& operator=(const HealthCommandRunner&) = delete;

  // Loop thread. Runs `command`; `done` gets ok for exit status 0, else a
  // failure naming the command and its status, its signal, the reason it
  // could not start, or "timed out after <timeout>".
  void Run(HealthCommand command, absl::Duration timeout, ProbeDone done);

  // Checks started and not yet reaped (for tests and metrics). Loop thread.
  size_t running() const { return running_.size(); }

 private:
  struct Running {
    std::string what;
    ProbeDone done;  // Empty once reported (timed out).
    TimerId timer = 0;
  };
  void OnSpawned(absl::StatusOr<pid_t> pid, std::string what, absl::Duration timeout,
                 ProbeDone done);
  void OnExited(pid_t pid, int wait_status);

  EventLoop& loop_;
  Launcher& launcher_;
  // Loop-owned: the checks whose process runs, by pid.
  std::map<pid_t, Running> running_;
  // Shared with the closures on the other threads: false once destroyed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Declared last: their threads stop first, in the destructor.
  Reaper reaper_;
  WorkQueue spawner_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_HEALTH_COMMAND_HPP_
