// SimAgentHost: many simulated agents (SimAgent) in one process, for
// benchmarks that need a fleet without a process per agent.
//
//   SimAgentHostOptions options;
//   options.master = "127.0.0.1:5050";   // any MasterDetector spec
//   options.agents = 1000;
//   auto host = SimAgentHost::Create(options);
//   (*host)->Start();
//   (*host)->WaitUntil([](const SimFleetSummary& s) { return s.registered == 1000; },
//                      absl::Seconds(60));
//
// Every agent has its own AgentChannel stream; the streams share
// `channels_per_master` gRPC channels and `loops` event loop threads (agent i
// on loop i % loops; the gRPC callback API: no thread per agent). Agent i advertises hostname
// "<hostname_prefix><i>" and keeps its agent id in memory across
// reconnects, so a restarted or failed-over master sees re-registrations.
//
// Thread-safe: every public method may be called from any thread except
// the host's loops; each waits for the loops to answer. After Stop() the
// queries answer with an empty fleet; they must not race with Stop() itself.
#ifndef AGORA_BENCH_SIM_SIM_AGENT_HOST_HPP_
#define AGORA_BENCH_SIM_SIM_AGENT_HOST_HPP_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/asio_event_loop.hpp"
#include "common/master_detector.hpp"
#include "sim/sim_agent.hpp"
#include "sim/sim_channels.hpp"

namespace agora::sim {

struct SimAgentHostOptions {
  // Where the agents find the leading master (MasterDetector spec).
  std::string master;
  // How many agents the host runs.
  int agents = 100;
  // gRPC channels (TCP connections) per master address.
  int channels_per_master = 8;
  std::string hostname_prefix = "sim-";
  // Event loop threads the agents are spread over. One loop serializes a
  // fleet-wide burst (10,000 agents reconnecting to a new leader) that real
  // agents, each on its own machine, run in parallel.
  int loops = 1;
  // Seeds the reconnection jitter (loop k: seed + k).
  uint32_t seed = 1;
  SimAgentOptions agent;
};

// Counts over the fleet, and the latest timestamps.
struct SimFleetSummary {
  int agents = 0;
  int registered = 0;  // Streams admitted by a master right now.
  int active_tasks = 0;
  int held_tasks = 0;  // See SimAgentStats::held_tasks.
  // Agents admitted (REGISTERED or REREGISTERED) at or after `since`.
  int admitted_since = 0;
  // The latest such admission (InfinitePast if none).
  absl::Time last_admitted = absl::InfinitePast();
  // The latest stream loss of any agent (InfinitePast if none).
  absl::Time last_disconnected = absl::InfinitePast();
};

class SimAgentHost {
 public:
  // INVALID_ARGUMENT names the bad option (master spec, agents, resources).
  static absl::StatusOr<std::unique_ptr<SimAgentHost>> Create(SimAgentHostOptions options);
  // Stops the agents (if running) and the loop.
  ~SimAgentHost();

  SimAgentHost(const SimAgentHost&) = delete;
  SimAgentHost& operator=(const SimAgentHost&) = delete;

  // Starts every agent: each opens its stream and registers.
  void Start();
  // Closes every stream (waiting up to 5 s for gRPC) and stops the loop.
  // Safe to call twice.
  void Stop();

  // Per-agent state, in index order.
  std::vector<SimAgentStats> Stats();
  // Fleet counts; `since` bounds `admitted_since`.
  SimFleetSummary Summary(absl::Time since = absl::InfinitePast());
  // Polls Summary(since) every 10 ms until `done` holds; false on timeout.
  bool WaitUntil(const std::function<bool(const SimFleetSummary&)>& done, absl::Duration timeout,
                 absl::Time since = absl::InfinitePast());

 private:
  explicit SimAgentHost(SimAgentHostOptions options);

  void StopOnce();
  // Runs fn(k) on every loop k and waits for all of them: fn(k) may touch
  // only the agents of loop k.
  void RunOnLoops(const std::function<void(int)>& fn);
  // Calls `fn` for each agent of loop k (on loop k).
  void ForAgentsOf(int k, const std::function<void(SimAgent&)>& fn);

  const SimAgentHostOptions options_;
  // One per loop; unique_ptr: the agents keep pointers to them.
  std::vector<std::unique_ptr<AsioEventLoop>> loops_;
  std::vector<std::unique_ptr<std::mt19937>> randoms_;
  std::unique_ptr<MasterDetector> detector_;
  SimChannels channels_;
  // Agent i is owned by loop i % loops once started.
  std::vector<std::unique_ptr<SimAgent>> agents_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::once_flag stop_once_;
  std::atomic<bool> loop_running_{false};
};

}  // namespace agora::sim

#endif  // AGORA_BENCH_SIM_SIM_AGENT_HOST_HPP_
