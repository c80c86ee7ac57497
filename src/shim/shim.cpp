#include "shim/shim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "shim/shim_io.hpp"
#include "shim/shim_logs.hpp"
#include "shim/shim_spawn.hpp"
#include "shim/shim_status.hpp"

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

// With rotation on, the shim waits in poll() on the task's pipes and on
// this self-pipe, which the SIGCHLD handler writes to: a child's exit wakes
// the loop even while the pipes are quiet.
int g_child_wakeup[2] = {-1, -1};

void OnChild(int) {
  int saved_errno = errno;
  char byte = 0;
  ssize_t ignored = write(g_child_wakeup[1], &byte, 1);  // non-blocking; full is fine
  (void)ignored;
  errno = saved_errno;
}

// Installs OnChild; false with `*error` if the self-pipe cannot be made.
bool WatchChildren(std::string* error) {
  if (pipe2(g_child_wakeup, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = std::string("cannot make the shim's wake-up pipe: ") + std::strerror(errno);
    return false;
  }
  struct sigaction action {};
  action.sa_handler = OnChild;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&action.sa_mask);
  sigaction(SIGCHLD, &action, nullptr);
  return true;
}

void SetTaskPid(pid_t pid) {
  sigset_t forwarded = ForwardedSignals();
  sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  g_task_pid = pid;
  if (pid > 0) sigprocmask(SIG_UNBLOCK, &forwarded, nullptr);
}

// With rotation on: the task's stdout and stderr logs and the copier that
// fills them from the task's pipes. Lives until the shim exits.
struct TaskLogs {
  std::unique_ptr<RotatingLog> out;
  std::unique_ptr<RotatingLog> err;
  LogCopier copier;
};

// The task's working directory, stdin, stdout and stderr as the shim opens
// them; closed on destruction (the task has its own copies by then). With
// rotation on, `out` and `err` are the write ends of pipes whose read ends
// are in TaskLogs::copier.
struct TaskFiles {
  TaskDescriptors task;
  ~TaskFiles() {
    for (int fd : {task.sandbox, task.in, task.out, task.err}) {
      if (fd >= 0) close(fd);
    }
  }
};

// True if descriptor `fd` is the file at `path`.
bool SameFile(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  return fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// Opens a rotating log for `path` and a pipe the task writes into (its
// write end in `*task_fd`, the read end added to `copier`).
bool OpenRotatingLog(const ShimOptions& options, const std::string& path,
                     std::unique_ptr<RotatingLog>* log, int* task_fd, LogCopier* copier,
                     std::string* error) {
  uid_t uid = options.switch_user ? options.uid : static_cast<uid_t>(-1);
  gid_t gid = options.switch_user ? options.gid : static_cast<gid_t>(-1);
  *log = std::make_unique<RotatingLog>(path, options.log_max_size, options.log_max_files, uid, gid);
  if (!(*log)->Open(error)) return false;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) {
    *error = std::string("cannot make a pipe for ") + path + ": " + std::strerror(errno);
    return false;
  }
  *task_fd = ends[1];
  copier->Add(ends[0], log->get());
  return true;
}

