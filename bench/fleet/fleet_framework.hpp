// FleetFramework: one of agora-bench's frameworks, a real scheduler on the
// AgoraSchedulerDriver (include/agora/scheduler.hpp) with explicit
// acknowledgements.
//
// kPack (B-throughput): packs tasks of `task_cpus` / `task_mem` into its
// offers, at most `tasks_per_offer` per offer, keeping at most `window`
// tasks launched but not yet RUNNING (a closed loop: the master is kept
// busy without an unbounded backlog). Offers it cannot use yet are held
// (for 30 s at most, then declined for 1 s) and used as RUNNING updates
// free the window. Task durations are the
// simulated agents' (SimAgentOptions::task_duration).
// kDecline (B-loop's allocation-cycle load): declines every offer with a
// `refuse` filter, so the allocator keeps cycling over every agent.
// Every update with a uuid is acknowledged; stage times go to the shared
// StageRecorder. Callbacks run on the driver's thread; Start/Stop and the
// counters from any other.
#ifndef AGORA_BENCH_FLEET_FLEET_FRAMEWORK_HPP_
#define AGORA_BENCH_FLEET_FLEET_FRAMEWORK_HPP_

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "agora/scheduler.hpp"
#include "fleet/stage_recorder.hpp"

namespace agora::bench {

enum class FleetLoad { kPack, kDecline };

struct FleetFrameworkOptions {
  std::string name = "fleet-bench";
  std::string role = "*";
  FleetLoad load = FleetLoad::kPack;
  double task_cpus = 0.1;
  double task_mem = 128;
  int tasks_per_offer = 100;
  int window = 200;
  // kDecline: refuse_seconds of every decline.
  double refuse_seconds = 1;
};

class FleetFramework : public Scheduler {
 public:
  // `recorder` is shared by every framework and outlives this one.
  FleetFramework(FleetFrameworkOptions options, StageRecorder* recorder);
  ~FleetFramework() override;

  // Subscribes to `master` (a MasterDetector spec).
  void Start(const std::string& master);
  // Starts tearing the framework down (the master kills its tasks); does
  // not wait, so many frameworks can go at once.
  void RequestStop();
  // RequestStop, then waits for the driver to finish.
  void Stop();

  bool subscribed() const { return subscribed_; }
  int64_t offers() const { return offers_; }
  int64_t errors() const { return errors_; }

  void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override;
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void offerRescinded(SchedulerDriver* driver, const v1::OfferID& offer_id) override;
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(SchedulerDriver* driver, const std::string& message) override;
  void callFailed(SchedulerDriver* driver, const std::string& call,
                  const std::string& message) override;

 private:
  struct HeldOffer {
    v1::Offer offer;
    absl::Time received;
    int fit = 0;  // Tasks of the configured shape that fit.
  };
  // Launches on held offers while the window has room for a full batch.
  void Drain(SchedulerDriver* driver);

  const FleetFrameworkOptions options_;
  StageRecorder* recorder_;
  std::unique_ptr<AgoraSchedulerDriver> driver_;

  google::protobuf::RepeatedPtrField<v1::Resource> task_resources_;

  // Driver thread only:
  std::deque<HeldOffer> held_;
  std::unordered_set<std::string> unstarted_;  // Launched, neither RUNNING nor ended.
  int64_t next_task_ = 0;
  std::atomic<bool> subscribed_{false};
  std::atomic<int64_t> offers_{0};
  std::atomic<int64_t> errors_{0};
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_FLEET_FRAMEWORK_HPP_
