// AgoraSchedulerDriver::Impl: the state and connection logic behind the
// public driver.
//
// Owned by AgoraSchedulerDriver. All fields below "Loop-owned" are touched
// only on `loop_` (an AsioEventLoop thread, or an injected loop, that also runs every Scheduler
// callback). Public methods translate into closures posted to the loop (an
// acknowledgement given on the loop, in a callback, is queued directly); gRPC
// completions (the Subscribe stream and the unary commands) post through
// `poster_`, which outlives the loop and drops posts after shutdown.
//
// Invariants: at most one Subscribe call is live (`call_`, generation
// `generation_`); events and completions of older generations are ignored;
// `connected_` is true only between SUBSCRIBED and the end of that stream.
#ifndef AGORA_SCHEDULER_DRIVER_DRIVER_IMPL_HPP_
#define AGORA_SCHEDULER_DRIVER_DRIVER_IMPL_HPP_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agora/scheduler.hpp"
#include "agora/v1/scheduler.grpc.pb.h"
#include "common/asio_event_loop.hpp"
#include "common/master_detector.hpp"
#include "scheduler_driver/ack_batcher.hpp"
#include "scheduler_driver/subscribe_call.hpp"
#include "scheduler_driver/update_ledger.hpp"

namespace agora {

// Forwards closures from gRPC threads to the loop until Shutdown(); counts
// the gRPC calls still outstanding so the driver can wait for them.
class LoopPoster {
 public:
  explicit LoopPoster(EventLoop* loop) : loop_(loop) {}
  void Post(std::function<void()> fn);
  void Shutdown();
  void CallStarted() { outstanding_calls_++; }
  void CallFinished() { outstanding_calls_--; }
  int outstanding_calls() const { return outstanding_calls_.load(); }

 private:
  std::mutex mu_;
  EventLoop* loop_;
  std::atomic<int> outstanding_calls_{0};
};

class AgoraSchedulerDriver::Impl {
 public:
  Impl(SchedulerDriver* driver, Scheduler* scheduler, const v1::FrameworkInfo& framework,
       std::string master, SchedulerDriverOptions options);
  ~Impl();

  // Public API (any thread but the loop for join()).
  SchedulerDriverStatus Start();
  SchedulerDriverStatus Stop(bool failover);
  SchedulerDriverStatus Abort();
  SchedulerDriverStatus Join();
  SchedulerDriverStatus status() const { return status_.load(); }
  // Runs `fn` on the loop if the driver is RUNNING; returns the status.
  SchedulerDriverStatus Submit(std::function<void()> fn);
  // acknowledgeStatusUpdate: like Submit(DoAcknowledge), but from a
  // callback (on the loop) the ack is queued at once, without a hop; it
  // leaves with the loop turn's other acks either way.
  SchedulerDriverStatus Acknowledge(AckBatcher::Ack ack);

  std::string framework_id() const;
  bool connected() const;
  std::string master_address() const;

  // Commands (loop thread).
  void DoAccept(std::vector<v1::OfferID> offer_ids, std::vector<v1::Offer::Operation> operations,
                v1::Filters filters);
  void DoDecline(v1::OfferID offer_id, v1::Filters filters);
  void DoRevive(std::vector<std::string> roles);
  void DoSuppress(std::vector<std::string> roles);
  void DoKill(v1::TaskID task_id, v1::AgentID agent_id);
  // Acknowledges `status` once per stream, coalesced with the other
  // acknowledgements (see AckBatcher); a transient failure is retried (up to
  // kMaxAckAttempts) while the same stream lives.
  void DoAcknowledge(const v1::TaskStatus& status);
  // The same for an Ack built off the loop by AckOf (its stream is set here).
  void DoAcknowledge(AckBatcher::Ack&& ack);
  // What DoAcknowledge needs of `status` (any thread).
  static AckBatcher::Ack AckOf(const v1::TaskStatus& status);
  void DoMessage(v1::ExecutorID executor_id, v1::AgentID agent_id, std::string data);
  void DoReconcile(std::vector<v1::TaskStatus> statuses);
  void DoUpdateFramework(v1::FrameworkInfo info, std::vector<std::string> suppressed_roles);
  // Sends TEARDOWN; `done` runs on the loop with its outcome.
  void DoTeardown(std::function<void(const absl::Status&)> done);
  bool implicit_acknowledgements() const { return options_.implicit_acknowledgements; }

 private:
  template <typename Request>
  using AsyncMethod = void (v1::Scheduler::Stub::async::*)(grpc::ClientContext*, const Request*,
                                                           v1::CallResponse*,
                                                           std::function<void(grpc::Status)>);
  using ResultFn = std::function<void(const absl::Status&)>;