bool OpenTaskFiles(const ShimOptions& options, TaskFiles* files, TaskLogs* logs,
                   std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = what + ": " + std::strerror(errno);
    return false;
  };
  TaskDescriptors& task = files->task;
  task.sandbox = open(options.sandbox.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (task.sandbox < 0) return fail("cannot enter sandbox " + options.sandbox);
  if (options.switch_user && fchown(task.sandbox, options.uid, options.gid) != 0)
    return fail("cannot give sandbox " + options.sandbox + " to uid " +
                std::to_string(options.uid));
  task.in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (task.in < 0) return fail("cannot open /dev/null");
  if (options.log_max_size > 0) {
    if (!OpenRotatingLog(options, options.stdout_path, &logs->out, &task.out, &logs->copier,
                         error) ||
        !OpenRotatingLog(options, options.stderr_path, &logs->err, &task.err, &logs->copier,
                         error)) {
      return false;
    }
    // The shim's own stdout and stderr are the task's files (the agent
    // starts it that way): they follow the current files across rotations,
    // so the shim's complaints land in `stderr` and no rotated-away file
    // stays open (and on disk).
    if (SameFile(STDOUT_FILENO, options.stdout_path)) logs->out->MirrorOnto(STDOUT_FILENO);
    if (SameFile(STDERR_FILENO, options.stderr_path)) logs->err->MirrorOnto(STDERR_FILENO);
    return true;
  }
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  task.out = open(options.stdout_path.c_str(), flags, 0644);
  if (task.out < 0) return fail("cannot open stdout file " + options.stdout_path);
  task.err = open(options.stderr_path.c_str(), flags, 0644);
  if (task.err < 0) return fail("cannot open stderr file " + options.stderr_path);
  if (options.switch_user && (fchown(task.out, options.uid, options.gid) != 0 ||
                              fchown(task.err, options.uid, options.gid) != 0))
    return fail("cannot give the task's output files to uid " + std::to_string(options.uid));
  return true;
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

// Copies the task's pipes into its logs until the task exits (or both
// pipes are closed), then reaps it like WaitForTask and returns its wait
// status. The pipes may stay open after the task's exit (descendants hold
// them): the caller drains what the task left in them.
int CopyLogsUntilExit(pid_t pid, LogCopier* copier) {
  while (true) {
    std::vector<int> pipes = copier->OpenPipes();
    if (pipes.empty()) break;
    // Checked before each poll: an exit after this check writes to the
    // wake-up pipe, so poll cannot miss it.
    siginfo_t info{};
    if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) break;
    std::vector<pollfd> fds = {{g_child_wakeup[0], POLLIN, 0}};
    for (int fd : pipes) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR: a forwarded signal
    if (fds[0].revents != 0) {
      char bytes[64];
      while (read(g_child_wakeup[0], bytes, sizeof(bytes)) > 0) {
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) copier->Pump(fds[i].fd);
    }
  }
  return WaitForTask(pid);
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

// Writes this process's pid into `dir`/cgroup.procs; false with `*error`
// naming the cgroup and reason.
bool JoinCgroup(const std::string& dir, std::string* error) {
  std::string pid = std::to_string(getpid());
  std::string procs = dir + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  int saved = errno;
  if (fd >= 0) close(fd);
  if (!ok) *error = "cannot join cgroup " + dir + ": " + std::strerror(saved);
  return ok;
}

// Joins each of the task's cgroups but a v1 cpu one (it has cpu.shares),
// whose cgroup.procs is opened into `*cpu_procs` instead: the task joins
// that one itself between its fork and its exec (SpawnTask), so every
// hierarchy sees one move per launch and the shim never enters the cpu
// cgroup. The task's cpu share (e.g. 0.05 cpu) is the task's: the shim,
// which copies the task's output and records its end, running at that
// weight was starved whenever the host was busy, which held the agent's
// launch slots (docs/benchmarks.md, "With cgroups isolation").
bool JoinCgroups(const ShimOptions& options, int* cpu_procs, std::string* error) {
  for (const std::string& dir : options.cgroups) {
    if (*cpu_procs < 0 && access((dir + "/cpu.shares").c_str(), F_OK) == 0) {
      std::string procs = dir + "/cgroup.procs";
      *cpu_procs = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (*cpu_procs < 0) {
        *error = "cannot join cgroup " + dir + ": " + std::strerror(errno);
        return false;
      }
      continue;
    }
    if (!JoinCgroup(dir, error)) return false;
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

  int cpu_procs = -1;
  if (!JoinCgroups(options, &cpu_procs, &error)) return RecordError(options, writer, status, error);

  pid_t pid = 0;
  TaskLogs logs;
  {
    TaskFiles files;
    if (!OpenTaskFiles(options, &files, &logs, &error))
      return RecordError(options, writer, status, error);
    bool copying = !logs.copier.OpenPipes().empty();
    if (copying && !WatchChildren(&error)) return RecordError(options, writer, status, error);
    files.task.cgroup_procs = cpu_procs;
    bool spawned = SpawnTask(options, files.task, &pid, &error);
    if (cpu_procs >= 0) close(cpu_procs);
    if (!spawned) return RecordError(options, writer, status, error);
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
  int wait_status =
      logs.copier.OpenPipes().empty() ? WaitForTask(pid) : CopyLogsUntilExit(pid, &logs.copier);
  // Whatever the task wrote is in the logs before its end is recorded (the
  // agent reports the end once the shim exits).
  logs.copier.DrainAfterExit();
  if (!logs.copier.first_error().empty()) {
    std::fprintf(stderr, "agora-shim: output of the task was dropped: %s\n",
                 logs.copier.first_error().c_str());
  }
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
