// agora-shim's one job: start a task's shell command, record that it
// started, wait for it as its parent, record how it ended. The shim leads a
// session (the agent starts it that way); the task runs in that session as
// the leader of its own process group, so killing the shim's session kills
// everything the task started that did not call setsid() itself.
//
// Runs on the shim's only thread. SIGTERM and SIGINT sent to the shim are
// forwarded to the task's whole process group (kill(-pid)); everything else
// about killing (grace periods, SIGKILL of the session) is the agent's policy.
//
// Output: with --log_max_size the task writes into two pipes and the shim,
// in its wait loop (poll on the pipes and a SIGCHLD self-pipe), copies them
// into size-capped, rotated `stdout`/`stderr` (shim_logs.hpp). After the
// task exits the shim reads what it left in the pipes, then records its end;
// descendants that still hold the pipes are leftovers (the agent kills
// them), not a reason to wait. Without --log_max_size the task writes the
// files directly. If the shim itself is SIGKILLed, the task's next write
// gets SIGPIPE.
//
// --uid/--gid: the shim stays root (it joins the cgroups, opens and chowns
// the sandbox and log files); only the task's process drops to the user.
#ifndef AGORA_SHIM_SHIM_HPP_
#define AGORA_SHIM_SHIM_HPP_

#include "shim/shim_options.hpp"

namespace agora::shim {

// Exit codes of the shim process itself (the task's own code is in the
// status file, never here).
constexpr int kShimRecorded = 0;      // the final record (exit or error) is written
constexpr int kShimCannotRecord = 1;  // a record could not be written; stderr says why
constexpr int kShimUsageError = 2;    // bad command line; nothing was started
// The final record is written, but processes the task started outlived it
// (the shim is their subreaper and saw them): the caller should kill the
// session. kShimRecorded means nothing the task started is left.
constexpr int kShimRecordedLeftovers = 3;

// Runs the task described by `options` to its end; returns kShimRecorded,
// kShimRecordedLeftovers or kShimCannotRecord. A task that cannot be spawned (missing sandbox,
// shell, unwritable output files) is recorded as an `error` record, not a failure of the shim.
int RunShim(const ShimOptions& options);

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_HPP_
