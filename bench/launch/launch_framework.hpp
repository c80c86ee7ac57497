// LaunchFramework: the launch benchmark's framework, a real scheduler on the
// AgoraSchedulerDriver (include/agora/scheduler.hpp) that runs `tasks`
// command tasks `true` of 0.05 cpu / 16 MiB and times each one.
//
// kSequential: one task at a time; the next is launched when the previous
// one's terminal update arrives, on an offer held meanwhile, so the time
// waiting for an offer is not part of any figure. kBurst: every task that
// fits in each offer is launched at once; offers come back as tasks finish.
// Times start when launchTasks is called and end when the scheduler's
// statusUpdate callback sees the state.
// Thread-safe: callbacks run on the driver's thread, queries from any other.
#ifndef AGORA_BENCH_LAUNCH_LAUNCH_FRAMEWORK_HPP_
#define AGORA_BENCH_LAUNCH_LAUNCH_FRAMEWORK_HPP_

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agora/scheduler.hpp"

namespace agora::bench {

enum class LaunchMode { kSequential, kBurst };

// One task's timeline, as the scheduler saw it.
struct TaskTimes {
  absl::Time launched = absl::InfinitePast();
  absl::Time running = absl::InfinitePast();   // First TASK_RUNNING.
  absl::Time terminal = absl::InfinitePast();  // First terminal update.
  v1::TaskState state = v1::TASK_STAGING;      // Latest state.
  std::string message;                         // Of the terminal update.
  int terminal_updates = 0;                    // Terminal updates delivered.
};

class LaunchFramework : public Scheduler {
 public:
  LaunchFramework(LaunchMode mode, int tasks);
  ~LaunchFramework() override;

  // Subscribes to `master` ("host:port").
  void Start(const std::string& master);
  // Tears the framework down (the master kills what still runs).
  void Stop();

  // True once an offer arrived (the agent is registered).
  bool offered();
  // Tasks with a terminal update.
  int terminal();
  // A copy of every launched task's timeline.
  std::map<std::string, TaskTimes> times();

  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void offerRescinded(SchedulerDriver* driver, const v1::OfferID& offer_id) override;
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(SchedulerDriver* driver, const std::string& message) override;

 private:
  // Launches up to `count` tasks on `offer`; returns how many.
  int LaunchOn(SchedulerDriver* driver, const v1::Offer& offer, int count);
  // Sequential mode: launches the next task on a held offer if none runs.
  void LaunchNextSequential(SchedulerDriver* driver);

  const LaunchMode mode_;
  const int tasks_;
  std::unique_ptr<AgoraSchedulerDriver> driver_;

  std::deque<v1::Offer> held_;  // Driver thread only (sequential mode).
  int launched_ = 0;            // Driver thread only.
  bool in_flight_ = false;      // Driver thread only.

  std::mutex mu_;
  bool offered_ = false;                    // Guarded by mu_.
  int terminal_ = 0;                        // Guarded by mu_.
  std::map<std::string, TaskTimes> times_;  // Guarded by mu_.
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_LAUNCH_LAUNCH_FRAMEWORK_HPP_
