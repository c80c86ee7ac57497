// Helpers for tests that run real programs: spawn a daemon and stop it,
// run a command to completion and capture its output, find the built
// binaries, wait on a condition with a deadline, and own a temp directory.
#ifndef AGORA_TESTS_SUPPORT_SUBPROCESS_HPP_
#define AGORA_TESTS_SUPPORT_SUBPROCESS_HPP_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::testing {

// A child process started with posix_spawn, stdout and stderr appended to a
// log file. Killed (SIGKILL) and reaped on destruction if still running.
class Subprocess {
 public:
  // `extra_env` entries ("NAME=value") are added to this process's
  // environment.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(
      const std::vector<std::string>& argv, const std::string& log_path,
      const std::vector<std::string>& extra_env = {});
  ~Subprocess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the process has not exited (reaps it if it has).
  bool Running();
  // Sends `signal` (no-op once reaped).
  void Signal(int signal);
  // Waits up to `timeout` for exit; returns the raw wait status, or
  // DEADLINE_EXCEEDED.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // SIGTERM, then SIGKILL after `grace`; returns the wait status.
  int Stop(absl::Duration grace = absl::Seconds(5));
  // The log file's contents so far.
  std::string Log() const;

 private:
  Subprocess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_;
  std::string log_path_;
  std::optional<int> status_;
};

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out.
  std::string output;  // stdout and stderr, interleaved.
};

// Runs `argv` to completion (killing it after `timeout`).
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env = {});

// Path of a program built by this tree: $AGORA_BUILD_DIR/bin/<name>.
std::string BinaryPath(const std::string& name);

// Polls `condition` every `poll` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(20));

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless the test failed (kept for inspection; path logged).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads a whole file; empty if it does not exist.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_SUBPROCESS_HPP_
