// The few OS operations agora-shim needs beyond posix_spawn, on plain libc
// (the shim links no gRPC, protobuf, glog or abseil so that it starts in well
// under a millisecond). Errors come back as text naming the path and reason.
#ifndef AGORA_SHIM_SHIM_IO_HPP_
#define AGORA_SHIM_SHIM_IO_HPP_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>

#include "shim/shim_status.hpp"

namespace agora::shim {

// Reads `pid`'s start time (/proc/<pid>/stat field 22). Works for a zombie
// child that has not been reaped yet.
bool ReadProcessStamp(pid_t pid, ProcessStamp* stamp, std::string* error);

// Writes the records of one status file. The first Write creates (or
// truncates) the file and writes it in one write(); a later one whose text
// extends what is already written (the format only ever adds a line) appends
// just the new part in one write(). No temp file, no rename and no fsync: the
// file must survive the agent's crash or restart, which the page cache does;
// after a machine crash (a new boot id) the agent treats every task as gone
// and never reads it; and renaming over an existing file makes ext4 flush the
// new data at once (auto_da_alloc), which cost more than the task itself.
class StatusWriter {
 public:
  explicit StatusWriter(std::string path) : path_(std::move(path)) {}
  ~StatusWriter();
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  // Makes the file hold `contents`; false with `*error` (path and reason).
  bool Write(const std::string& contents, std::string* error);

 private:
  std::string path_;
  int fd_ = -1;
  std::string written_;
};

// Wall-clock time in milliseconds since the epoch.
int64_t NowUnixMs();

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_IO_HPP_
