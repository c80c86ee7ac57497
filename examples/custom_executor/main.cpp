// custom_executor: an executor built on include/agora/executor.hpp that
// runs tasks inside its own process instead of as shell commands.
//
// Each task's data is a number N; the executor counts the primes below N on
// a worker thread, reports TASK_STARTING/TASK_RUNNING, sends the result to
// the scheduler as a framework message, and finishes the task with the
// result in the status message. Kills are honoured between steps. The
// executor exits once it has had no running task for --idle_seconds and
// every update it sent has been acknowledged, or when the agent shuts it
// down.
//
// The agent starts it with the AGORA_* environment (see executor.hpp); run
// it through batch_framework --executor=PATH/custom_executor.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agora/executor.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"

DEFINE_double(idle_seconds, 3, "Exit after this long without running tasks");

namespace {

namespace v1 = agora::v1;
using agora::ExecutorDriver;

v1::TaskStatus Status(const v1::TaskID& task_id, v1::TaskState state, std::string message = "") {
  v1::TaskStatus status;
  *status.mutable_task_id() = task_id;
  status.set_state(state);
  status.set_message(std::move(message));
  return status;
}

class PrimeExecutor : public agora::Executor {
 public:
  ~PrimeExecutor() override {
    for (std::thread& worker : workers_) worker.join();
  }

  void registered(ExecutorDriver*, const v1::ExecutorInfo& executor, const v1::FrameworkInfo&,
                  const v1::AgentInfo& agent) override {
    LOG(INFO) << "executor " << executor.executor_id().value() << " registered on agent "
              << agent.id().value();
  }

  void launchTask(ExecutorDriver* driver, const v1::TaskInfo& task) override {
    long limit = 0;
    try {
      limit = std::stol(task.data());
    } catch (...) {
      limit = -1;
    }
    if (limit < 0 || limit > 100000000) {
      driver->sendStatusUpdate(
          Status(task.task_id(), v1::TASK_FAILED, "task data must be a number in [0, 100000000]"));
      return;
    }
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_[task.task_id().value()] = cancelled;
    }
    driver->sendStatusUpdate(Status(task.task_id(), v1::TASK_STARTING));
    // Callbacks must not block: the work happens on its own thread.
    workers_.emplace_back([this, driver, task_id = task.task_id(), limit, cancelled] {
      driver->sendStatusUpdate(Status(task_id, v1::TASK_RUNNING));
      long primes = 0;
      for (long n = 2; n < limit && !*cancelled; ++n) {
        bool prime = true;
        for (long d = 2; d * d <= n && prime; ++d) prime = n % d != 0;
        primes += prime ? 1 : 0;
      }
      if (*cancelled) {
        driver->sendStatusUpdate(Status(task_id, v1::TASK_KILLED, "killed on request"));
      } else {
        std::string result = std::to_string(primes) + " primes below " + std::to_string(limit);
        driver->sendFrameworkMessage(task_id.value() + ": " + result);
        driver->sendStatusUpdate(Status(task_id, v1::TASK_FINISHED, result));
      }
      std::lock_guard<std::mutex> lock(mu_);
      running_.erase(task_id.value());
      last_activity_ = std::chrono::steady_clock::now();
      cv_.notify_all();
    });
  }

  void killTask(ExecutorDriver*, const v1::TaskID& task_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_.find(task_id.value()); it != running_.end()) *it->second = true;
  }

  void shutdown(ExecutorDriver* driver) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [id, cancelled] : running_) *cancelled = true;
      shutting_down_ = true;
      cv_.notify_all();
    }
  }

  void error(ExecutorDriver*, const std::string& message) override {
    LOG(ERROR) << "executor error: " << message;
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    cv_.notify_all();
  }

  // Blocks until the executor should exit: shut down, or idle (no running
  // task, every update acknowledged) for --idle_seconds.
  void WaitUntilDone(agora::AgoraExecutorDriver* driver) {
    auto idle = std::chrono::milliseconds(static_cast<int64_t>(FLAGS_idle_seconds * 1000));
    std::unique_lock<std::mutex> lock(mu_);
    last_activity_ = std::chrono::steady_clock::now();
    while (true) {
      if (shutting_down_ && running_.empty()) return;
      bool idle_now = running_.empty() && driver->unacknowledged_updates() == 0;
      if (!idle_now) last_activity_ = std::chrono::steady_clock::now();
      if (idle_now && std::chrono::steady_clock::now() - last_activity_ >= idle) return;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;
  std::vector<std::thread> workers_;  // Touched only on the driver's thread.
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  bool shutting_down_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  PrimeExecutor executor;
  agora::AgoraExecutorDriver driver(&executor);
  if (driver.start() != agora::ExecutorDriverStatus::RUNNING) return 1;
  executor.WaitUntilDone(&driver);
  // stop() gives unacknowledged updates a bounded time to reach the agent.
  agora::ExecutorDriverStatus status = driver.stop();
  driver.join();
  return status == agora::ExecutorDriverStatus::STOPPED ? 0 : 1;
}
