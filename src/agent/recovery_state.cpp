#include "agent/recovery_state.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"
#include "agent/update_journal.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// `detail` names the file and what is wrong with it.
absl::Status Damaged(absl::string_view detail) {
  return absl::DataLossError(absl::StrCat(
      "damaged checkpoint ", detail,
      ". The agent will not guess its state from it. Inspect or restore the file, or restart "
      "with --recover=cleanup to kill this work dir's executors and tasks and start fresh"));
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return Damaged(absl::StrCat(path, ": ", what));
}

// A read error other than "missing": corruption if the file does not parse,
// else the I/O error itself (INTERNAL names the path).
absl::Status ReadError(const std::string& path, const absl::Status& status) {
  if (absl::IsDataLoss(status)) return Corrupt(path, "does not parse");
  return status;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Names in `dir` minus leftovers of interrupted atomic writes ("*.tmp",
// removed here: the rename that would have published them never ran).
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (std::string& name : ListDirectory(dir)) {
    if (absl::EndsWith(name, ".tmp")) {
      ::unlink(absl::StrCat(dir, "/", name).c_str());
      continue;
    }
    names.push_back(std::move(name));
  }
  return names;
}

absl::Status LoadTask(const std::string& work_dir, const std::string& framework_id,
                      const std::string& executor_id, const std::string& task_id,
                      RecoveredExecutor* executor) {
  const std::string task_path = TaskCheckpointPath(work_dir, framework_id, executor_id, task_id);
  const std::string dir = task_path.substr(0, task_path.rfind('/'));
  const std::string log_path = TaskUpdatesPath(work_dir, framework_id, executor_id, task_id);
  bool had_tmp = Exists(task_path + ".tmp");
  std::vector<std::string> entries = Entries(dir);
  if (!Exists(task_path)) {
    if (entries.empty()) {
      // Only the temp file of the launch checkpoint: the agent stopped while
      // writing it, before it launched anything for the task.
      LOG(WARNING) << "Removing " << dir << (had_tmp ? " (only a half-written task file)" : "")
                   << ": the agent stopped before launching task_id=" << task_id;
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
      return absl::OkStatus();
    }
    return Corrupt(task_path, "missing while the task has other checkpoint files");
  }
  internal::TaskCheckpoint checkpoint;
  if (auto status = ReadMessage(task_path, &checkpoint); !status.ok())
    return ReadError(task_path, status);
  const v1::Task& task = checkpoint.task();
  if (task.task_id().value() != task_id || task.framework_id().value() != framework_id ||
      task.executor_id().value() != executor_id) {
    return Corrupt(task_path, absl::StrCat("names task '", task.task_id().value(),
                                           "' of framework '", task.framework_id().value(),
                                           "' on executor '", task.executor_id().value(), "'"));
  }
  RecoveredTask recovered;
  recovered.task = task;
  auto log = ReadRecordLog(log_path);
  if (log.ok()) {
    if (log->torn_tail) {
      LOG(WARNING) << "Truncating the torn last record of " << log_path << " (a crash during an "
                   << "append): keeping " << log->records.size() << " complete record(s), "
                   << log->valid_bytes << " bytes";
      if (auto status = TruncateFile(log_path, log->valid_bytes); !status.ok()) return status;
    }
    for (const auto& record : log->records) {
      if (record.framework_id().value() != framework_id ||
          (record.type() == internal::StatusUpdateRecord::UPDATE &&
           record.status().task_id().value() != task_id))
        return Corrupt(log_path, "holds a record of another task");
    }
    recovered.log = std::move(log->records);
  } else if (!absl::IsNotFound(log.status())) {
    if (absl::IsDataLoss(log.status())) return Corrupt(log_path, log.status().message());
    return log.status();
  }
  auto health_failure =
      ReadFile(TaskHealthFailurePath(work_dir, framework_id, executor_id, task_id));
  if (health_failure.ok()) recovered.health_failure = *std::move(health_failure);
  executor->tasks.push_back(std::move(recovered));
  return absl::OkStatus();
}

absl::Status LoadExecutor(const std::string& work_dir, const std::string& framework_id,
                          const std::string& executor_id, CheckpointedState* state) {
  const std::string path = ExecutorCheckpointPath(work_dir, framework_id, executor_id);
  const std::string dir = path.substr(0, path.rfind('/'));
  RecoveredExecutor executor;
  executor.framework_id = framework_id;
  executor.executor_id = executor_id;
  Entries(dir);  // Drops a half-written executor.tmp.
  for (const std::string& task_id : Entries(dir + "/tasks")) {
    if (auto status = LoadTask(work_dir, framework_id, executor_id, task_id, &executor);
        !status.ok())
      return status;
  }
  if (Exists(path)) {
    if (auto status = ReadMessage(path, &executor.checkpoint); !status.ok())
      return ReadError(path, status);
    const v1::ExecutorInfo& info = executor.checkpoint.info();
    if (info.executor_id().value() != executor_id || info.framework_id().value() != framework_id)
      return Corrupt(path, absl::StrCat("names executor '", info.executor_id().value(),
                                        "' of framework '", info.framework_id().value(), "'"));
    if (executor.checkpoint.pid() < 0)
      return Corrupt(path, absl::StrCat("has an impossible pid ", executor.checkpoint.pid()));
    executor.have_checkpoint = true;
  }
  if (executor.tasks.empty()) {
    // Every task finished and was collected (the agent stopped while
    // removing the executor's directory), or the agent died before any task
    // file reached the disk. Nothing may keep running untracked.
    ProcessStat stat;
    if (executor.have_checkpoint && ReadProcessStat(executor.checkpoint.pid(), &stat) &&
        stat.state != 'Z' && stat.start_ticks == executor.checkpoint.pid_start_ticks()) {
      LOG(WARNING) << "Killing executor_id=" << executor_id << " pid=" << executor.checkpoint.pid()
                   << " and its session: it has no checkpointed task";
      KillSession(executor.checkpoint.pid(), executor.checkpoint.pid_start_ticks());
    }
    VLOG(1) << "Removing " << dir << ": no tasks left";
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return absl::OkStatus();
  }
  state->executors.push_back(std::move(executor));
  return absl::OkStatus();
}

// Appends the journal's records of each recovered task to its log, after
// the records of its legacy per-task log, in journal order. Records of
// tasks without a checkpoint (forgotten, or never launched) or under another
// executor are ignored; a FORGET voids the journal records of the task (on
// that executor) before it (a task id used again after the first task was
// forgotten).
absl::Status MergeJournal(const std::string& work_dir, CheckpointedState* state) {
  auto segments = ReadJournal(JournalDir(work_dir));
  if (!segments.ok()) {
    if (absl::IsDataLoss(segments.status())) return Damaged(segments.status().message());
    return segments.status();
  }
  if (!segments->empty() && segments->back().log.torn_tail) {
    const JournalSegment& last = segments->back();
    LOG(WARNING) << "Truncating the torn last record of " << last.path << " (a crash during a "
                 << "write): keeping " << last.log.records.size() << " complete record(s), "
                 << last.log.valid_bytes << " bytes";
    if (auto status = TruncateFile(last.path, last.log.valid_bytes); !status.ok()) return status;
  }
  std::map<std::pair<std::string, std::string>, RecoveredTask*> tasks;
  for (RecoveredExecutor& executor : state->executors) {
    for (RecoveredTask& task : executor.tasks)
      tasks[{executor.framework_id, task.task.task_id().value()}] = &task;
  }
  std::map<RecoveredTask*, std::vector<internal::StatusUpdateRecord>> journaled;
  for (JournalSegment& segment : *segments) {
    for (internal::StatusUpdateRecord& record : segment.log.records) {
      auto it = tasks.find({record.framework_id().value(), record.task_id().value()});
      // Records of the task under another executor belong to another
      // incarnation of the task id.
      if (it == tasks.end() ||
          record.executor_id().value() != it->second->task.executor_id().value())
        continue;
      if (record.type() == internal::StatusUpdateRecord::FORGET) {
        journaled.erase(it->second);
        continue;
      }
      journaled[it->second].push_back(std::move(record));
    }
  }
  for (auto& [task, records] : journaled) {
    for (auto& record : records) task->log.push_back(std::move(record));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CheckpointedState> LoadCheckpointedState(const std::string& work_dir) {
  CheckpointedState state;
  std::error_code ignored;
  std::filesystem::remove_all(work_dir + "/meta/trash", ignored);
  Entries(work_dir + "/meta");  // Drops a half-written agent.tmp.
  const std::string agent_path = AgentCheckpointPath(work_dir);
  auto agent = ReadAgentCheckpoint(work_dir);
  if (agent.ok()) {
    if (agent->info().id().value().empty()) return Corrupt(agent_path, "has no agent id");
    state.agent = *agent;
  } else if (!absl::IsNotFound(agent.status())) {
    return ReadError(agent_path, agent.status());
  }
  const std::string root = work_dir + "/meta/frameworks";
  for (const std::string& framework_id : Entries(root)) {
    if (!state.agent) {
      return Corrupt(agent_path, absl::StrCat("missing while ", root, "/", framework_id,
                                              " holds checkpoints (the agent id is lost)"));
    }
    const std::string framework_path = FrameworkCheckpointPath(work_dir, framework_id);
    if (Exists(framework_path)) {
      internal::FrameworkCheckpoint framework;
      if (auto status = ReadMessage(framework_path, &framework); !status.ok())
        return ReadError(framework_path, status);
      if (framework.info().id().value() != framework_id)
        return Corrupt(framework_path,
                       absl::StrCat("names framework '", framework.info().id().value(), "'"));
      state.frameworks[framework_id] = framework.info();
    }
    for (const std::string& executor_id :
         Entries(absl::StrCat(root, "/", framework_id, "/executors"))) {
      if (auto status = LoadExecutor(work_dir, framework_id, executor_id, &state); !status.ok())
        return status;
    }
  }
  if (auto status = MergeJournal(work_dir, &state); !status.ok()) return status;
  return state;
}

absl::StatusOr<int> CleanupWorkDir(const std::string& work_dir) {
  int killed = 0;
  const std::string root = work_dir + "/meta/frameworks";
  // Checkpointed executors that still run (same start time: not a recycled
  // pid), with their whole sessions.
  for (const std::string& framework_id : ListDirectory(root)) {
    for (const std::string& executor_id :
         ListDirectory(absl::StrCat(root, "/", framework_id, "/executors"))) {
      internal::ExecutorCheckpoint checkpoint;
      if (!ReadMessage(ExecutorCheckpointPath(work_dir, framework_id, executor_id), &checkpoint)
               .ok() ||
          checkpoint.pid() <= 0)
        continue;
      ProcessStat stat;
      if (!ReadProcessStat(checkpoint.pid(), &stat) ||
          stat.start_ticks != checkpoint.pid_start_ticks())
        continue;
      LOG(WARNING) << "--recover=cleanup: killing executor_id=" << executor_id
                   << " pid=" << checkpoint.pid() << " and its session";
      killed += KillSession(checkpoint.pid(), checkpoint.pid_start_ticks());
    }
  }
  // Anything else started for this work dir (executors whose files are
  // unreadable, tasks left behind by a dead executor).
  for (pid_t pid : ProcessesWithEnvironment("AGORA_SANDBOX", work_dir + "/sandboxes/")) {
    ProcessStat stat;
    if (!ReadProcessStat(pid, &stat) || stat.state == 'Z') continue;
    LOG(WARNING) << "--recover=cleanup: killing pid=" << pid << " (sandbox under " << work_dir
                 << ") and its session";
    killed += KillSession(stat.session == pid ? pid : stat.session, stat.start_ticks);
    if (stat.session != pid && ::kill(pid, SIGKILL) == 0) killed++;
  }
  auto agent = ReadAgentCheckpoint(work_dir);
  const std::string meta = work_dir + "/meta";
  if (Exists(meta) && !ListDirectory(meta).empty()) {
    const std::string aside = absl::StrCat(meta, ".discarded.", std::time(nullptr));
    if (std::rename(meta.c_str(), aside.c_str()) != 0)
      return absl::InternalError(absl::StrCat("--recover=cleanup: cannot move ", meta, " to ",
                                              aside, ": ", std::strerror(errno)));
    LOG(WARNING) << "--recover=cleanup: moved " << meta << " to " << aside
                 << " (delete it once inspected)";
  }
  if (auto status = MakeDirs(meta); !status.ok()) return status;
  if (agent.ok() && !agent->info().id().value().empty()) {
    // Same identity: at re-registration the master learns that the old
    // tasks are gone instead of waiting for the agent to time out.
    if (auto status = WriteAgentCheckpoint(work_dir, *agent); !status.ok()) return status;
  }
  return killed;
}

}  // namespace agora::agent
