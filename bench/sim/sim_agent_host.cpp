#include "sim/sim_agent_host.hpp"

#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "glog/logging.h"

namespace agora::sim {

absl::StatusOr<std::unique_ptr<SimAgentHost>> SimAgentHost::Create(SimAgentHostOptions options) {
  if (options.agents < 1)
    return absl::InvalidArgumentError(
        absl::StrCat("agents: must be at least 1, got ", options.agents));
  if (options.loops < 1)
    return absl::InvalidArgumentError(
        absl::StrCat("loops: must be at least 1, got ", options.loops));
  auto resources = Resources::Parse(options.agent.resources);
  if (!resources.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent.resources: ", resources.status().message()));
  }
  auto detector = MasterDetector::Create(options.master);
  if (!detector.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("master: ", detector.status().message()));
  }
  std::unique_ptr<SimAgentHost> host(new SimAgentHost(std::move(options)));
  host->detector_ = std::move(*detector);
  const int loops = host->options_.loops;
  for (int k = 0; k < loops; ++k) {
    host->loops_.push_back(std::make_unique<AsioEventLoop>(absl::StrCat("sim-agents-", k)));
    host->randoms_.push_back(std::make_unique<std::mt19937>(host->options_.seed + k));
  }
  for (int i = 0; i < host->options_.agents; ++i) {
    v1::AgentInfo info;
    info.set_hostname(absl::StrCat(host->options_.hostname_prefix, i));
    *info.mutable_resources() = resources->ToProto();
    host->agents_.push_back(std::make_unique<SimAgent>(
        host->loops_[i % loops].get(), host->detector_.get(), &host->channels_,
        host->randoms_[i % loops].get(), i, std::move(info), host->options_.agent));
  }
  for (auto& loop : host->loops_) loop->Start();
  host->loop_running_ = true;
  return host;
}

SimAgentHost::SimAgentHost(SimAgentHostOptions options)
    : options_(std::move(options)), channels_(options_.channels_per_master) {}

SimAgentHost::~SimAgentHost() { Stop(); }

void SimAgentHost::RunOnLoops(const std::function<void(int)>& fn) {
  for (const auto& loop : loops_) {
    CHECK(!loop->IsInLoopThread()) << "SimAgentHost methods must not run on its loops";
  }
  if (!loop_running_) return;  // Stopped: nothing is left to ask.
  std::vector<std::promise<void>> done(loops_.size());
  for (size_t k = 0; k < loops_.size(); ++k) {
    loops_[k]->Post([&fn, &done, k] {
      fn(static_cast<int>(k));
      done[k].set_value();
    });
  }
  for (auto& each : done) each.get_future().wait();
}

void SimAgentHost::ForAgentsOf(int k, const std::function<void(SimAgent&)>& fn) {
  for (size_t i = k; i < agents_.size(); i += loops_.size()) {
    if (agents_[i]) fn(*agents_[i]);
  }
}

void SimAgentHost::Start() {
  if (stopped_ || started_.exchange(true)) return;
  RunOnLoops([this](int k) { ForAgentsOf(k, [](SimAgent& agent) { agent.Start(); }); });
  // As the real agent: a leader change is followed at once (the detector's
  // thread posts; a loop drops what it posts once stopped).
  detector_->SetOnChange([this] {
    for (size_t k = 0; k < loops_.size(); ++k) {
      loops_[k]->Post([this, k] {
        if (stopped_) return;
        ForAgentsOf(static_cast<int>(k), [](SimAgent& agent) { agent.OnLeaderChanged(); });
      });
    }
  });
  LOG(INFO) << "Started " << agents_.size() << " simulated agents on " << loops_.size()
            << " loop(s); master " << detector_->Describe();
}

void SimAgentHost::Stop() {
  std::call_once(stop_once_, [this] { StopOnce(); });
}

void SimAgentHost::StopOnce() {
  std::vector<std::vector<std::shared_ptr<agent::MasterLink>>> links(loops_.size());
  stopped_ = true;
  RunOnLoops([this, &links](int k) {
    ForAgentsOf(k, [&links, k](SimAgent& agent) {
      if (auto link = agent.Stop()) links[k].push_back(std::move(link));
    });
  });
  // gRPC finishes each cancelled stream on its own threads; the loops must
  // keep running until they have reported (MasterLink posts OnDone).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const auto& of_loop : links) {
    for (const auto& link : of_loop) {
      while (!link->done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // Runs after every OnDone closure posted so far; then no callback can
  // reach an agent any more.
  RunOnLoops([this](int k) {
    for (size_t i = k; i < agents_.size(); i += loops_.size()) agents_[i].reset();
  });
  loop_running_ = false;
  for (auto& loop : loops_) loop->Stop();
  agents_.clear();
  for (const auto& of_loop : links) {
    for (const auto& link : of_loop) link->ReleaseIfDone();
  }
}

std::vector<SimAgentStats> SimAgentHost::Stats() {
  if (!loop_running_) return {};
  // Each loop fills its own agents' slots.
  std::vector<SimAgentStats> stats(agents_.size());
  RunOnLoops([this, &stats](int k) {
    for (size_t i = k; i < agents_.size(); i += loops_.size()) {
      if (agents_[i]) stats[i] = agents_[i]->Stats();
    }
  });
  return stats;
}

SimFleetSummary SimAgentHost::Summary(absl::Time since) {
  SimFleetSummary summary;
  for (const SimAgentStats& stats : Stats()) {
    summary.agents++;
    if (stats.registered) summary.registered++;
    summary.active_tasks += static_cast<int>(stats.active_tasks);
    summary.held_tasks += static_cast<int>(stats.held_tasks);
    if (stats.times.admitted >= since && stats.times.admitted != absl::InfinitePast()) {
      summary.admitted_since++;
      summary.last_admitted = std::max(summary.last_admitted, stats.times.admitted);
    }
    summary.last_disconnected = std::max(summary.last_disconnected, stats.times.disconnected);
  }
  return summary;
}

bool SimAgentHost::WaitUntil(const std::function<bool(const SimFleetSummary&)>& done,
                             absl::Duration timeout, absl::Time since) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (done(Summary(since))) return true;
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace agora::sim
