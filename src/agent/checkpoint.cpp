#include "agent/checkpoint.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/durable_file.hpp"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace agora::agent {
namespace {

// Larger than any status update the agent accepts (gRPC messages are capped
// at 16 MiB): a longer length prefix is garbage, not a torn append.
constexpr uint32_t kMaxRecordBytes = 16u << 20;

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status MakeDirs(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  // Bottom-up: the common case (it exists) is one lock-free stat, not a
  // mkdir of every component from the root (each of which locks its parent
  // directory: with several I/O threads on the same parents, that was ~16 %
  // of the agent's I/O time in a launch burst).
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::InternalError(absl::StrCat(path, " is not a directory"));
  }
  if (errno != ENOENT) return ErrnoError("stat", path);
  std::string parent = Dirname(path);
  if (!parent.empty() && parent != path && parent != "/") {
    if (auto status = MakeDirs(parent); !status.ok()) return status;
  }
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("mkdir", path);
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return absl::InternalError(absl::StrCat(path, " is not a directory"));
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  if (auto status = MakeDirs(Dirname(path)); !status.ok()) return status;
  return AtomicWriteFile(path, data);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoError("open", path);
  }
  std::string data;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoError("read", path);
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

void AppendDelimited(const internal::StatusUpdateRecord& record, std::string* out) {
  google::protobuf::io::StringOutputStream raw(out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.WriteVarint32(static_cast<uint32_t>(record.ByteSizeLong()));
  record.SerializeToCodedStream(&coded);
}

absl::Status AppendRecord(const std::string& path, const internal::StatusUpdateRecord& record,
                          bool sync) {
  if (auto status = MakeDirs(Dirname(path)); !status.ok()) return status;
  std::string data;
  AppendDelimited(record, &data);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", path);
  absl::Status status = WriteAll(fd, data, path);
  if (status.ok() && sync && ::fdatasync(fd) != 0) status = ErrnoError("fdatasync", path);
  ::close(fd);
  return status;
}

namespace {

// Whether `record` may appear in a log of `kind` (see ParseRecordLog).
bool ValidRecord(const internal::StatusUpdateRecord& record, RecordLogKind kind) {
  using Record = internal::StatusUpdateRecord;
  if (kind == RecordLogKind::kJournal) {
    if (record.framework_id().value().empty() || record.task_id().value().empty()) return false;
    if (record.type() == Record::FORGET) return true;
    if (record.type() == Record::UPDATE &&
        record.status().task_id().value() != record.task_id().value())
      return false;
  }
  bool known_type = record.type() == Record::UPDATE || record.type() == Record::ACK;
  return known_type && !record.uuid().empty() &&
         (record.type() != Record::UPDATE || record.status().uuid() == record.uuid());
}

}  // namespace

absl::StatusOr<RecordLog> ParseRecordLog(const std::string& path, const std::string& data,
                                         RecordLogKind kind) {
  RecordLog log;
  const size_t total = data.size();
  size_t offset = 0;
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(path, ": ", what, " at byte ", offset, " of ", total));
  };
  while (offset < total) {
    google::protobuf::io::CodedInputStream coded(
        reinterpret_cast<const uint8_t*>(data.data() + offset), static_cast<int>(total - offset));
    uint32_t size = 0;
    bool have_size = coded.ReadVarint32(&size);
    size_t header = static_cast<size_t>(coded.CurrentPosition());
    if (have_size && size > kMaxRecordBytes) return corrupt("an impossible record length");
    if (!have_size || offset + header + size > total) {
      log.torn_tail = true;  // The append that was cut short by a crash.
      break;
    }
    if (size == 0 && data.find_first_not_of('\0', offset) == std::string::npos) {
      log.torn_tail = true;  // Space allocated but never written.
      break;
    }
    internal::StatusUpdateRecord record;
    if (!record.ParseFromArray(data.data() + offset + header, static_cast<int>(size)))
      return corrupt("a record that does not parse");
    if (!ValidRecord(record, kind))
      return corrupt("a record that is not a status update or acknowledgement");
    log.records.push_back(std::move(record));
    offset += header + size;
    log.valid_bytes = offset;
  }
  return log;
}

