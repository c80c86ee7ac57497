// CommandExecutor: the built-in executor (`agora-executor`) that runs one
// command task.
//
// The agent launches one agora-executor per command task (ExecutorID =
// TaskID). On LAUNCH it reports TASK_STARTING, spawns the command (`/bin/sh
// -c value` for shell commands, else `value` with `arguments` as argv) in
// the sandbox with the task's environment, in its own process group, and
// reports TASK_RUNNING. When the command exits it reports TASK_FINISHED
// (status 0), TASK_FAILED ("Command exited with status N" / "Command
// terminated by signal S", exit_status set) or, after a kill, TASK_KILLED.
// A kill sends SIGTERM to the command's process group and SIGKILL after the
// kill policy's grace period (default 3 s). Once the terminal update is
// acknowledged (or after a bounded wait) the executor stops its driver and
// exits.
//
// Threads: callbacks run on the driver thread; one waiter thread per task
// blocks in waitpid and one killer thread enforces the grace period. State
// shared with them is guarded by mu_.
#ifndef AGORA_EXECUTOR_COMMAND_EXECUTOR_HPP_
#define AGORA_EXECUTOR_COMMAND_EXECUTOR_HPP_

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "agora/executor.hpp"

namespace agora::executor {

class CommandExecutor : public Executor {
 public:
  // `terminal_ack_wait` bounds how long the executor waits for its terminal
  // update to be acknowledged before exiting anyway.
  explicit CommandExecutor(absl::Duration terminal_ack_wait = absl::Seconds(30));
  ~CommandExecutor() override;

  void launchTask(ExecutorDriver* driver, const v1::TaskInfo& task) override;
  void killTask(ExecutorDriver* driver, const v1::TaskID& task_id) override;
  void killTask(ExecutorDriver* driver, const v1::TaskID& task_id,
                const v1::KillPolicy& kill_policy) override;
  void shutdown(ExecutorDriver* driver) override;
  void error(ExecutorDriver* driver, const std::string& message) override;

  // Set by main(): how acknowledgement progress is read (the driver's
  // unacknowledged_updates()).
  void set_unacknowledged_counter(std::function<int()> counter) {
    unacknowledged_ = std::move(counter);
  }

 private:
  void SendStatus(ExecutorDriver* driver, v1::TaskState state, const std::string& message,
                  std::optional<int> wait_status);
  // Waiter thread: blocks in waitpid, reports the terminal state, then
  // stops the driver once it is acknowledged.
  void WaitForCommand(ExecutorDriver* driver, pid_t pid);
  // Killer thread: SIGTERM now, SIGKILL after `grace` unless the command
  // exited first.
  void KillCommand(absl::Duration grace);
  void FinishWithoutTask(ExecutorDriver* driver, v1::TaskState state, const std::string& message);
  // Waits (bounded, and not at all during a shutdown) until every update is
  // acknowledged, then stops the driver.
  void StopAfterAcknowledgements(ExecutorDriver* driver);

  const absl::Duration terminal_ack_wait_;
  std::function<int()> unacknowledged_;

  std::mutex mu_;
  std::condition_variable exited_cv_;
  bool launched_ = false;
  bool killed_ = false;
  bool exited_ = false;
  // SHUTDOWN received: the framework is going away; do not wait for acks.
  bool shutting_down_ = false;
  pid_t pid_ = -1;
  v1::TaskID task_id_;
  std::thread waiter_;
  std::thread killer_;
};

}  // namespace agora::executor

#endif  // AGORA_EXECUTOR_COMMAND_EXECUTOR_HPP_
