// Process-tree helpers over /proc: who is in a session, and killing a whole
// session so that nothing an executor started outlives it.
//
// Blocking (they scan /proc): call them off the event loop. Stateless and
// thread-safe.
#ifndef AGORA_AGENT_PROCESS_TREE_HPP_
#define AGORA_AGENT_PROCESS_TREE_HPP_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace agora::agent {

// What /proc/PID/stat says about a live process.
struct ProcessStat {
  pid_t pid = 0;
  char state = '?';  // 'Z' for a zombie.
  pid_t session = -1;
  uint64_t start_ticks = 0;  // Clock ticks since boot.
};

// Reads /proc/PID/stat; false if the process does not exist.
bool ReadProcessStat(pid_t pid, ProcessStat* stat);

// The start time of live (non-zombie) process `pid` in clock ticks since
// boot, or 0 if there is no such process.
uint64_t ProcessStartTicks(pid_t pid);

// Live (non-zombie) processes of session `session` that started at or after
// `min_start_ticks` (0 = any). The start-time guard keeps a recycled pid
// from naming someone else's session: every process of an executor's
// session started after the executor itself.
std::vector<pid_t> SessionMembers(pid_t session, uint64_t min_start_ticks);

// Sends SIGKILL to every member of `session` (see SessionMembers) until none
// is left alive (a process forking during a pass is caught by the next one),
// at most a few passes. Returns how many processes were signalled. `spare`
// (if not 0) is left alone: a shim that must outlive its task to record how
// it ended.
int KillSession(pid_t session, uint64_t min_start_ticks, pid_t spare = 0);

// Kills the session of every live process whose AGORA_SANDBOX is exactly
// `sandbox` (what an executor or shim whose pid was never recorded left
// running). Returns how many processes were signalled; `*found` (if set)
// says whether any such process existed.
int KillSandboxSessions(const std::string& sandbox, bool* found = nullptr);

// Live processes whose environment has `name`=value with value starting
// with `value` (equal to it if `exact`). Unreadable environments are
// skipped. Used by
// --recover=cleanup to find executors and tasks of a work dir whose
// checkpoints are unreadable (every executor gets AGORA_SANDBOX, and tasks
// inherit it).
std::vector<pid_t> ProcessesWithEnvironment(const std::string& name, const std::string& value,
                                            bool exact = false);

}  // namespace agora::agent

#endif  // AGORA_AGENT_PROCESS_TREE_HPP_
