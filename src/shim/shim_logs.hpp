// Size-capped task logs, owned by agora-shim (no process per task copies the
// stream). With rotation on, the task writes its stdout and stderr into
// pipes; the shim's wait loop copies them into RotatingLogs with a
// LogCopier. Plain libc, like the rest of the shim.
//
// Rotation: `stdout` holds at most max_size bytes; when the next write would
// exceed it, the file is cut (after the last whole line that fits, if any),
// renamed to `stdout.1` (`stdout.1` to `stdout.2`, ..., the oldest,
// `stdout.(max_files-1)`, dropped) and a new `stdout` begins. On disk, a
// stream never takes more than max_size x max_files bytes. max_files 1
// truncates `stdout` in place. A line longer than the room left is split
// across two files.
#ifndef AGORA_SHIM_SHIM_LOGS_HPP_
#define AGORA_SHIM_SHIM_LOGS_HPP_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace agora::shim {

// One rotating log file. Not thread-safe (the shim has one thread).
class RotatingLog {
 public:
  // `max_size` > 0, `max_files` >= 1. New files are chowned to `uid`:`gid`
  // when `uid` >= 0 (the task's user under --switch_user).
  RotatingLog(std::string path, uint64_t max_size, int max_files,
              uid_t uid = static_cast<uid_t>(-1), gid_t gid = static_cast<gid_t>(-1));
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  // Opens (or creates, 0644) `path` for appending; what it holds already
  // counts towards max_size. False with `*error` naming the path and reason.
  bool Open(std::string* error);

  // Appends `size` bytes, rotating as needed. On a failed write or rotation
  // the rest of `data` is dropped (the task must never block on its log)
  // and `*error` names the path and reason.
  bool Write(const char* data, size_t size, std::string* error);

  // Keeps descriptor `fd` a duplicate of the current file across rotations
  // (the shim's own stdout/stderr: its complaints land in the current file,
  // and a rotated-away file is not kept open).
  void MirrorOnto(int fd) { mirror_fd_ = fd; }

  const std::string& path() const { return path_; }
  // Bytes in the current file.
  uint64_t size() const { return size_; }

 private:
  bool OpenFile(int extra_flags, std::string* error);
  bool Rotate(std::string* error);
  bool WriteAll(const char* data, size_t size, std::string* error);

  std::string path_;
  uint64_t max_size_;
  int max_files_;
  uid_t uid_;
  gid_t gid_;
  int fd_ = -1;
  int mirror_fd_ = -1;
  uint64_t size_ = 0;
};

// Copies pipes into RotatingLogs. Each stream owns its pipe's read end (set
// non-blocking here) and borrows its log.
class LogCopier {
 public:
  LogCopier() = default;
  ~LogCopier();
  LogCopier(const LogCopier&) = delete;
  LogCopier& operator=(const LogCopier&) = delete;

  void Add(int pipe_fd, RotatingLog* log);

  // The read ends still open (not at EOF), for poll().
  std::vector<int> OpenPipes() const;

  // Reads what `pipe_fd` has (one read of up to the buffer's size) into its
  // log; closes the pipe at EOF or on a read error.
  void Pump(int pipe_fd);

  // After the task's exit: reads every open pipe until it is empty or at
  // EOF, but no more than the pipe's capacity -- everything the task itself
  // wrote is in the pipe by then, and a descendant that still writes must
  // not keep the shim from recording the task's end.
  void DrainAfterExit();

  // The first write error of any log ("" if none): reported once.
  const std::string& first_error() const { return first_error_; }

 private:
  struct Stream {
    int fd = -1;
    RotatingLog* log = nullptr;
  };
  // Reads once from `stream`; the bytes read, 0 at EOF/EAGAIN/error.
  ssize_t ReadOnce(Stream& stream, bool* open);

  std::vector<Stream> streams_;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
  std::string first_error_;
};

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_LOGS_HPP_
