#include "agent/launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/process_tree.hpp"
#include "glog/logging.h"

extern char** environ;

namespace agora::agent {
namespace {

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<pid_t> PosixLauncher::Launch(const LaunchSpec& spec) {
  std::vector<std::string> argv = spec.argv;
  if (argv.empty()) argv.push_back(spec.program);
  std::vector<std::string> env = spec.env;
  std::vector<char*> argv_ptrs = Pointers(argv);
  std::vector<char*> env_ptrs = Pointers(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, spec.stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, spec.stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  // Only stdin, stdout and stderr cross into the executor: an inherited
  // listening socket would keep the agent's ports busy after a restart.
  if (spec.pass_fd >= 0) posix_spawn_file_actions_adddup2(&actions, spec.pass_fd, 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, spec.pass_fd >= 0 ? 4 : 3);
  if (!spec.working_dir.empty())
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  pid_t pid = -1;
  int rc =
      posix_spawnp(&pid, spec.program.c_str(), &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("posix_spawn of ", spec.program, " failed: ", std::strerror(rc)));
  }
  return pid;
}

void PosixLauncher::KillTree(pid_t pid, int signal) {
  if (pid <= 0) return;
  if (signal == SIGKILL) {
    KillSession(pid, 0);
    return;
  }
  ::killpg(pid, signal);
  // Processes that moved to their own process group (the command executor
  // puts each task in one) are still in the session.
  for (pid_t member : SessionMembers(pid, 0)) ::kill(member, signal);
}

std::vector<std::string> InheritedEnvironment() {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (absl::StartsWith(*entry, "AGORA_")) continue;
    env.emplace_back(*entry);
  }
  return env;
}

}  // namespace agora::agent