absl::StatusOr<RecordLog> ReadRecordLog(const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  return ParseRecordLog(path, *data, RecordLogKind::kTaskLog);
}

absl::StatusOr<std::vector<internal::StatusUpdateRecord>> ReadRecords(const std::string& path) {
  auto log = ReadRecordLog(path);
  if (!log.ok()) return log.status();
  return std::move(log->records);
}

absl::Status TruncateFile(const std::string& path, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  absl::Status status;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) status = ErrnoError("ftruncate", path);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("fsync", path);
  ::close(fd);
  return status;
}

std::string AgentCheckpointPath(const std::string& work_dir) {
  return absl::StrCat(work_dir, "/meta/agent");
}

std::string TaskUpdatesPath(const std::string& work_dir, const std::string& framework_id,
                            const std::string& executor_id, const std::string& task_id) {
  return absl::StrCat(work_dir, "/meta/frameworks/", framework_id, "/executors/", executor_id,
                      "/tasks/", task_id, "/updates");
}

std::string SandboxPath(const std::string& work_dir, const std::string& framework_id,
                        const std::string& executor_id) {
  return absl::StrCat(work_dir, "/sandboxes/", framework_id, "/", executor_id);
}

std::string FrameworkCheckpointPath(const std::string& work_dir, const std::string& framework_id) {
  return absl::StrCat(work_dir, "/meta/frameworks/", framework_id, "/framework");
}

std::string ExecutorCheckpointPath(const std::string& work_dir, const std::string& framework_id,
                                   const std::string& executor_id) {
  return absl::StrCat(work_dir, "/meta/frameworks/", framework_id, "/executors/", executor_id,
                      "/executor");
}

std::string TaskCheckpointPath(const std::string& work_dir, const std::string& framework_id,
                               const std::string& executor_id, const std::string& task_id) {
  return absl::StrCat(work_dir, "/meta/frameworks/", framework_id, "/executors/", executor_id,
                      "/tasks/", task_id, "/task");
}

std::string TaskHealthFailurePath(const std::string& work_dir, const std::string& framework_id,
                                  const std::string& executor_id, const std::string& task_id) {
  return absl::StrCat(work_dir, "/meta/frameworks/", framework_id, "/executors/", executor_id,
                      "/tasks/", task_id, "/health_failure");
}

absl::Status WriteMessage(const std::string& path, const google::protobuf::MessageLite& message) {
  return WriteFileAtomically(path, message.SerializeAsString());
}

absl::Status ReadMessage(const std::string& path, google::protobuf::MessageLite* message) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  if (!message->ParseFromString(*data))
    return absl::DataLossError(absl::StrCat(path, " is corrupt"));
  return absl::OkStatus();
}

std::vector<std::string> ListDirectory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

absl::StatusOr<internal::AgentCheckpoint> ReadAgentCheckpoint(const std::string& work_dir) {
  auto data = ReadFile(AgentCheckpointPath(work_dir));
  if (!data.ok()) return data.status();
  internal::AgentCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(*data)) {
    return absl::DataLossError(
        absl::StrCat(AgentCheckpointPath(work_dir), " is corrupt (not an AgentCheckpoint)"));
  }
  return checkpoint;
}

absl::Status WriteAgentCheckpoint(const std::string& work_dir,
                                  const internal::AgentCheckpoint& checkpoint) {
  return WriteFileAtomically(AgentCheckpointPath(work_dir), checkpoint.SerializeAsString());
}

std::string BootId() {
  auto data = ReadFile("/proc/sys/kernel/random/boot_id");
  if (!data.ok()) return "";
  return std::string(absl::StripAsciiWhitespace(*data));
}

}  // namespace agora::agent
