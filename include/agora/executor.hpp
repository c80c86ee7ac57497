// The executor API: what a framework author implements to run tasks on an
// agent, and the driver that connects that code to the agent.
//
// An executor is a process the agent starts (in the executor's sandbox, in
// its own session) with AGORA_* environment variables naming the agent's
// endpoint and the executor's ids. The process creates an `Executor`
// (callbacks) and an `AgoraExecutorDriver`, then calls `driver.run()`:
//
//   class MyExecutor : public agora::Executor {
//     void launchTask(agora::ExecutorDriver* driver,
//                     const agora::v1::TaskInfo& task) override {
//       agora::v1::TaskStatus status;
//       *status.mutable_task_id() = task.task_id();
//       status.set_state(agora::v1::TASK_RUNNING);
//       driver->sendStatusUpdate(status);
//       ...
//     }
//     void killTask(agora::ExecutorDriver* driver,
//                   const agora::v1::TaskID& task_id) override { ... }
//   };
//   int main() {
//     MyExecutor executor;
//     agora::AgoraExecutorDriver driver(&executor);
//     return driver.run() == agora::ExecutorDriverStatus::STOPPED ? 0 : 1;
//   }
//
// Callbacks run one at a time on the driver's own thread, never
// concurrently; they must not block for long (spawn a thread for slow
// work). Every ExecutorDriver method is thread-safe and may be called from
// callbacks or from any other thread.
//
// Status updates are delivered at least once: `sendStatusUpdate` gives the
// update a uuid and sends it to the agent, retrying until the agent replies
// (the reply means the agent has checkpointed it). The driver keeps the
// update until the framework acknowledges it (ExecutorEvent.ACKNOWLEDGED)
// and re-sends every unacknowledged update when it re-subscribes after the
// agent restarts. Updates of one task are sent in the order they were given.
//
// Environment read by the driver (set by the agent):
//   AGORA_AGENT_ENDPOINT   "host:port" (or "unix:PATH") of the agent's gRPC
//   AGORA_FRAMEWORK_ID     the framework id
//   AGORA_EXECUTOR_ID      this executor's id
//   AGORA_AGENT_ID         the agent's id (may be empty before registration)
//   AGORA_SANDBOX          the sandbox directory (also the working directory)
//   AGORA_CHECKPOINT       "1": the agent checkpoints; survive its restarts
//   AGORA_EXECUTOR_SHUTDOWN_GRACE_PERIOD  seconds (optional, default 5)
//
// This header needs only the generated message types; no gRPC headers.
#ifndef AGORA_EXECUTOR_HPP_
#define AGORA_EXECUTOR_HPP_

#include <memory>
#include <string>

#include "agora/v1/common.pb.h"

namespace agora {

class EventLoop;  // src/common/event_loop.hpp; only for the testing constructor.

class ExecutorDriver;

// The state of an ExecutorDriver, returned by every driver method.
enum class ExecutorDriverStatus {
  // Constructed; start() not yet called.
  NOT_STARTED,
  // start() succeeded; the driver talks to the agent.
  RUNNING,
  // abort() was called, or the driver could not start (error() was called).
  ABORTED,
  // stop() was called.
  STOPPED,
};

// Callbacks from the driver. Implemented by the framework author. Each runs
// on the driver's thread, serially.
class Executor {
 public:
  virtual ~Executor() = default;

  // The first successful subscription with the agent.
  virtual void registered(ExecutorDriver* driver, const v1::ExecutorInfo& executor_info,
                          const v1::FrameworkInfo& framework_info,
                          const v1::AgentInfo& agent_info) {}

  // A later subscription after the connection to the agent was lost (for
  // example, the agent restarted).
  virtual void reregistered(ExecutorDriver* driver, const v1::AgentInfo& agent_info) {}

  // The connection to the agent was lost; the driver keeps trying to
  // re-subscribe until the agent's recovery window passes.
  virtual void disconnected(ExecutorDriver* driver) {}

  // Start running `task`. Report its progress with sendStatusUpdate
  // (TASK_STARTING, TASK_RUNNING, then a terminal state).
  virtual void launchTask(ExecutorDriver* driver, const v1::TaskInfo& task) = 0;

