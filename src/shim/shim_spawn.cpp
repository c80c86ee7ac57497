#include "shim/shim_spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace agora::shim {
namespace {

// The signals the shim handles or ignores; the task gets their defaults.
constexpr int kResetSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD};

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

// argv and envp of the task, kept alive until the spawn returns.
struct TaskArguments {
  std::vector<std::string> environment;
  std::vector<char*> envp;
  std::string shell, dash_c = "-c", command;
  char* argv[4] = {};

  explicit TaskArguments(const ShimOptions& options)
      : environment(TaskEnvironment(options.env)), shell(options.shell), command(options.command) {
    for (std::string& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);
    argv[0] = shell.data();
    argv[1] = dash_c.data();
    argv[2] = command.data();
  }
};

bool PosixSpawnTask(const ShimOptions& options, const TaskDescriptors& fds, pid_t* pid,
                    std::string* error) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The descriptors are all above 2, so no dup2 overwrites a descriptor a
  // later action still needs.
  posix_spawn_file_actions_addfchdir_np(&actions, fds.sandbox);
  posix_spawn_file_actions_adddup2(&actions, fds.in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds.err, STDERR_FILENO);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signo : kResetSignals) sigaddset(&defaults, signo);
  posix_spawnattr_setsigdefault(&attributes, &defaults);

  TaskArguments arguments(options);
  int rc = posix_spawn(pid, options.shell.c_str(), &actions, &attributes, arguments.argv,
                       arguments.envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) *error = "cannot run " + options.shell + ": " + std::strerror(rc);
  return rc == 0;
}

// What failed in the child of ForkTask, sent to the parent through a
// close-on-exec pipe (nothing arrives when the exec succeeds).
struct ChildFailure {
  int step = 0;  // 0 descriptors, 1 setgroups, 2 setgid, 3 setuid, 4 exec, 5 cgroup
  int error = 0;
};

// The error text of a failed child step.
std::string DescribeFailure(const ShimOptions& options, const ChildFailure& failure) {
  const std::string reason = std::strerror(failure.error);
  switch (failure.step) {
    case 1:
      return "cannot set the supplementary groups of uid " + std::to_string(options.uid) + ": " +
             reason;
    case 2:
      return "cannot switch to gid " + std::to_string(options.gid) + ": " + reason;
    case 3:
      return "cannot switch to uid " + std::to_string(options.uid) + ": " + reason;
    case 4:
      return "cannot run " + options.shell + ": " + reason;
    case 5:
      return "cannot join the task's cpu cgroup: " + reason;
    default:
      return "cannot set up the task's directory and descriptors: " + reason;
  }
}

// Writes the calling process into the open cgroup.procs `fd` ("0": itself);
// true when there is none.
bool JoinCgroupFd(int fd) { return fd < 0 || write(fd, "0", 1) == 1; }

[[noreturn]] void ChildFail(int report_fd, int step) {
  ChildFailure failure{step, errno};
  ssize_t ignored = write(report_fd, &failure, sizeof(failure));
  (void)ignored;
  _exit(127);
}

// The child's side: only system calls between fork and exec (after a vfork
// the child shares the shim's memory until it execs).
[[noreturn]] void BecomeTask(const ShimOptions& options, const TaskDescriptors& fds,
                             TaskArguments& arguments, int report_fd) {
  for (int signo : kResetSignals) signal(signo, SIG_DFL);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  // Before setuid: joining needs the shim's privileges.
  if (!JoinCgroupFd(fds.cgroup_procs)) ChildFail(report_fd, 5);
  setpgid(0, 0);
  if (fchdir(fds.sandbox) != 0 || dup2(fds.in, STDIN_FILENO) < 0 ||
      dup2(fds.out, STDOUT_FILENO) < 0 || dup2(fds.err, STDERR_FILENO) < 0) {
    ChildFail(report_fd, 0);
  }
  if (options.switch_user) {
    // Groups first: setgroups and setgid need the privileges setuid drops.
    if (setgroups(options.groups.size(), options.groups.data()) != 0) ChildFail(report_fd, 1);
    if (setgid(options.gid) != 0) ChildFail(report_fd, 2);
    if (setuid(options.uid) != 0) ChildFail(report_fd, 3);
  }
  execve(options.shell.c_str(), arguments.argv, arguments.envp.data());
  ChildFail(report_fd, 4);
}

bool ForkTask(const ShimOptions& options, const TaskDescriptors& fds, pid_t* pid,
              std::string* error) {
  TaskArguments arguments(options);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error = std::string("cannot make a pipe to start the task: ") + std::strerror(errno);
    return false;
  }
  // No handler of the shim may run in the child (after a vfork it would
  // run on the shim's memory): every signal stays blocked until the child
  // has reset the handlers it inherited.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  // vfork (posix_spawn's speed) unless the child changes its user, which
  // must not happen in a process sharing the shim's memory.
  pid_t child = options.switch_user ? fork() : vfork();
  int fork_error = errno;
  if (child != 0) pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (child < 0) {
    *error = std::string("cannot fork the task: ") + std::strerror(fork_error);
    close(report[0]);
    close(report[1]);
    return false;
  }
  if (child == 0) {
    close(report[0]);
    BecomeTask(options, fds, arguments, report[1]);
  }
  close(report[1]);
  setpgid(child, child);  // Either side may run first; both ask for the same.
  ChildFailure failure;
  ssize_t n = 0;
  do {
    n = read(report[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n != static_cast<ssize_t>(sizeof(failure))) {
    *pid = child;  // EOF: the exec succeeded.
    return true;
  }
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  *error = DescribeFailure(options, failure);
  return false;
}

}  // namespace

bool SpawnTask(const ShimOptions& options, const TaskDescriptors& fds, pid_t* pid,
               std::string* error) {
  if (options.switch_user || fds.cgroup_procs >= 0) return ForkTask(options, fds, pid, error);
  return PosixSpawnTask(options, fds, pid, error);
}

}  // namespace agora::shim
