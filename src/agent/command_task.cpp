#include "agent/command_task.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "shim/shim.hpp"

namespace agora::agent {

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

std::string ShellCommandOf(const v1::CommandInfo& command) {
  if (command.shell()) return command.value();
  std::string text = "exec " + ShellQuote(command.value());
  // arguments[0] is argv[0] by convention; sh's exec cannot set it.
  for (int i = 1; i < command.arguments_size(); ++i)
    absl::StrAppend(&text, " ", ShellQuote(command.arguments(i)));
  return text;
}

namespace {

std::string SignalName(int signo) {
  const char* name = strsignal(signo);
  return name != nullptr ? absl::StrCat(name, " (", signo, ")") : absl::StrCat(signo);
}

std::string WithTail(std::string message, const std::string& tail) {
  if (!tail.empty()) absl::StrAppend(&message, ": ", tail);
  return message;
}

}  // namespace

CommandEnd DescribeCommandEnd(const ShimEnd& end) {
  CommandEnd result;
  if (end.kill_requested && !end.health_failure.empty()) {
    // Killed for failing its health checks: however it died, it failed.
    ShimEnd killed = end;
    killed.health_failure.clear();
    result = DescribeCommandEnd(killed);
    if (result.state == v1::TASK_KILLED) {
      result.state = v1::TASK_FAILED;
      result.reason = v1::TaskStatus::REASON_TASK_HEALTH_CHECK_FAILED;
      result.message = end.health_failure;
    }
    return result;
  }
  const shim::ShimStatus& status = end.record.status;
  bool recorded = end.record.outcome == shim::ShimStatusRead::kOk;
  if (recorded && status.state == shim::ShimState::kExited) {
    result.wait_status = status.code << 8;
    result.message = absl::StrCat("Command exited with status ", status.code);
    if (status.code == 0 && !end.kill_requested) {
      result.state = v1::TASK_FINISHED;
      return result;
    }
    result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_FAILED;
    if (!end.kill_requested) {
      result.reason = v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED;
      result.message = WithTail(result.message, end.stderr_tail);
    }
    return result;
  }
  if (recorded && status.state == shim::ShimState::kSignaled) {
    result.wait_status = status.code;
    result.message = absl::StrCat("Command terminated by signal ", SignalName(status.code));
    result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_FAILED;
    if (!end.kill_requested) result.reason = v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED;
    return result;
  }
  if (recorded && status.state == shim::ShimState::kError) {
    result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_FAILED;
    result.reason = v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED;
    result.message = absl::StrCat("Command could not be started: ", status.message);
    return result;
  }
  if (end.no_shim_found && end.record.outcome == shim::ShimStatusRead::kMissing) {
    result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_DROPPED;
    result.reason = v1::TaskStatus::REASON_AGENT_RESTARTED;
    result.message = "The agent restarted while it was starting the task; the task never ran";
    return result;
  }
  // The shim ended without recording how the task ended.
  std::string what;
  if (end.record.outcome == shim::ShimStatusRead::kOk) {
    what = "its status file says the task started but not how it ended";
  } else if (end.record.outcome == shim::ShimStatusRead::kMissing) {
    what = "it wrote no status file";
  } else {
    what = end.record.error;
  }
  std::string shim_end = "agora-shim ended";
  if (end.shim_wait_status && WIFEXITED(*end.shim_wait_status) &&
      WEXITSTATUS(*end.shim_wait_status) == shim::kShimCannotRecord) {
    // The shim kills a task it cannot track; its stderr (if writable) says why.
    result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_FAILED;
    result.reason = v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED;
    result.message =
        WithTail(absl::StrCat("agora-shim could not write the task's status file (", what,
                              "; is the sandbox's disk full?), so it killed "
                              "the task"),
                 end.stderr_tail);
    return result;
  }
  if (end.shim_wait_status) {
    int ws = *end.shim_wait_status;
    shim_end = WIFSIGNALED(ws)
                   ? absl::StrCat("agora-shim was killed by signal ", SignalName(WTERMSIG(ws)))
                   : absl::StrCat("agora-shim exited with status ", WEXITSTATUS(ws));
  }
  result.state = end.kill_requested ? v1::TASK_KILLED : v1::TASK_FAILED;
  result.reason = v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED;
  result.message = WithTail(
      absl::StrCat(shim_end, " and the task's exit status is unknown: ", what), end.stderr_tail);
  return result;
}

absl::Duration KillGrace(const v1::KillPolicy& policy) {
  return policy.grace_period_seconds() > 0 ? absl::Seconds(policy.grace_period_seconds())
                                           : absl::Seconds(3);
}

absl::StatusOr<pid_t> StartShim(Launcher& launcher, LaunchSpec spec, absl::Duration wait,
                                bool* started) {
  *started = false;
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe for agora-shim: ", std::strerror(errno)));
  }
  spec.pass_fd = ready[1];
  spec.argv.push_back("--ready_fd=3");
  absl::StatusOr<pid_t> pid = launcher.Launch(spec);
  ::close(ready[1]);
  if (pid.ok()) {
    pollfd readable{ready[0], POLLIN, 0};
    int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
    char what = 0;
    if (::poll(&readable, 1, timeout_ms) > 0 && ::read(ready[0], &what, 1) == 1)
      *started = what == 'S';
  }
  ::close(ready[0]);
  return pid;
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat info {};
  std::string text;
  if (::fstat(fd, &info) == 0 && info.st_size > 0) {
    off_t size = info.st_size;
    off_t start = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
    text.resize(static_cast<size_t>(size - start));
    ssize_t n = ::pread(fd, text.data(), text.size(), start);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (start > 0) {
      size_t newline = text.find('\n');
      text = newline == std::string::npos ? "" : text.substr(newline + 1);
    }
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace agora::agent
