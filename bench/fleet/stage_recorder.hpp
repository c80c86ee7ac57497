// StageRecorder: per-task timestamps of agora-bench's launch pipeline and
// the latency samples and counts derived from them.
//
// Stages of one task (all read on this process's clock: frameworks and
// simulated agents live in the bench process):
//   offer      the scheduler received the offer the task was packed into
//   accept     the scheduler called launchTasks (the Accept call left)
//   agent      the simulated agent received the task in RUN_TASKS
//   running    the scheduler saw TASK_RUNNING and acknowledged it
// Samples and counts are kept only while the measurement window is open
// (Open/Close), so warm-up and drain do not dilute the steady state.
// Thread-safe (one mutex): called from every driver thread and from the
// simulated agents' loop.
#ifndef AGORA_BENCH_FLEET_STAGE_RECORDER_HPP_
#define AGORA_BENCH_FLEET_STAGE_RECORDER_HPP_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agora/v1/common.pb.h"

namespace agora::bench {

// Percentiles of a set of samples, in milliseconds.
struct LatencySummary {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};
LatencySummary Summarize(std::vector<float> samples_ms);

struct StageCounts {
  int64_t launched = 0;                     // Tasks handed to launchTasks.
  int64_t arrived = 0;                      // Tasks that reached a simulated agent.
  int64_t running_acked = 0;                // TASK_RUNNING seen and acknowledged.
  int64_t finished = 0;                     // TASK_FINISHED seen and acknowledged.
  int64_t failed = 0;                       // Any other terminal state.
  std::map<std::string, int64_t> failures;  // Terminal state name -> tasks.
};

class StageRecorder {
 public:
  void Offered(const std::string& task_id, absl::Time offer, absl::Time accept);
  void Arrived(const std::string& task_id, absl::Time now);
  void Running(const std::string& task_id, absl::Time now);
  // A terminal update (FINISHED or a failure).
  void Terminal(v1::TaskState state);
  // A master heartbeat reached an agent `gap` after the previous one.
  void MasterHeartbeat(absl::Duration gap);

  // Opens / closes the measurement window.
  void Open(absl::Time now);
  void Close(absl::Time now);

  // Over the window (or until now while it is open).
  StageCounts window_counts();
  // Since the start.
  StageCounts total_counts();
  double window_seconds();
  LatencySummary offer_to_accept();
  LatencySummary accept_to_agent();
  LatencySummary agent_to_running();
  LatencySummary accept_to_running();
  // Heartbeat gap minus `interval`: how late the master's heartbeats were.
  LatencySummary heartbeat_lateness(absl::Duration interval);
  // Tasks that reached RUNNING in each whole second of the window.
  std::vector<int64_t> running_per_second();

 private:
  struct Times {
    absl::Time offer, accept, agent = absl::InfinitePast();
  };

  std::mutex mu_;
  std::unordered_map<std::string, Times> pending_;  // Launched, not yet RUNNING.
  bool open_ = false;
  absl::Time opened_ = absl::InfinitePast(), closed_ = absl::InfinitePast();
  StageCounts window_, total_;
  std::vector<float> offer_accept_, accept_agent_, agent_running_, accept_running_;
  std::vector<float> heartbeat_gap_ms_;
  std::vector<int64_t> per_second_;
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_STAGE_RECORDER_HPP_
