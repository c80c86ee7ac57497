#include "fleet/scale_probes.hpp"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agora/v1/master.grpc.pb.h"
#include "common/grpc_status.hpp"
#include "common/raw_methods.hpp"

namespace agora::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::chrono::system_clock::time_point Deadline(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace

absl::StatusOr<MemorySample> ReadMemory(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open (process gone?)"));
  MemorySample sample;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t kib = 0;
    fields >> key >> kib;
    if (key == "VmRSS:") sample.rss = kib * 1024;
    if (key == "VmHWM:") sample.peak = kib * 1024;
  }
  if (sample.rss == 0) return absl::InternalError(absl::StrCat(path, ": no VmRSS line"));
  return sample;
}

double Millis::Percentile(double p) const {
  if (values.empty()) return 0;
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

double Millis::Max() const {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

MasterQueries::MasterQueries(const std::string& address, bool own_connection) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(1024 * 1024 * 1024);
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel_ = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

absl::StatusOr<MasterQueries::Timed> MasterQueries::TimeGetState() {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline(120));
  grpc::ByteBuffer request = SerializeRaw(v1::GetStateRequest());
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  const auto start = Clock::now();
  stub.UnaryCall(&context, "/agora.v1.MasterOperator/GetState", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);
  return Timed{MillisSince(start), response.Length()};
}

absl::StatusOr<v1::MasterState> MasterQueries::GetState() {
  auto stub = v1::MasterOperator::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline(120));
  v1::MasterState state;
  grpc::Status status = stub->GetState(&context, v1::GetStateRequest(), &state);
  if (!status.ok()) return FromGrpcStatus(status);
  return state;
}

absl::StatusOr<double> MasterQueries::TimeGetHealth() {
  auto stub = v1::MasterOperator::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline(30));
  v1::GetHealthResponse response;
  const auto start = Clock::now();
  grpc::Status status = stub->GetHealth(&context, v1::GetHealthRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return MillisSince(start);
}

LoopProbe::LoopProbe(const std::string& address, int interval_ms, bool own_connection)
    : queries_(address, own_connection), interval_ms_(interval_ms) {}

LoopProbe::~LoopProbe() {
  int failures = 0;
  if (thread_.joinable()) Stop(&failures);
}

void LoopProbe::Start() {
  stop_.store(false);
  round_trips_.values.clear();
  failures_ = 0;
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      absl::StatusOr<double> ms = queries_.TimeGetHealth();
      if (ms.ok()) {
        round_trips_.values.push_back(*ms);
      } else {
        ++failures_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms_));
    }
  });
}

Millis LoopProbe::Stop(int* failures) {
  stop_.store(true);
  thread_.join();
  *failures = failures_;
  return round_trips_;
}

}  // namespace agora::bench