  // Connection (loop thread).
  void Connect();
  void ScheduleReconnect();
  // Handles every event the stream of `generation` has read so far (one
  // loop hop for a burst), then lets it read ahead again.
  void OnEventsReady(uint64_t generation);
  // One event of the live stream (the driver's to take apart); the driver is
  // RUNNING.
  void OnEvent(v1::Event& event);
  void OnSubscribed(const v1::Event::Subscribed& subscribed);
  void OnUpdate(const v1::TaskStatus& status);
  void OnStreamDone(uint64_t generation, absl::Status status);
  void OnLivenessCheck(uint64_t generation);
  void SetDisconnected();
  void FollowRedirect(const std::string& leader);
  // The detector saw a new leader: unless already subscribed (or
  // subscribing) there, re-subscribe now instead of after the backoff.
  void OnLeaderChanged();

  // Sends a command with the current header; `on_result` runs on the loop.
  template <typename Request>
  void Send(const char* name, AsyncMethod<Request> method, Request request,
            ResultFn on_result = nullptr);
  void OnCallDone(const char* name, const absl::Status& status, const ResultFn& on_result);
  v1::CallHeader Header() const;

  // Acknowledgements (loop thread): queue one (dropped if its stream is no
  // longer the live one or it was sent on it already) and send what is
  // queued at the end of the loop turn unless a call is in flight; re-queue
  // a failed call's acks after a delay.
  void QueueAcknowledgement(AckBatcher::Ack&& ack);
  void SendAcknowledgements();
  void RetryAcknowledgements(const std::vector<AckBatcher::Ack>& batch);

  // Reports synthesized updates for tasks that never reached the master.
  void FailLaunches(const std::vector<v1::TaskID>& task_ids, v1::TaskState state,
                    v1::TaskStatus::Reason reason, const std::string& message);

  // Runs (once) what waits for in-flight commands to be answered.
  void RunAfterCommands();

  // Ends the driver (loop thread): closes the stream, wakes join().
  void Finish();
  // A fatal error: ABORTED, error() callback, Finish().
  void FailFatally(const std::string& message);

  SchedulerDriver* const driver_;
  Scheduler* const scheduler_;
  const std::string master_spec_;
  const SchedulerDriverOptions options_;
  // The driver's own loop thread, or none when options.loop is injected
  // (tests drive a ManualEventLoop; then join() does not block).
  std::unique_ptr<AsioEventLoop> owned_loop_;
  EventLoop* const loop_;
  std::shared_ptr<LoopPoster> poster_;
  std::atomic<SchedulerDriverStatus> status_{SchedulerDriverStatus::NOT_STARTED};

  // join() waits for `done_`.
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  // Mirrors of loop state for the thread-safe accessors.
  std::string framework_id_mirror_;
  bool connected_mirror_ = false;
  std::string master_mirror_;

  // Loop-owned.
  v1::FrameworkInfo framework_;
  std::vector<std::string> suppressed_roles_;
  std::unique_ptr<MasterDetector> detector_;
  std::string redirect_address_;  // From a LeaderRedirect; preferred when set.
  std::string channel_address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Scheduler::Stub> stub_;
  std::shared_ptr<scheduler::SubscribeCall> call_;
  uint64_t generation_ = 0;
  bool subscribed_on_stream_ = false;
  bool connected_ = false;
  bool registered_once_ = false;
  bool finished_ = false;  // Finish() ran: commands are dropped.
  int commands_in_flight_ = 0;
  std::function<void()> after_commands_;  // Set while stop() waits for them.
  std::string stream_id_;
  // stream_id_'s number for AckBatcher (0 while not subscribed): a stream id
  // keeps its number across re-subscriptions with the same id.
  uint64_t stream_number_ = 0;
  uint64_t last_stream_number_ = 0;   // The latest number given...
  std::string last_numbered_stream_;  // ...to this stream id.
  // Updates delivered and acknowledged (each reaches the scheduler once).
  UpdateLedger ledger_;
  // Acknowledgements waiting for the one Acknowledge call in flight.
  AckBatcher acks_;
  // A closure that sends the queued acks is posted and has not run.
  bool ack_flush_posted_ = false;
  absl::Duration heartbeat_interval_ = absl::Seconds(15);
  absl::Time last_event_time_;
  int attempt_ = 0;
  int redirects_in_a_row_ = 0;
  TimerId reconnect_timer_ = 0;
  TimerId liveness_timer_ = 0;
  std::mt19937_64 random_;
};

}  // namespace agora

#endif  // AGORA_SCHEDULER_DRIVER_DRIVER_IMPL_HPP_
