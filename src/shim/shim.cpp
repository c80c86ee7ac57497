#include "shim/shim.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "shim/shim_io.hpp"
#include "shim/shim_status.hpp"

extern char** environ;

namespace agora::shim {
namespace {

// The running task's pid (= its process group id), 0 when there is none. Read by the signal
// handler; written only while SIGTERM and SIGINT are blocked.
volatile sig_atomic_t g_task_pid = 0;

void ForwardSignal(int signo) {
  int saved_errno = errno;
  pid_t pid = g_task_pid;
  if (pid > 0) kill(-pid, signo);
  errno = saved_errno;
}

sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Blocks SIGTERM/SIGINT (they stay pending until a task exists to receive
// them) and installs the forwarding handler. SIGHUP and SIGPIPE are ignored:
// the shim must outlive the agent's terminal and a closed stderr to write
// the exit record.
void SetUpSignals() {
  sigset_t forwarded = ForwardedSignals();
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  struct sigaction action {};
  action.sa_handler = ForwardSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
}

void SetTaskPid(pid_t pid) {
  sigset_t forwarded = ForwardedSignals();
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  g_task_pid = pid;
  if (pid > 0) sigprocmask(SIG_UNBLOCK, &forwarded, nullptr);
}

// The shim's environment with `additions` ("NAME=VALUE") added or replacing.
std::vector<std::string> TaskEnvironment(const std::vector<std::string>& additions) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string current = *entry;
    std::string name = current.substr(0, current.find('='));
    bool replaced = false;
    for (const std::string& addition : additions) {
      if (addition.compare(0, name.size() + 1, name + "=") == 0) replaced = true;
    }
    if (!replaced) result.push_back(std::move(current));
  }
  result.insert(result.end(), additions.begin(), additions.end());
  return result;
}

// File descriptors the task gets as its working directory, stdin, stdout and
// stderr. Closed on destruction (the task has its own copies by then).
struct TaskFiles {
  int sandbox = -1;
  int null = -1;
  int out = -1;
  int err = -1;
  ~TaskFiles() {
    for (int fd : {sandbox, null, out, err}) {
      if (fd >= 0) close(fd);
    }
  }
};

bool OpenTaskFiles(const ShimOptions& options, TaskFiles* files, std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = what + ": " + std::strerror(errno);
    return false;
  };
  files->sandbox = open(options.sandbox.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (files->sandbox < 0) return fail("cannot enter sandbox " + options.sandbox);
  files->null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (files->null < 0) return fail("cannot open /dev/null");
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  files->out = open(options.stdout_path.c_str(), flags, 0644);
  if (files->out < 0) return fail("cannot open stdout file " + options.stdout_path);
  files->err = open(options.stderr_path.c_str(), flags, 0644);
  if (files->err < 0) return fail("cannot open stderr file " + options.stderr_path);
  return true;
}

// posix_spawns `shell -c command` as the leader of a new process group in the
// shim's session; returns 0 or an errno.
int SpawnTask(const ShimOptions& options, const TaskFiles& files, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The descriptors are all above 2 (see RunShim), so no dup2 overwrites a
  // descriptor a later action still needs.
  posix_spawn_file_actions_addfchdir_np(&actions, files.sandbox);
  posix_spawn_file_actions_adddup2(&actions, files.null, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, files.out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, files.err, STDERR_FILENO);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  sigset_t defaults = ForwardedSignals();
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);

  std::vector<std::string> environment = TaskEnvironment(options.env);
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string shell = options.shell;
  std::string dash_c = "-c";
  std::string command = options.command;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};

  int rc = posix_spawn(pid, options.shell.c_str(), &actions, &attributes, argv, envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// Writes `status` to the status file; on failure reports on stderr.
bool Record(const ShimOptions& options, StatusWriter& writer, const ShimStatus& status) {
  std::string error;
  if (writer.Write(FormatShimStatus(status), &error)) return true;
  std::fprintf(stderr, "agora-shim: cannot record '%s' in status file %s: %s\n",
               DescribeShimStatus(status).c_str(), options.status_path.c_str(), error.c_str());
  return false;
}

// Tells the starter (--ready_fd) whether the task started ('S') or not ('E').
void SignalReady(const ShimOptions& options, char what) {
  if (options.ready_fd < 0) return;
  while (write(options.ready_fd, &what, 1) < 0 && errno == EINTR) {
  }
  close(options.ready_fd);
}

int RecordError(const ShimOptions& options, StatusWriter& writer, ShimStatus status,
                const std::string& message) {
  status.state = ShimState::kError;
  status.message = message;
  status.end_time_ms = NowUnixMs();
  int code = Record(options, writer, status) ? kShimRecorded : kShimCannotRecord;
  SignalReady(options, 'E');
  return code;
}

// Waits for `pid` to exit without reaping it (so its process group id cannot
// be reused while a forwarded signal may still target it), then stops
// forwarding and reaps it. Returns the wait status.
int WaitForTask(pid_t pid) {
  siginfo_t info{};
  while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  SetTaskPid(0);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Reaps the descendants orphaned onto the shim (its subreaper role) that
// already exited; returns true if any descendant of the task still lives.
// Every live descendant has a live topmost ancestor below the shim, which is
// the shim's child once the task itself is gone: no children, no leftovers.
bool DescendantsRemain() {
  while (true) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == 0) {
      if (info.si_pid == 0) return true;  // children, none of them exited
      continue;                           // reaped one; look again
    }
    if (errno != EINTR) return false;  // ECHILD: none left
  }
}

