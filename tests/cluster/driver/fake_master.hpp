// FakeMaster: a scriptable Scheduler gRPC service on 127.0.0.1:0 for
// testing the scheduler driver without the real master.
//
// Subscribe assigns "fw-1" (or keeps the requested id), sends SUBSCRIBED,
// then writes whatever the test Push()es until BreakStream() or the client
// goes away. Commands are recorded and answered with `command_status`. With
// `redirect_to` set, every call answers UNAVAILABLE + LeaderRedirect.
// Thread-safe: gRPC's sync threads and the test thread share it under `mu_`.
#ifndef AGORA_TESTS_CLUSTER_DRIVER_FAKE_MASTER_HPP_
#define AGORA_TESTS_CLUSTER_DRIVER_FAKE_MASTER_HPP_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agora/v1/scheduler.grpc.pb.h"

namespace agora::testing {

class FakeMaster : public v1::Scheduler::Service {
 public:
  // Starts serving on an ephemeral loopback port.
  FakeMaster();
  ~FakeMaster() override;

  std::string address() const { return address_; }

  // Script.
  void Push(const v1::Event& event);
  void BreakStream();
  void set_redirect_to(const std::string& leader);
  void set_command_status(absl::Status status);
  void set_subscribe_status(absl::Status status);
  void set_heartbeat_interval(double seconds);
  // Acknowledge calls wait this long before answering.
  void set_acknowledge_delay(absl::Duration delay);
  // While held, Acknowledge calls block (after being counted as received)
  // until released: acknowledgements the driver queues meanwhile must wait.
  void set_hold_acknowledges(bool hold);

  // Observations (copies).
  std::vector<v1::SubscribeRequest> subscribes() const;
  std::vector<v1::AcceptRequest> accepts() const;
  std::vector<v1::AcknowledgeRequest> acknowledges() const;
  // Acknowledge calls that have arrived (answered or held).
  int acknowledges_received() const;
  // The uuids of every answered Acknowledge call, single form and batched
  // entries alike, in arrival order.
  std::vector<std::string> acknowledged_uuids() const;
  std::vector<v1::ReconcileRequest> reconciles() const;
  std::vector<v1::DeclineRequest> declines() const;
  int teardowns() const;
  // Names of the commands received, in arrival order ("acknowledge", ...);
  // an acknowledge is logged when answered.
  std::vector<std::string> calls() const;
  int live_streams() const;

  // Waits until `predicate` holds (checked without the lock on every change);
  // false after `timeout`.
  bool WaitFor(const std::function<bool()>& predicate, absl::Duration timeout = absl::Seconds(10));

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status Accept(grpc::ServerContext*, const v1::AcceptRequest* request,
                      v1::CallResponse*) override;
  grpc::Status Decline(grpc::ServerContext*, const v1::DeclineRequest* request,
                       v1::CallResponse*) override;
  grpc::Status Acknowledge(grpc::ServerContext*, const v1::AcknowledgeRequest* request,
                           v1::CallResponse*) override;
  grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileRequest* request,
                         v1::CallResponse*) override;
  grpc::Status Teardown(grpc::ServerContext*, const v1::TeardownRequest* request,
                        v1::CallResponse*) override;
  grpc::Status Revive(grpc::ServerContext*, const v1::ReviveRequest*, v1::CallResponse*) override;
  grpc::Status Suppress(grpc::ServerContext*, const v1::SuppressRequest*,
                        v1::CallResponse*) override;
  grpc::Status Kill(grpc::ServerContext*, const v1::KillRequest*, v1::CallResponse*) override;

 private:
  grpc::Status CommandReply();  // Requires mu_.

  std::unique_ptr<grpc::Server> server_;
  std::string address_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  std::string redirect_to_;
  absl::Status command_status_;
  absl::Status subscribe_status_;
  double heartbeat_interval_ = 15;
  uint64_t stream_epoch_ = 0;  // Bumped by BreakStream().
  int streams_started_ = 0;
  int live_streams_ = 0;
  std::deque<v1::Event> pending_;
  std::vector<v1::SubscribeRequest> subscribes_;
  std::vector<v1::AcceptRequest> accepts_;
  std::vector<v1::AcknowledgeRequest> acknowledges_;
  std::vector<v1::ReconcileRequest> reconciles_;
  std::vector<v1::DeclineRequest> declines_;
  int teardowns_ = 0;
  absl::Duration acknowledge_delay_ = absl::ZeroDuration();
  bool hold_acknowledges_ = false;
  int acknowledges_received_ = 0;
  std::vector<std::string> calls_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_DRIVER_FAKE_MASTER_HPP_
