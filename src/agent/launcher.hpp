// Launcher: starts executor processes and kills their process trees.
//
// The containerizer seam: PosixLauncher spawns with posix_spawn in a new
// session (POSIX_SPAWN_SETSID, never a bare fork from the agent) with
// stdout/stderr appended to sandbox files and no other descriptor
// inherited. The agent spawns only agora-shim through it (command tasks and
// executors alike); the shim joins the container's cgroups, drops to the
// task's user and rotates the output. Thread-safe; Launch blocks briefly
// (call it off the event loop).
#ifndef AGORA_AGENT_LAUNCHER_HPP_
#define AGORA_AGENT_LAUNCHER_HPP_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace agora::agent {

struct LaunchSpec {
  // Executable path (searched in PATH if it has no '/').
  std::string program;
  // argv, argv[0] included.
  std::vector<std::string> argv;
  // The complete environment, "NAME=value" each.
  std::vector<std::string> env;
  std::string working_dir;
  std::string stdout_path;
  std::string stderr_path;
  // If >= 0: handed to the process as descriptor 3 (agora-shim's
  // --ready_fd); every other descriptor above 2 is closed.
  int pass_fd = -1;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts the process as the leader of a new session. Returns its pid.
  virtual absl::StatusOr<pid_t> Launch(const LaunchSpec& spec) = 0;
  // Sends `signal` to every process of the session led by `pid` (the
  // executor and everything it started, whatever process group they moved
  // to). For SIGKILL it returns once no live process is left in the session
  // (blocking: /proc scans).
  virtual void KillTree(pid_t pid, int signal) = 0;
};

class PosixLauncher : public Launcher {
 public:
  absl::StatusOr<pid_t> Launch(const LaunchSpec& spec) override;
  void KillTree(pid_t pid, int signal) override;
};

// The agent's own environment as "NAME=value" strings, minus AGORA_*
// variables (the launch adds its own).
std::vector<std::string> InheritedEnvironment();

}  // namespace agora::agent

#endif  // AGORA_AGENT_LAUNCHER_HPP_
