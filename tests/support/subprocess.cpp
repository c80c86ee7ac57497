#include "tests/support/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

extern char** environ;

namespace agora::testing {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(
    const std::vector<std::string>& argv, const std::string& log_path,
    const std::vector<std::string>& extra_env) {
  if (argv.empty()) return absl::InvalidArgumentError("argv: must not be empty");
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const std::string& e : extra_env) env_storage.push_back(e);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError("posix_spawn " + argv[0] + ": " + strerror(rc));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, log_path));
}

Subprocess::~Subprocess() {
  if (Running()) {
    Signal(SIGKILL);
    (void)Wait(absl::Seconds(10));
  }
}

bool Subprocess::Running() {
  if (status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    return false;
  }
  return r == 0;
}

void Subprocess::Signal(int signal) {
  if (!status_) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (WaitFor([this] { return !Running(); }, timeout, absl::Milliseconds(5))) return *status_;
  return absl::DeadlineExceededError("process " + std::to_string(pid_) + " still running");
}

int Subprocess::Stop(absl::Duration grace) {
  Signal(SIGTERM);
  if (auto status = Wait(grace); status.ok()) return *status;
  Signal(SIGKILL);
  return Wait(absl::Seconds(10)).value_or(-1);
}

std::string Subprocess::Log() const { return ReadFileOrEmpty(log_path_); }

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env) {
  char path[] = "/tmp/agora-cmd-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("mkstemp failed");
  close(fd);
  auto process = Subprocess::Spawn(argv, path, extra_env);
  if (!process.ok()) {
    unlink(path);
    return process.status();
  }
  CommandResult result;
  absl::StatusOr<int> status = (*process)->Wait(timeout);
  if (!status.ok()) {
    (*process)->Signal(SIGKILL);
    (void)(*process)->Wait(absl::Seconds(10));
  } else if (WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  }
  result.output = ReadFileOrEmpty(path);
  unlink(path);
  return result;
}

std::string BinaryPath(const std::string& name) {
  const char* build_dir = std::getenv("AGORA_BUILD_DIR");
  return std::string(build_dir != nullptr ? build_dir : "build") + "/bin/" + name;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout, absl::Duration poll) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(absl::ToChronoMicroseconds(poll));
  }
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/agora-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  if (::testing::Test::HasFailure()) {
    std::cerr << "[test] keeping " << path_ << " for inspection\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace agora::testing
