#include "executor/command_executor.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

extern char** environ;

namespace agora::executor {
namespace {

// The executor's environment with the task's variables layered on top.
std::vector<std::string> TaskEnvironment(const v1::CommandInfo& command) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    size_t eq = text.find('=');
    if (eq == std::string::npos) continue;
    vars[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& var : command.environment().variables()) vars[var.name()] = var.value();
  std::vector<std::string> result;
  result.reserve(vars.size());
  for (const auto& [name, value] : vars) result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Spawns the command in its own process group. Returns the pid or an errno
// message.
pid_t SpawnCommand(const v1::CommandInfo& command, std::string* error) {
  std::vector<std::string> argv;
  std::string program;
  if (command.shell()) {
    program = "/bin/sh";
    argv = {"sh", "-c", command.value()};
  } else {
    program = command.value();
    argv.assign(command.arguments().begin(), command.arguments().end());
    if (argv.empty()) argv.push_back(program);
  }
  std::vector<std::string> env = TaskEnvironment(command);
  std::vector<char*> argv_ptrs = Pointers(argv);
  std::vector<char*> env_ptrs = Pointers(env);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGHUP);
  posix_spawnattr_setsigdefault(&attr, &default_signals);

  // The task inherits stdin, stdout and stderr only (not the executor's
  // gRPC sockets or anything the agent leaked into it).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  pid_t pid = -1;
  // posix_spawnp searches PATH for argv programs ("sleep"); shells use the
  // absolute /bin/sh.
  int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    *error = absl::StrCat("Failed to launch '", program, "': ", std::strerror(rc));
    return -1;
  }
  return pid;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("Command exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return absl::StrCat("Command terminated by signal ", strsignal(WTERMSIG(status)));
  return absl::StrCat("Command ended with wait status ", status);
}

}  // namespace

CommandExecutor::CommandExecutor(absl::Duration terminal_ack_wait)
    : terminal_ack_wait_(terminal_ack_wait) {}

CommandExecutor::~CommandExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited_ = true;
    exited_cv_.notify_all();
  }
  if (waiter_.joinable()) waiter_.join();
  if (killer_.joinable()) killer_.join();
}

void CommandExecutor::SendStatus(ExecutorDriver* driver, v1::TaskState state,
                                 const std::string& message, std::optional<int> wait_status) {
  v1::TaskStatus status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    *status.mutable_task_id() = task_id_;
  }
  status.set_state(state);
  if (!message.empty()) status.set_message(message);
  if (wait_status) {
    status.set_exit_status(*wait_status);
    status.set_has_exit_status(true);
  }
  driver->sendStatusUpdate(status);
}

void CommandExecutor::launchTask(ExecutorDriver* driver, const v1::TaskInfo& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (launched_) {
      LOG(ERROR) << "The command executor runs one task; refusing task " << task.task_id().value();
      v1::TaskStatus status;
      *status.mutable_task_id() = task.task_id();
      status.set_state(v1::TASK_FAILED);
      status.set_message("agora-executor runs exactly one task");
      driver->sendStatusUpdate(status);
      return;
    }
    launched_ = true;
    task_id_ = task.task_id();
  }
  LOG(INFO) << "Launching task " << task.task_id().value();
  SendStatus(driver, v1::TASK_STARTING, "", std::nullopt);
  if (!task.has_command() || task.command().value().empty()) {
    FinishWithoutTask(driver, v1::TASK_FAILED, "Task has no command");
    return;
  }
  std::string error;
  pid_t pid = SpawnCommand(task.command(), &error);
  if (pid < 0) {
    LOG(ERROR) << error;
    FinishWithoutTask(driver, v1::TASK_FAILED, error);
    return;
  }
  bool kill_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = pid;
    kill_now = killed_;
  }
  LOG(INFO) << "Command started, pid=" << pid;
  SendStatus(driver, v1::TASK_RUNNING, "", std::nullopt);
  waiter_ = std::thread([this, driver, pid] { WaitForCommand(driver, pid); });
  if (kill_now) killTask(driver, task.task_id(), task.kill_policy());
}

void CommandExecutor::killTask(ExecutorDriver* driver, const v1::TaskID& task_id) {
  killTask(driver, task_id, v1::KillPolicy());
}

void CommandExecutor::killTask(ExecutorDriver* driver, const v1::TaskID& task_id,
                               const v1::KillPolicy& kill_policy) {
  absl::Duration grace = kill_policy.grace_period_seconds() > 0
                             ? absl::Seconds(kill_policy.grace_period_seconds())
                             : absl::Seconds(3);
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (launched_ && task_id.value() != task_id_.value()) return;
    if (killed_ && killer_.joinable()) return;  // Already being killed.
    killed_ = true;
    running = pid_ > 0 && !exited_;
    if (!launched_) return;  // Killed before launch: reported at launch.
  }
  if (!running) return;  // It exited; its terminal update is on its way.
  LOG(INFO) << "Killing task " << task_id.value() << " with a grace period of " << grace;
  killer_ = std::thread([this, grace] { KillCommand(grace); });
}

void CommandExecutor::KillCommand(absl::Duration grace) {
  std::unique_lock<std::mutex> lock(mu_);
  if (exited_) return;
  ::kill(-pid_, SIGTERM);
  bool exited =
      exited_cv_.wait_for(lock, absl::ToChronoNanoseconds(grace), [this] { return exited_; });
  if (!exited) {
    LOG(WARNING) << "Command did not exit within the grace period; sending SIGKILL";
    ::kill(-pid_, SIGKILL);
  }
}

void CommandExecutor::shutdown(ExecutorDriver* driver) {
  bool launched;
  bool exited;
  v1::TaskID task_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    launched = launched_;
    exited = exited_;
    task_id = task_id_;
  }
  LOG(INFO) << "Shutdown requested";
  if (!launched) {
    driver->stop();
    return;
  }
  if (exited) return;  // The waiter thread stops the driver now.
  killTask(driver, task_id, v1::KillPolicy());
}

void CommandExecutor::error(ExecutorDriver* driver, const std::string& message) {
  LOG(ERROR) << "Executor driver error: " << message;
}

void CommandExecutor::WaitForCommand(ExecutorDriver* driver, pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool killed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited_ = true;
    killed = killed_;
    exited_cv_.notify_all();
  }
  // Reap whatever the command left in its process group.
  ::kill(-pid, SIGKILL);
  std::string description = DescribeWaitStatus(status);
  LOG(INFO) << description;
  if (killed) {
    SendStatus(driver, v1::TASK_KILLED, description, status);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    SendStatus(driver, v1::TASK_FINISHED, description, status);
  } else {
    SendStatus(driver, v1::TASK_FAILED, description, status);
  }
  StopAfterAcknowledgements(driver);
}

void CommandExecutor::StopAfterAcknowledgements(ExecutorDriver* driver) {
  // Wait (bounded) for the acknowledgement so the update is not lost if the
  // agent restarts right now, then exit.
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(terminal_ack_wait_);
  while (unacknowledged_ && unacknowledged_() > 0 && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shutting_down_) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  driver->stop();
}

void CommandExecutor::FinishWithoutTask(ExecutorDriver* driver, v1::TaskState state,
                                        const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited_ = true;
  }
  SendStatus(driver, state, message, std::nullopt);
  waiter_ = std::thread([this, driver] { StopAfterAcknowledgements(driver); });
}

}  // namespace agora::executor
