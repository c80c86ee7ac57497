#include "fake_master.hpp"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status.hpp"
#include "glog/logging.h"

namespace agora::testing {

FakeMaster::FakeMaster() {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  CHECK(server_ != nullptr && port > 0) << "fake master failed to start";
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeMaster::~FakeMaster() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void FakeMaster::Push(const v1::Event& event) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.push_back(event);
  cv_.notify_all();
}

void FakeMaster::BreakStream() {
  std::lock_guard<std::mutex> lock(mu_);
  ++stream_epoch_;
  cv_.notify_all();
}

void FakeMaster::set_redirect_to(const std::string& leader) {
  std::lock_guard<std::mutex> lock(mu_);
  redirect_to_ = leader;
}

void FakeMaster::set_command_status(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  command_status_ = std::move(status);
}

void FakeMaster::set_subscribe_status(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribe_status_ = std::move(status);
}

void FakeMaster::set_heartbeat_interval(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  heartbeat_interval_ = seconds;
}

void FakeMaster::set_acknowledge_delay(absl::Duration delay) {
  std::lock_guard<std::mutex> lock(mu_);
  acknowledge_delay_ = delay;
}

void FakeMaster::set_hold_acknowledges(bool hold) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_acknowledges_ = hold;
  cv_.notify_all();
}

int FakeMaster::acknowledges_received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledges_received_;
}

std::vector<std::string> FakeMaster::acknowledged_uuids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> uuids;
  for (const v1::AcknowledgeRequest& request : acknowledges_) {
    if (!request.uuid().empty()) uuids.push_back(request.uuid());
    for (const auto& ack : request.acknowledgements()) uuids.push_back(ack.uuid());
  }
  return uuids;
}

std::vector<std::string> FakeMaster::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::vector<v1::SubscribeRequest> FakeMaster::subscribes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subscribes_;
}
std::vector<v1::AcceptRequest> FakeMaster::accepts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepts_;
}
std::vector<v1::AcknowledgeRequest> FakeMaster::acknowledges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledges_;
}
std::vector<v1::ReconcileRequest> FakeMaster::reconciles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reconciles_;
}
std::vector<v1::DeclineRequest> FakeMaster::declines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return declines_;
}
int FakeMaster::teardowns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return teardowns_;
}
int FakeMaster::live_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_streams_;
}

bool FakeMaster::WaitFor(const std::function<bool()>& predicate, absl::Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  // The predicate runs without the lock (it usually calls the accessors);
  // the wait wakes on every change and at least every 5 ms.
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return predicate();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  return true;
}

grpc::Status FakeMaster::Subscribe(grpc::ServerContext* context,
                                   const v1::SubscribeRequest* request,
                                   grpc::ServerWriter<v1::Event>* writer) {
  std::unique_lock<std::mutex> lock(mu_);
  subscribes_.push_back(*request);
  cv_.notify_all();
  if (!redirect_to_.empty()) return ToGrpcStatus(NotLeaderError(redirect_to_, "leader"));
  if (!subscribe_status_.ok()) return ToGrpcStatus(subscribe_status_);
  uint64_t epoch = stream_epoch_;
  int stream = ++streams_started_;
  v1::Event subscribed;
  subscribed.set_type(v1::Event::SUBSCRIBED);
  std::string id = request->framework_info().id().value();
  subscribed.mutable_subscribed()->mutable_framework_id()->set_value(id.empty() ? "fw-1" : id);
  subscribed.mutable_subscribed()->set_stream_id(absl::StrCat("stream-", stream));
  subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(heartbeat_interval_);
  subscribed.mutable_subscribed()->set_master_id("fake");
  subscribed.mutable_subscribed()->set_master_address(address_);
  ++live_streams_;
  lock.unlock();
  bool ok = writer->Write(subscribed);
  lock.lock();
  while (ok && !shutting_down_ && epoch == stream_epoch_ && !context->IsCancelled()) {
    if (pending_.empty()) {
      cv_.wait_for(lock, std::chrono::milliseconds(10));
      continue;
    }
    v1::Event event = pending_.front();
    pending_.pop_front();
    lock.unlock();
    ok = writer->Write(event);
    lock.lock();
  }
  --live_streams_;
  cv_.notify_all();
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream broken by the test");
}

grpc::Status FakeMaster::CommandReply() {
  if (!redirect_to_.empty()) return ToGrpcStatus(NotLeaderError(redirect_to_, "leader"));
  return ToGrpcStatus(command_status_);
}

grpc::Status FakeMaster::Accept(grpc::ServerContext*, const v1::AcceptRequest* request,
                                v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  accepts_.push_back(*request);
  cv_.notify_all();
  return CommandReply();
}

grpc::Status FakeMaster::Decline(grpc::ServerContext*, const v1::DeclineRequest* request,
                                 v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  declines_.push_back(*request);
  cv_.notify_all();
  return CommandReply();
}

grpc::Status FakeMaster::Acknowledge(grpc::ServerContext*, const v1::AcknowledgeRequest* request,
                                     v1::CallResponse*) {
  std::unique_lock<std::mutex> lock(mu_);
  ++acknowledges_received_;
  cv_.notify_all();
  cv_.wait(lock, [this] { return !hold_acknowledges_ || shutting_down_; });
  absl::Duration delay = acknowledge_delay_;
  lock.unlock();
  absl::SleepFor(delay);  // Simulates a slow master; test-controlled.
  lock.lock();
  calls_.push_back("acknowledge");
  acknowledges_.push_back(*request);
  cv_.notify_all();
  return CommandReply();
}

grpc::Status FakeMaster::Reconcile(grpc::ServerContext*, const v1::ReconcileRequest* request,
                                   v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  reconciles_.push_back(*request);
  cv_.notify_all();
  return CommandReply();
}

grpc::Status FakeMaster::Teardown(grpc::ServerContext*, const v1::TeardownRequest*,
                                  v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("teardown");
  ++teardowns_;
  ++stream_epoch_;  // The master closes the stream of a torn-down framework.
  cv_.notify_all();
  return CommandReply();
}

grpc::Status FakeMaster::Revive(grpc::ServerContext*, const v1::ReviveRequest*, v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  return CommandReply();
}

grpc::Status FakeMaster::Suppress(grpc::ServerContext*, const v1::SuppressRequest*,
                                  v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  return CommandReply();
}

grpc::Status FakeMaster::Kill(grpc::ServerContext*, const v1::KillRequest*, v1::CallResponse*) {
  std::lock_guard<std::mutex> lock(mu_);
  return CommandReply();
}

}  // namespace agora::testing
