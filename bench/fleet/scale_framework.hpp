// ScaleFramework: one of the scale benchmark's frameworks, a real scheduler
// (AgoraSchedulerDriver) that launches `quota` never-ending tasks of
// 0.1 cpu / 128 MiB, at most `per_agent` on any one agent, then suppresses
// its offers. Counts the tasks it has seen RUNNING. Thread-safe: callbacks
// run on the driver's thread, queries from any other.
#ifndef AGORA_BENCH_FLEET_SCALE_FRAMEWORK_HPP_
#define AGORA_BENCH_FLEET_SCALE_FRAMEWORK_HPP_

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agora/scheduler.hpp"

namespace agora::bench {

class ScaleFramework : public Scheduler {
 public:
  ScaleFramework(std::string name, int quota, int per_agent);
  ~ScaleFramework() override;

  // Subscribes to `master` (a MasterDetector spec).
  void Start(const std::string& master);
  // Closes the connection without tearing the framework down.
  void Stop();

  int quota() const { return quota_; }
  // Distinct tasks seen RUNNING, and tasks that ended (none should).
  int running();
  int terminal();
  // Last error callback message ("" if none).
  std::string last_error();

  void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override;
  void reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) override;
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(SchedulerDriver* driver, const std::string& message) override;

 private:
  const std::string name_;
  const int quota_;
  const int per_agent_;
  std::unique_ptr<AgoraSchedulerDriver> driver_;

  std::map<std::string, int> launched_per_agent_;  // Driver thread only.
  int launched_ = 0;                               // Driver thread only.
  std::mutex mu_;
  std::set<std::string> running_;  // Guarded by mu_.
  int terminal_ = 0;               // Guarded by mu_.
  std::string last_error_;         // Guarded by mu_.
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_SCALE_FRAMEWORK_HPP_