  // Kill the task; report TASK_KILLED when it is gone.
  virtual void killTask(ExecutorDriver* driver, const v1::TaskID& task_id) = 0;

  // The same with the kill policy the framework asked for (grace period
  // between SIGTERM and SIGKILL). The default forwards to the two-argument
  // form; override this one to honour the policy.
  virtual void killTask(ExecutorDriver* driver, const v1::TaskID& task_id,
                        const v1::KillPolicy& kill_policy) {
    killTask(driver, task_id);
  }

  // Opaque data from the framework's scheduler.
  virtual void frameworkMessage(ExecutorDriver* driver, const std::string& data) {}

  // The agent asks the executor to kill all its tasks and exit. Kill the
  // tasks, report their terminal states, then call driver->stop(). If the
  // executor is still alive after the grace period the agent kills it.
  virtual void shutdown(ExecutorDriver* driver) {}

  // A fatal error: the driver could not be configured or the agent refused
  // the executor. The driver is ABORTED when this runs.
  virtual void error(ExecutorDriver* driver, const std::string& message) {}
};

// The executor's handle on the agent. Abstract so executors can be tested
// with a fake driver.
class ExecutorDriver {
 public:
  virtual ~ExecutorDriver() = default;

  // Reads the environment, connects to the agent and subscribes. Returns
  // RUNNING, or ABORTED after calling Executor::error when the environment
  // is incomplete.
  virtual ExecutorDriverStatus start() = 0;

  // Ends the connection to the agent and wakes join(). Unacknowledged
  // updates are given a short bounded time to reach the agent first.
  virtual ExecutorDriverStatus stop() = 0;

  // Ends the connection immediately and wakes join(); nothing more is sent.
  virtual ExecutorDriverStatus abort() = 0;

  // Blocks until stop() or abort(). Returns the final status.
  virtual ExecutorDriverStatus join() = 0;

  // start() then join().
  virtual ExecutorDriverStatus run() = 0;

  // Sends a task status update to the agent. The driver sets uuid (16
  // random bytes), timestamp, source (SOURCE_EXECUTOR), executor_id and
  // agent_id; the caller sets task_id and state (and message, reason,
  // exit_status, data as needed). Retried until the agent checkpoints it;
  // kept until the framework acknowledges it.
  virtual ExecutorDriverStatus sendStatusUpdate(const v1::TaskStatus& status) = 0;

  // Opaque data for the framework's scheduler (best effort, not retried
  // beyond the agent).
  virtual ExecutorDriverStatus sendFrameworkMessage(const std::string& data) = 0;
};

// The driver implementation over gRPC. Configured from the AGORA_*
// environment (see the file comment).
class AgoraExecutorDriver : public ExecutorDriver {
 public:
  // `executor` must outlive the driver.
  explicit AgoraExecutorDriver(Executor* executor);
  // Testing seam: runs the driver and its callbacks on `loop` (not owned;
  // it must outlive the driver) instead of a thread of its own, so tests can
  // drive time with a manual clock; join() then returns at once and the
  // caller runs the loop. Executors use the constructor above.
  AgoraExecutorDriver(Executor* executor, EventLoop* loop);
  // Stops the driver if it is running.
  ~AgoraExecutorDriver() override;

  AgoraExecutorDriver(const AgoraExecutorDriver&) = delete;
  AgoraExecutorDriver& operator=(const AgoraExecutorDriver&) = delete;

  ExecutorDriverStatus start() override;
  ExecutorDriverStatus stop() override;
  ExecutorDriverStatus abort() override;
  ExecutorDriverStatus join() override;
  ExecutorDriverStatus run() override;
  ExecutorDriverStatus sendStatusUpdate(const v1::TaskStatus& status) override;
  ExecutorDriverStatus sendFrameworkMessage(const std::string& data) override;

  // Updates sent but not yet acknowledged by the framework (for executors
  // that wait for their terminal update to be acknowledged before exiting).
  int unacknowledged_updates() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agora

#endif  // AGORA_EXECUTOR_HPP_
