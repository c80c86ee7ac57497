// PackingFramework: the benchmark's framework, a real scheduler (the
// AgoraSchedulerDriver of include/agora/scheduler.hpp) that packs
// `tasks_per_agent` never-ending tasks of 0.1 cpu / 128 MiB on each of
// `agents` agents, then suppresses its offers. It records when it
// re-registered (the driver's `reregistered` callback) and how many of its
// tasks it has seen RUNNING. Thread-safe: callbacks run on the driver's
// thread, queries from any other.
#ifndef AGORA_BENCH_FAILOVER_PACKING_FRAMEWORK_HPP_
#define AGORA_BENCH_FAILOVER_PACKING_FRAMEWORK_HPP_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agora/scheduler.hpp"

namespace agora::bench {

class PackingFramework : public Scheduler {
 public:
  PackingFramework(int agents, int tasks_per_agent);
  ~PackingFramework() override;

  // Subscribes to `master` (a MasterDetector spec).
  void Start(const std::string& master);
  // Closes the connection without tearing the framework down.
  void Stop();

  int target() const { return agents_ * tasks_per_agent_; }
  // Tasks whose latest update was TASK_RUNNING.
  int running();
  // Tasks that ended (any terminal state), which a failover must not cause.
  int terminal();
  // The last `reregistered` callback (InfinitePast if none).
  absl::Time reregistered_at();
  // True once the first `registered` callback ran.
  bool subscribed();

  void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override;
  void reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) override;
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(SchedulerDriver* driver, const std::string& message) override;

 private:
  const int agents_;
  const int tasks_per_agent_;
  std::unique_ptr<AgoraSchedulerDriver> driver_;

  std::mutex mu_;
  bool registered_ = false;
  absl::Time reregistered_at_ = absl::InfinitePast();
  std::map<std::string, int> launched_per_agent_;  // Driver thread only.
  int launched_ = 0;                               // Driver thread only.
  std::map<std::string, v1::TaskState> states_;    // Guarded by mu_.
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FAILOVER_PACKING_FRAMEWORK_HPP_
