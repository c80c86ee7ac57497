// RunScheduler: the one-shot framework behind `agora run`. Launches
// `instances` copies of a shell command on offered resources, prints each
// task state change, and reports when every task has reached a terminal
// state. A task dropped before it ran (stale offer, master failover) is
// retried up to kMaxDropRetries times.
//
// Callbacks run on the driver's thread; Finished()/ExitCode() are
// thread-safe for the CLI's main thread.
#ifndef AGORA_CLI_RUN_SCHEDULER_HPP_
#define AGORA_CLI_RUN_SCHEDULER_HPP_

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "agora/scheduler.hpp"
#include "cli/args.hpp"

namespace agora::cli {

// Pure: how many tasks of (cpus, mem) fit in the offer's unreserved
// resources and those reserved for `role`, capped at `wanted`.
int TasksThatFit(const v1::Offer& offer, const std::string& role, double cpus, double mem,
                 int wanted);

// Pure: "<name>-<index>" with characters not allowed in ids replaced by '_'.
std::string RunTaskId(const std::string& name, int index);

class RunScheduler : public Scheduler {
 public:
  static constexpr int kMaxDropRetries = 3;

  RunScheduler(RunOptions options, std::ostream* out, std::ostream* err);

  void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override;
  void reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) override;
  void disconnected(SchedulerDriver* driver) override;
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(SchedulerDriver* driver, const std::string& message) override;
  void callFailed(SchedulerDriver* driver, const std::string& call,
                  const std::string& message) override;

  // Waits until every task is terminal or the driver failed, up to
  // `timeout` (infinite for absl::InfiniteDuration()). True when finished.
  bool WaitFinished(absl::Duration timeout);
  // Wakes WaitFinished early (Ctrl-C).
  void Interrupt();
  // 0 iff every task FINISHED; 1 otherwise.
  int ExitCode() const;
  // "3 of 3 tasks finished" or which tasks did not.
  std::string Summary() const;

 private:
  v1::TaskInfo MakeTask(const std::string& task_id, const v1::Offer& offer) const;
  void MarkFinishedLocked();

  const RunOptions options_;
  std::ostream* const out_;
  std::ostream* const err_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  bool interrupted_ = false;
  bool failed_ = false;  // The driver hit a fatal error.
  // A task ("<name>-<i>") may be launched more than once: a DROPPED one is
  // retried under a fresh id ("<name>-<i>-retry<k>"), never its old one (the
  // agent may still hold the old one until its last update is acknowledged).
  // Everything below is keyed by the task, except pending_ and instance_of_,
  // which hold launch ids.
  std::deque<std::string> pending_;                 // Launch ids not launched yet.
  std::map<std::string, std::string> instance_of_;  // Launch id -> task.
  std::map<std::string, std::string> attempt_;      // Task -> its current launch id.
  std::map<std::string, v1::TaskState> latest_;     // Every task's last state.
  std::map<std::string, std::string> final_message_;
  std::map<std::string, int> drops_;
  int terminal_ = 0;
  bool suppressed_ = false;
};

}  // namespace agora::cli

#endif  // AGORA_CLI_RUN_SCHEDULER_HPP_
