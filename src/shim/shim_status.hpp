// The status file agora-shim writes into a task's sandbox, and a pure
// formatter and parser for it (the agent links this to read what a shim
// recorded, also after an agent restart).
//
// The file is small line-oriented text. Each record extends the previous one
// by a line, written with one write() (see StatusWriter in shim_io.hpp); the
// agent reads it once the shim is gone, so it sees whole records. A file cut
// short (the shim killed mid-write) parses as an error, never as a guess.
// Every line ends with '\n':
//
//   agora-shim-status 1            header and format version
//   shim <pid> <starttime>         the shim process itself
//   started <pid> <starttime>      the task's `sh -c` (its process group leader)
//   exited <code> <unix_ms>        the task exited with <code> (0-255), or
//   signaled <signo> <unix_ms>     the task was killed by signal <signo>, or
//   error <unix_ms> <message>      the task could not be started (or tracked)
//
// <starttime> is field 22 of /proc/<pid>/stat (clock ticks after boot): a
// reader compares it with the live process to tell a recycled pid. <unix_ms>
// is the wall-clock time the shim saw the end, in milliseconds since the epoch.
//
// A shim writes the file twice: once with `started` before it waits for the
// task, then again with `started` plus `exited` or `signaled`. A command that
// cannot be spawned gets `error` (without `started`). If the shim itself is
// SIGKILLed the second record never comes: a reader that finds `started`
// without an end while neither the shim nor the task (same pid, same start
// time) is alive must treat the task's exit status as lost.
#ifndef AGORA_SHIM_SHIM_STATUS_HPP_
#define AGORA_SHIM_SHIM_STATUS_HPP_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::shim {

// A process told apart from a later one with the same pid.
struct ProcessStamp {
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22, clock ticks after boot.

  bool operator==(const ProcessStamp& other) const {
    return pid == other.pid && start_time == other.start_time;
  }
};

enum class ShimState {
  kStarted,   // the task runs (or ran, if the shim died before recording its end)
  kExited,    // the task exited; `code` is its exit code
  kSignaled,  // the task was killed by a signal; `code` is the signal number
  kError,     // the task could not be started; `message` says why
};

// One complete record of a status file.
struct ShimStatus {
  ProcessStamp shim;
  std::optional<ProcessStamp> task;  // always set unless state is kError
  ShimState state = ShimState::kStarted;
  int code = 0;             // kExited: 0-255; kSignaled: 1-64
  int64_t end_time_ms = 0;  // kExited, kSignaled, kError
  std::string message;      // kError; newlines are written as spaces

  bool operator==(const ShimStatus& other) const;
};

// The file's text for `status`. `status` must be well formed (a task unless
// kError, codes in range); the shim only builds such records.
std::string FormatShimStatus(const ShimStatus& status);

// Parses `text` read from `path` (used only in error messages). On success
// fills `*status` and returns true; otherwise returns false and sets `*error`
// to "<path>: <what is wrong>" (a torn file, an unknown record, a number out
// of range, ...). Never aborts on any input.
bool ParseShimStatus(std::string_view text, std::string_view path, ShimStatus* status,
                     std::string* error);

// Reading a status file from disk.
struct ShimStatusRead {
  enum Outcome {
    kOk,       // `status` holds the record
    kMissing,  // no file (the shim has not written its first record yet)
    kFailed,   // unreadable or damaged; `error` names the path and the reason
  };
  Outcome outcome = kFailed;
  ShimStatus status;
  std::string error;
};
ShimStatusRead ReadShimStatusFile(const std::string& path);

// A short description such as "exited 3" or "signaled 9", for logs and tests.
std::string DescribeShimStatus(const ShimStatus& status);

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_STATUS_HPP_
