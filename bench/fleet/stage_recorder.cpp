#include "fleet/stage_recorder.hpp"

#include <algorithm>

namespace agora::bench {
namespace {

float Ms(absl::Duration d) { return static_cast<float>(absl::ToDoubleMilliseconds(d)); }

}  // namespace

LatencySummary Summarize(std::vector<float> samples_ms) {
  LatencySummary summary;
  summary.count = static_cast<int64_t>(samples_ms.size());
  if (samples_ms.empty()) return summary;
  std::sort(samples_ms.begin(), samples_ms.end());
  auto at = [&](double q) {
    size_t index = static_cast<size_t>(q * static_cast<double>(samples_ms.size() - 1) + 0.5);
    return static_cast<double>(samples_ms[std::min(index, samples_ms.size() - 1)]);
  };
  summary.p50 = at(0.50);
  summary.p90 = at(0.90);
  summary.p99 = at(0.99);
  summary.max = samples_ms.back();
  return summary;
}

void StageRecorder::Offered(const std::string& task_id, absl::Time offer, absl::Time accept) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_[task_id] = Times{offer, accept};
  ++total_.launched;
  if (open_) {
    ++window_.launched;
    offer_accept_.push_back(Ms(accept - offer));
  }
}

void StageRecorder::Arrived(const std::string& task_id, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(task_id);
  if (it == pending_.end()) return;
  it->second.agent = now;
  ++total_.arrived;
  if (open_) {
    ++window_.arrived;
    accept_agent_.push_back(Ms(now - it->second.accept));
  }
}

void StageRecorder::Running(const std::string& task_id, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(task_id);
  if (it == pending_.end()) return;  // A duplicate RUNNING (retried update).
  ++total_.running_acked;
  if (open_) {
    ++window_.running_acked;
    if (it->second.agent != absl::InfinitePast())
      agent_running_.push_back(Ms(now - it->second.agent));
    accept_running_.push_back(Ms(now - it->second.accept));
    size_t second = static_cast<size_t>(absl::ToInt64Seconds(now - opened_));
    if (per_second_.size() <= second) per_second_.resize(second + 1, 0);
    ++per_second_[second];
  }
  pending_.erase(it);
}

void StageRecorder::Terminal(v1::TaskState state) {
  const bool finished = state == v1::TASK_FINISHED;
  // Named only for a failure: most terminal updates are FINISHED.
  const std::string state_name = finished ? std::string() : v1::TaskState_Name(state);
  std::lock_guard<std::mutex> lock(mu_);
  for (StageCounts* counts : {&total_, open_ ? &window_ : nullptr}) {
    if (counts == nullptr) continue;
    if (finished) {
      ++counts->finished;
    } else {
      ++counts->failed;
      ++counts->failures[state_name];
    }
  }
}

void StageRecorder::MasterHeartbeat(absl::Duration gap) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_) heartbeat_gap_ms_.push_back(Ms(gap));
}

void StageRecorder::Open(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = true;
  opened_ = now;
}

void StageRecorder::Close(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = false;
  closed_ = now;
  // The last partial second would understate the rate.
  size_t whole = static_cast<size_t>(absl::ToInt64Seconds(closed_ - opened_));
  if (per_second_.size() > whole) per_second_.resize(whole);
}

StageCounts StageRecorder::window_counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return window_;
}

StageCounts StageRecorder::total_counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

double StageRecorder::window_seconds() {
  std::lock_guard<std::mutex> lock(mu_);
  if (opened_ == absl::InfinitePast()) return 0;
  absl::Time end = open_ ? absl::Now() : closed_;
  return absl::ToDoubleSeconds(end - opened_);
}

LatencySummary StageRecorder::offer_to_accept() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(offer_accept_);
}

LatencySummary StageRecorder::accept_to_agent() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(accept_agent_);
}

LatencySummary StageRecorder::agent_to_running() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(agent_running_);
}

LatencySummary StageRecorder::accept_to_running() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(accept_running_);
}

LatencySummary StageRecorder::heartbeat_lateness(absl::Duration interval) {
  std::vector<float> late;
  {
    std::lock_guard<std::mutex> lock(mu_);
    late.reserve(heartbeat_gap_ms_.size());
    for (float gap : heartbeat_gap_ms_) late.push_back(gap - Ms(interval));
  }
  return Summarize(std::move(late));
}

std::vector<int64_t> StageRecorder::running_per_second() {
  std::lock_guard<std::mutex> lock(mu_);
  return per_second_;
}

}  // namespace agora::bench
