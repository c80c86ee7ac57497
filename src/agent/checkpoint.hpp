// Checkpoint files under the agent's work_dir: atomic whole-file writes
// (temp file, fsync, rename, fsync dir) and the record logs of status
// updates (the parsing shared by the update journal's segments and the
// legacy per-task logs). Blocking: call off the event loop.
//
// Layout (see proto/agora/internal/checkpoint.proto):
//   <work_dir>/meta/agent                                     AgentCheckpoint
//   <work_dir>/meta/frameworks/<fid>/framework                FrameworkCheckpoint
//   <work_dir>/meta/frameworks/<fid>/executors/<eid>/executor ExecutorCheckpoint
//   <work_dir>/meta/frameworks/<fid>/executors/<eid>/tasks/<tid>/task
//   <work_dir>/meta/frameworks/<fid>/executors/<eid>/tasks/<tid>/health_failure
//   <work_dir>/meta/frameworks/<fid>/executors/<eid>/tasks/<tid>/updates
//       (legacy: written by agents before the update journal; still read)
//   <work_dir>/meta/journal/segment-<sequence>                update_journal.hpp
//   <work_dir>/sandboxes/<fid>/<eid>/<run>/{stdout,stderr}  (and <eid>/latest -> <run>)
#ifndef AGORA_AGENT_CHECKPOINT_HPP_
#define AGORA_AGENT_CHECKPOINT_HPP_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agora/internal/checkpoint.pb.h"

namespace agora::agent {

// mkdir -p. INTERNAL with the path and errno text on failure.
absl::Status MakeDirs(const std::string& path);

// Replaces `path` with `data` so that a crash at any instant leaves either
// the old or the new content: write `path.tmp`, fsync, rename, fsync dir.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data);

// The whole file; NOT_FOUND if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Appends one length-delimited record to `path` (created with its parent
// directories) and, if `sync`, fdatasyncs it before returning. (The agent
// itself writes the update journal; this writes a legacy per-task log.)
absl::Status AppendRecord(const std::string& path, const internal::StatusUpdateRecord& record,
                          bool sync = true);

// `record` length-delimited (varint32 size, then the message), appended to
// `out`: the unit of every record log.
void AppendDelimited(const internal::StatusUpdateRecord& record, std::string* out);

// A record log as found on disk.
struct RecordLog {
  std::vector<internal::StatusUpdateRecord> records;
  // Bytes of `records` (the file's length if nothing is torn).
  size_t valid_bytes = 0;
  // The file continues past `valid_bytes` with an incomplete last record (a
  // crash during an append): safe to truncate to `valid_bytes`.
  bool torn_tail = false;
};

// Reads the log at `path` strictly. A record whose length runs past the end
// of the file, or a tail of zero bytes, is a torn last record (reported, not
// an error). Anything else that does not parse -- a record in the middle
// that is not a StatusUpdateRecord, a record of unknown type or without a
// uuid -- is DATA_LOSS naming the file and the byte offset. NOT_FOUND if the
// file does not exist.
absl::StatusOr<RecordLog> ReadRecordLog(const std::string& path);

// Which records a log may hold: a legacy per-task log holds UPDATE and ACK
// records; the update journal (update_journal.hpp) also FORGET records, and
// each of its records names its framework and task.
enum class RecordLogKind { kTaskLog, kJournal };

// ReadRecordLog on `data`, the content of the file `path` (named in errors).
absl::StatusOr<RecordLog> ParseRecordLog(const std::string& path, const std::string& data,
                                         RecordLogKind kind);

// The complete records of `path` in order (a torn last record is left out;
// other corruption is DATA_LOSS as in ReadRecordLog).
absl::StatusOr<std::vector<internal::StatusUpdateRecord>> ReadRecords(const std::string& path);

// Cuts `path` to `size` bytes and fsyncs it.
absl::Status TruncateFile(const std::string& path, size_t size);

// Paths of the layout above.
std::string AgentCheckpointPath(const std::string& work_dir);
std::string TaskUpdatesPath(const std::string& work_dir, const std::string& framework_id,
                            const std::string& executor_id, const std::string& task_id);
// The executor's directory under sandboxes/: each launch's run directory
// is inside it (RunSandboxPath, sandbox_dirs.hpp).
std::string SandboxPath(const std::string& work_dir, const std::string& framework_id,
                        const std::string& executor_id);
std::string FrameworkCheckpointPath(const std::string& work_dir, const std::string& framework_id);
std::string ExecutorCheckpointPath(const std::string& work_dir, const std::string& framework_id,
                                   const std::string& executor_id);
std::string TaskCheckpointPath(const std::string& work_dir, const std::string& framework_id,
                               const std::string& executor_id, const std::string& task_id);
// Next to the task file: the message of a health-check kill in progress
// (plain text, written before the kill starts), so that a restarted agent
// still reports the task TASK_FAILED REASON_TASK_HEALTH_CHECK_FAILED.
std::string TaskHealthFailurePath(const std::string& work_dir, const std::string& framework_id,
                                  const std::string& executor_id, const std::string& task_id);

// Writes `message` atomically to `path` (see WriteFileAtomically).
absl::Status WriteMessage(const std::string& path, const google::protobuf::MessageLite& message);
// Reads a message written by WriteMessage; DATA_LOSS if it does not parse.
absl::Status ReadMessage(const std::string& path, google::protobuf::MessageLite* message);

// Names of the entries of directory `path` (no "." / ".."); empty if it
// does not exist.
std::vector<std::string> ListDirectory(const std::string& path);

// The AgentCheckpoint in meta/agent, NOT_FOUND if none.
absl::StatusOr<internal::AgentCheckpoint> ReadAgentCheckpoint(const std::string& work_dir);
absl::Status WriteAgentCheckpoint(const std::string& work_dir,
                                  const internal::AgentCheckpoint& checkpoint);

// /proc/sys/kernel/random/boot_id, or "" if unreadable.
std::string BootId();

}  // namespace agora::agent

#endif  // AGORA_AGENT_CHECKPOINT_HPP_
