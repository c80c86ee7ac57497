// Reading the agent's checkpoints back after a restart, strictly.
//
// LoadCheckpointedState walks <work_dir>/meta (layout in checkpoint.hpp)
// and validates every file: each must parse and name the framework,
// executor and task of the directory it lives in. A task's log is the
// records of its legacy per-task `updates` file (agents before the update
// journal) followed by its records in the update journal (meta/journal,
// update_journal.hpp), in order; journal records of tasks without a task
// checkpoint are ignored. Two crash leftovers are repaired, with a WARNING
// naming the file: a torn last record of a legacy update log or of the
// journal's last segment is truncated away, and a task directory holding nothing but a
// half-written `task.tmp` (the agent died while checkpointing a launch it
// had not started) is removed. Anything else that is wrong is DATA_LOSS
// naming the file and the way out (--recover=cleanup): the agent refuses to
// start rather than guess, because a guess either reports a live task dead
// or forgets a running process.
//
// CleanupWorkDir is --recover=cleanup: it kills every process it can find
// that belongs to this work dir and moves meta/ aside.
//
// Blocking file I/O: call before the agent's loop serves anything.
#ifndef AGORA_AGENT_RECOVERY_STATE_HPP_
#define AGORA_AGENT_RECOVERY_STATE_HPP_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agora/internal/checkpoint.pb.h"

namespace agora::agent {

struct RecoveredTask {
  v1::Task task;  // As checkpointed at launch.
  // The task's update records (empty if it has none yet): its legacy
  // per-task log, then its journal records; torn tails removed.
  std::vector<internal::StatusUpdateRecord> log;
  // A health-check kill was in progress: its message (TaskHealthFailurePath).
  std::string health_failure;
};

struct RecoveredExecutor {
  std::string framework_id;
  std::string executor_id;
  // False: no executor file, i.e. the agent stopped before launching it
  // (the file is written before the spawn).
  bool have_checkpoint = false;
  // pid 0: the agent stopped between writing the file and recording the
  // spawned pid; whether it runs is unknown until it subscribes.
  internal::ExecutorCheckpoint checkpoint;
  std::vector<RecoveredTask> tasks;
};

struct CheckpointedState {
  std::optional<internal::AgentCheckpoint> agent;  // None on a first start.
  std::map<std::string, v1::FrameworkInfo> frameworks;
  std::vector<RecoveredExecutor> executors;
};

// See the file comment. Errors: DATA_LOSS naming the file and
// --recover=cleanup; INTERNAL for unreadable files (permissions, EIO).
absl::StatusOr<CheckpointedState> LoadCheckpointedState(const std::string& work_dir);

// --recover=cleanup: SIGKILLs the sessions of checkpointed executors whose
// pid still has its checkpointed start time, and every process whose
// environment carries an AGORA_SANDBOX under this work dir (executors and
// their tasks, even when their checkpoints are unreadable); then renames
// <work_dir>/meta to <work_dir>/meta.discarded.<unix seconds> (kept for
// inspection; the operator deletes it). The agent id is kept when meta/agent
// is intact, so the master learns at re-registration that the old tasks are
// gone; otherwise the agent registers as a new agent. Returns how many
// processes were killed.
absl::StatusOr<int> CleanupWorkDir(const std::string& work_dir);

}  // namespace agora::agent

#endif  // AGORA_AGENT_RECOVERY_STATE_HPP_
