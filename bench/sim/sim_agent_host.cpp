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
  for (int i = 0; i < host->options_.agents; ++i) {
    v1::AgentInfo info;
    info.set_hostname(absl::StrCat(host->options_.hostname_prefix, i));
    *info.mutable_resources() = resources->ToProto();
    host->agents_.push_back(std::make_unique<SimAgent>(&host->loop_, host->detector_.get(),
                                                       &host->channels_, &host->random_, i,
                                                       std::move(info), host->options_.agent));
  }
  host->loop_.Start();
  host->loop_running_ = true;
  return host;
}

SimAgentHost::SimAgentHost(SimAgentHostOptions options)
    : options_(std::move(options)),
      loop_("sim-agents"),
      channels_(options_.channels_per_master),
      random_(options_.seed) {}

SimAgentHost::~SimAgentHost() { Stop(); }

void SimAgentHost::RunOnLoop(const std::function<void()>& fn) {
  CHECK(!loop_.IsInLoopThread()) << "SimAgentHost methods must not run on its loop";
  if (!loop_running_) return;  // Stopped: nothing is left to ask.
  std::promise<void> done;
  loop_.Post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void SimAgentHost::Start() {
  RunOnLoop([this] {
    if (started_ || stopped_) return;
    started_ = true;
    for (auto& agent : agents_) agent->Start();
  });
  // As the real agent: a leader change is followed at once (the detector's
  // thread posts; the loop drops what it posts once stopped).
  detector_->SetOnChange([this] {
    loop_.Post([this] {
      if (!started_ || stopped_) return;
      for (auto& agent : agents_) agent->OnLeaderChanged();
    });
  });
  LOG(INFO) << "Started " << agents_.size() << " simulated agents; master "
            << detector_->Describe();
}

void SimAgentHost::Stop() {
  std::call_once(stop_once_, [this] { StopOnce(); });
}

void SimAgentHost::StopOnce() {
  std::vector<std::shared_ptr<agent::MasterLink>> links;
  RunOnLoop([this, &links] {
    stopped_ = true;
    for (auto& agent : agents_)
      if (auto link = agent->Stop()) links.push_back(std::move(link));
  });
  // gRPC finishes each cancelled stream on its own threads; the loop must
  // keep running until they have reported (MasterLink posts OnDone).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const auto& link : links) {
    while (!link->done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Runs after every OnDone closure posted so far; then no callback can
  // reach an agent any more.
  RunOnLoop([this] { agents_.clear(); });
  loop_running_ = false;
  loop_.Stop();
  for (const auto& link : links) link->ReleaseIfDone();
}

std::vector<SimAgentStats> SimAgentHost::Stats() {
  std::vector<SimAgentStats> stats;
  RunOnLoop([this, &stats] {
    stats.reserve(agents_.size());
    for (const auto& agent : agents_) stats.push_back(agent->Stats());
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