// Writes the shim's pid into each cgroup's cgroup.procs (the task it then
// spawns inherits them); false with `*error` naming the cgroup and reason.
bool JoinCgroups(const ShimOptions& options, std::string* error) {
  std::string pid = std::to_string(getpid());
  for (const std::string& dir : options.cgroups) {
    std::string procs = dir + "/cgroup.procs";
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
    int saved = errno;
    if (fd >= 0) close(fd);
    if (!ok) {
      *error = "cannot join cgroup " + dir + ": " + std::strerror(saved);
      return false;
    }
  }
  return true;
}

// Opens /dev/null on any of descriptors 0-2 the shim was started without, so
// the task's files never land on them (and stderr messages go somewhere).
void FillStandardDescriptors() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int opened = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
  }
}

}  // namespace

int RunShim(const ShimOptions& options) {
  // The task's whole tree lives in the shim's session: the agent starts the
  // shim as a session leader and kills that session. Started by hand, the
  // shim makes its own session if it can (it cannot as a group leader).
  if (getsid(0) != getpid()) setsid();
  // Orphans of the task become the shim's children, so it can tell whether
  // the task left anything behind.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // The readiness pipe is the shim's alone: the task must not inherit it.
  if (options.ready_fd >= 0) fcntl(options.ready_fd, F_SETFD, FD_CLOEXEC);
  FillStandardDescriptors();
  SetUpSignals();
  StatusWriter writer(options.status_path);
  ShimStatus status;
  status.shim.pid = getpid();  // a record needs it even if its start time is unreadable
  std::string error;
  if (!ReadProcessStamp(getpid(), &status.shim, &error)) {
    return RecordError(options, writer, status, "cannot read the shim's own start time: " + error);
  }

  if (!JoinCgroups(options, &error)) return RecordError(options, writer, status, error);

  pid_t pid = 0;
  {
    TaskFiles files;
    if (!OpenTaskFiles(options, &files, &error)) return RecordError(options, writer, status, error);
    int rc = SpawnTask(options, files, &pid);
    if (rc != 0) {
      return RecordError(options, writer, status,
                         "cannot run " + options.shell + ": " + std::strerror(rc));
    }
  }

  ProcessStamp task;
  if (!ReadProcessStamp(pid, &task, &error)) {
    // Cannot happen for an unreaped child short of /proc missing; without a
    // start time nobody could tell the task from a recycled pid later.
    kill(-pid, SIGKILL);
    WaitForTask(pid);
    return RecordError(options, writer, status, "cannot read the task's start time: " + error);
  }
  status.task = task;
  status.state = ShimState::kStarted;
  if (!Record(options, writer, status)) {
    // An untracked task must not keep running: the agent would never learn
    // its end.
    kill(-pid, SIGKILL);
    WaitForTask(pid);
    return kShimCannotRecord;
  }

  SignalReady(options, 'S');
  SetTaskPid(pid);  // delivers any SIGTERM/SIGINT that arrived meanwhile
  int wait_status = WaitForTask(pid);
  if (WIFSIGNALED(wait_status)) {
    status.state = ShimState::kSignaled;
    status.code = WTERMSIG(wait_status);
  } else {
    status.state = ShimState::kExited;
    status.code = WEXITSTATUS(wait_status);
  }
  status.end_time_ms = NowUnixMs();
  if (!Record(options, writer, status)) return kShimCannotRecord;
  return DescendantsRemain() ? kShimRecordedLeftovers : kShimRecorded;
}

}  // namespace agora::shim
