#include "fleet/loop_probes.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agora/v1/master.grpc.pb.h"
#include "agora/v1/scheduler.grpc.pb.h"

namespace agora::bench {
namespace {

float SinceMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void LoopProbes::Start(const std::string& address, absl::Duration interval) {
  stop_ = false;
  thread_ = std::thread([this, address, interval] { Run(address, interval); });
}

void LoopProbes::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void LoopProbes::Run(std::string address, absl::Duration interval) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto operator_stub = v1::MasterOperator::NewStub(channel);
  auto scheduler_stub = v1::Scheduler::NewStub(channel);
  v1::AcceptRequest accept;
  accept.mutable_header()->mutable_framework_id()->set_value("agora-bench-loop-probe");
  accept.mutable_header()->set_stream_id("agora-bench-loop-probe");
  accept.add_offer_ids()->set_value("agora-bench-loop-probe");
  auto next = std::chrono::steady_clock::now();
  const auto period = absl::ToChronoNanoseconds(interval);
  while (!stop_) {
    next += period;
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::GetHealthResponse response;
      auto start = std::chrono::steady_clock::now();
      grpc::Status status = operator_stub->GetHealth(&context, v1::GetHealthRequest(), &response);
      float ms = SinceMs(start);
      if (!status.ok()) ++unexpected_;
      std::lock_guard<std::mutex> lock(mu_);
      health_ms_.push_back(ms);
    }
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::CallResponse response;
      auto start = std::chrono::steady_clock::now();
      grpc::Status status = scheduler_stub->Accept(&context, accept, &response);
      float ms = SinceMs(start);
      if (status.error_code() != grpc::StatusCode::NOT_FOUND) ++unexpected_;
      std::lock_guard<std::mutex> lock(mu_);
      accept_ms_.push_back(ms);
    }
    // A probe that overran its period starts the next one at once, without
    // a burst to catch up.
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
    std::this_thread::sleep_until(next);
  }
}

LatencySummary LoopProbes::health() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(health_ms_);
}

LatencySummary LoopProbes::accept() {
  std::lock_guard<std::mutex> lock(mu_);
  return Summarize(accept_ms_);
}

HistogramBuckets ScrapeHistogram(const std::string& metrics_text, const std::string& name) {
  HistogramBuckets buckets;
  const std::string prefix = absl::StrCat(name, "_bucket{le=\"");
  for (absl::string_view line : absl::StrSplit(metrics_text, '\n')) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    size_t quote = line.find('"');
    size_t space = line.rfind(' ');
    if (quote == absl::string_view::npos || space == absl::string_view::npos) continue;
    absl::string_view le = line.substr(0, quote);
    double bound = std::numeric_limits<double>::infinity();
    if (le != "+Inf" && !absl::SimpleAtod(le, &bound)) continue;
    double count = 0;
    if (!absl::SimpleAtod(line.substr(space + 1), &count)) continue;
    buckets.emplace_back(bound, count);
  }
  return buckets;
}

BucketSummary HistogramDelta(const HistogramBuckets& before, const HistogramBuckets& after) {
  BucketSummary summary;
  if (after.empty()) return summary;
  auto cumulative = [&](size_t i) {
    double base = i < before.size() ? before[i].second : 0;
    return after[i].second - base;
  };
  summary.count = static_cast<int64_t>(cumulative(after.size() - 1));
  if (summary.count == 0) return summary;
  bool p99_found = false;
  for (size_t i = 0; i < after.size(); ++i) {
    double below = cumulative(i);
    if (!p99_found && below >= 0.99 * static_cast<double>(summary.count)) {
      summary.p99_le = after[i].first;
      p99_found = true;
    }
    if (below >= static_cast<double>(summary.count)) {
      summary.max_le = after[i].first;
      break;
    }
  }
  return summary;
}

}  // namespace agora::bench
