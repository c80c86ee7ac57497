// Pure helpers of the agent's built-in command executor: the shell command
// agora-shim runs for a task, and the terminal update a finished shim's
// status file amounts to. No I/O except ReadFileTail (blocking: call it off
// the event loop).
#ifndef AGORA_AGENT_COMMAND_TASK_HPP_
#define AGORA_AGENT_COMMAND_TASK_HPP_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/launcher.hpp"
#include "agora/v1/common.pb.h"
#include "shim/shim_status.hpp"

namespace agora::agent {

// The `sh -c` text that runs `command`: its value as is for a shell command;
// otherwise `exec` of the value with every argument after argv[0] quoted for
// the shell (so spaces, quotes and `$` reach the program verbatim).
std::string ShellCommandOf(const v1::CommandInfo& command);

// `text` quoted for a POSIX shell ('...' with each ' written as '\'').
std::string ShellQuote(const std::string& text);

// How a command task ended, as the agent reports it.
struct CommandEnd {
  v1::TaskState state = v1::TASK_FAILED;
  v1::TaskStatus::Reason reason = v1::TaskStatus::REASON_UNSPECIFIED;
  std::string message;
  // A wait status (as waitpid encodes it) when the task's own end is known.
  std::optional<int> wait_status;
};

// What the shim recorded, what the agent knows and did.
struct ShimEnd {
  shim::ShimStatusRead record;
  // The framework (or a shutdown, or its health checks) asked for the task
  // to die.
  bool kill_requested = false;
  // Set when the kill came from the task's health checks: why ("Health
  // check failed 3 times in a row: ...").
  std::string health_failure;
  // The shim's own wait status, when the agent reaped it (nullopt for a shim
  // adopted after an agent restart).
  std::optional<int> shim_wait_status;
  // The last lines of the task's stderr, read only for a failed command.
  std::string stderr_tail;
  // Recovery found no shim for the task at all (its pid was never recorded
  // and no process carries its sandbox): with no status file either, the
  // agent stopped before the shim was started.
  bool no_shim_found = false;
};

// TASK_FINISHED for exit 0; TASK_KILLED for any end after a kill request
// (but TASK_FAILED with REASON_TASK_HEALTH_CHECK_FAILED and the checks'
// message when the task's health checks asked for the kill); TASK_FAILED
// otherwise: a non-zero exit ("Command exited with status 127: sh: 1:
// nosuch: not found" -- the stderr tail appended), a signal, a command that
// could not be started (REASON_CONTAINER_LAUNCH_FAILED), or a shim that
// ended without recording the task's end (REASON_COMMAND_EXECUTOR_FAILED,
// naming what is known); TASK_DROPPED (REASON_AGENT_RESTARTED) when no shim
// was ever started.
CommandEnd DescribeCommandEnd(const ShimEnd& end);

// The grace period of a kill: the policy's, else 3 s.
absl::Duration KillGrace(const v1::KillPolicy& policy);

// Starts agora-shim as `spec` describes, with a readiness pipe as its
// descriptor 3 (`--ready_fd=3` is added to its arguments), and waits (at most
// `wait`) until the shim reports that the task's process exists -- then
// `*started` is true -- or that it could not start it, or exits. Blocking:
// call it off the event loop.
absl::StatusOr<pid_t> StartShim(Launcher& launcher, LaunchSpec spec, absl::Duration wait,
                                bool* started);

// At most the last `max_bytes` of `path`, trimmed to whole lines and of
// trailing whitespace; "" if unreadable or empty.
std::string ReadFileTail(const std::string& path, size_t max_bytes);

}  // namespace agora::agent

#endif  // AGORA_AGENT_COMMAND_TASK_HPP_
