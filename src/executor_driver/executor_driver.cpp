// AgoraExecutorDriver: the gRPC implementation of agora::ExecutorDriver.
//
// The Impl owns one AsioEventLoop ("exec-driver"), or runs on an injected
// loop (tests: a ManualEventLoop); all driver state lives on
// it and every Executor callback runs on it. gRPC reactors (the Subscribe
// stream, unary Update/Message calls) only post to the loop. Updates are sent
// one at a time in order; each is retried with backoff until the agent
// replies OK (checkpointed), then kept until ACKNOWLEDGED.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "agora/executor.hpp"
#include "agora/v1/executor.grpc.pb.h"
#include "common/asio_event_loop.hpp"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "executor_driver/executor_env.hpp"
#include "glog/logging.h"

namespace agora {

using v1::ExecutorEvent;

class AgoraExecutorDriver::Impl {
 public:
  // `loop` null: the driver runs its own loop thread ("exec-driver").
  Impl(Executor* executor, ExecutorDriver* owner, EventLoop* loop)
      : executor_(executor),
        owner_(owner),
        owned_loop_(loop == nullptr ? std::make_unique<AsioEventLoop>("exec-driver") : nullptr),
        loop_(loop != nullptr ? loop : owned_loop_.get()) {}

  ~Impl() {
    Abort();
    WaitForRpcs();
    if (owned_loop_) owned_loop_->Stop();
  }

  ExecutorDriverStatus Start() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_ != ExecutorDriverStatus::NOT_STARTED) return status_;
      status_ = ExecutorDriverStatus::RUNNING;
    }
    if (owned_loop_) owned_loop_->Start();
    auto env = executor::ReadExecutorEnv();
    if (!env.ok()) {
      std::string message(env.status().message());
      LOG(ERROR) << "Executor environment invalid: " << message;
      SetFinal(ExecutorDriverStatus::ABORTED);
      loop_->Post([this, message] { executor_->error(owner_, message); });
      return ExecutorDriverStatus::ABORTED;
    }
    env_ = *env;
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    // Reconnect to a restarted agent within our own backoff, not gRPC's.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channel_ =
        grpc::CreateCustomChannel(env_.agent_endpoint, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Executor::NewStub(channel_);
    loop_->Post([this] {
      disconnected_since_ = loop_->Now();
      Subscribe();
    });
    return ExecutorDriverStatus::RUNNING;
  }

  ExecutorDriverStatus Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_ != ExecutorDriverStatus::RUNNING) return status_;
      status_ = ExecutorDriverStatus::STOPPED;
    }
    loop_->Post([this] {
      stopping_ = true;
      if (pending_.empty()) {
        Finish();
      } else {
        // Give updates not yet checkpointed a bounded time to get there.
        loop_->RunAfter(absl::Seconds(5), [this] { Finish(); });
      }
    });
    return ExecutorDriverStatus::STOPPED;
  }

  ExecutorDriverStatus Abort() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status_ == ExecutorDriverStatus::NOT_STARTED || status_ == ExecutorDriverStatus::RUNNING)
        status_ = ExecutorDriverStatus::ABORTED;
      if (done_) return status_;
    }
    loop_->Post([this] { Finish(); });
    return ExecutorDriverStatus::ABORTED;
  }

  ExecutorDriverStatus Join() {
    std::unique_lock<std::mutex> lock(mu_);
    if (status_ == ExecutorDriverStatus::NOT_STARTED) return status_;
    // On an injected loop the caller runs the loop: waiting would block it.
    if (!owned_loop_) return status_;
    cv_.wait(lock, [this] { return done_; });
    return status_;
  }

  ExecutorDriverStatus SendStatusUpdate(const v1::TaskStatus& status) {
    ExecutorDriverStatus current = CurrentStatus();
    if (current != ExecutorDriverStatus::RUNNING) return current;
    v1::TaskStatus update = status;
    update.set_uuid(NewUuidBytes());
    update.set_timestamp(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    update.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    update.mutable_executor_id()->set_value(env_.executor_id);
    if (!env_.agent_id.empty()) update.mutable_agent_id()->set_value(env_.agent_id);
    unacknowledged_count_++;
    {
      // Ordered here, not by Post: Asio runs posts from the loop thread and
      // from other threads in no guaranteed relative order.
      std::lock_guard<std::mutex> lock(incoming_mu_);
      incoming_.push_back(std::move(update));
    }
    loop_->Post([this] {
      {
        std::lock_guard<std::mutex> lock(incoming_mu_);
        while (!incoming_.empty()) {
          pending_.push_back(std::move(incoming_.front()));
          incoming_.pop_front();
        }
      }
      MaybeSendNextUpdate();
    });
    return current;
  }

  ExecutorDriverStatus SendFrameworkMessage(const std::string& data) {
    ExecutorDriverStatus current = CurrentStatus();
    if (current != ExecutorDriverStatus::RUNNING) return current;
    loop_->Post([this, data] {
      auto call = std::make_shared<UnaryCall<v1::ExecutorMessageRequest>>();
      call->request.mutable_framework_id()->set_value(env_.framework_id);
      call->request.mutable_executor_id()->set_value(env_.executor_id);
      call->request.set_data(data);
      RpcStarted();
      stub_->async()->Message(
          &call->context, &call->request, &call->response, [this, call](grpc::Status status) {
            if (!status.ok())
              LOG(WARNING) << "Framework message not delivered: " << status.error_message();
            RpcFinished();
          });
    });
    return current;
  }

  int unacknowledged() const { return unacknowledged_count_.load(); }

 private:
  template <typename Request>
  struct UnaryCall {
    grpc::ClientContext context;
    Request request;
    v1::ExecutorCallResponse response;
  };

  // The Subscribe stream. Deletes itself in OnDone after posting the result.
  class Subscription : public grpc::ClientReadReactor<ExecutorEvent> {
   public:
    Subscription(Impl* impl, uint64_t generation) : impl_(impl), generation_(generation) {}
    void Begin() {
      impl_->stub_->async()->Subscribe(&context, &request, this);
      StartRead(&event_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      impl_->loop_->Post(
          [impl = impl_, gen = generation_, event = event_] { impl->OnEvent(gen, event); });
      StartRead(&event_);
    }
    void OnDone(const grpc::Status& status) override {
      impl_->loop_->Post([impl = impl_, gen = generation_, message = status.error_message()] {
        impl->OnSubscriptionEnded(gen, message);
      });
      Impl* impl = impl_;
      delete this;
      impl->RpcFinished();
    }
    grpc::ClientContext context;
    v1::ExecutorSubscribeRequest request;

   private:
    Impl* impl_;
    uint64_t generation_;
    ExecutorEvent event_;
  };

  ExecutorDriverStatus CurrentStatus() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  void SetFinal(ExecutorDriverStatus status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }

  void RpcStarted() {
    std::lock_guard<std::mutex> lock(rpc_mu_);
    live_rpcs_++;
  }
  void RpcFinished() {
    std::lock_guard<std::mutex> lock(rpc_mu_);
    if (--live_rpcs_ == 0) rpc_cv_.notify_all();
  }
  void WaitForRpcs() {
    std::unique_lock<std::mutex> lock(rpc_mu_);
    rpc_cv_.wait(lock, [this] { return live_rpcs_ == 0; });
  }

  // Loop thread from here on.

  void Subscribe() {
    if (finished_) return;
    auto* subscription = new Subscription(this, ++generation_);
    subscription->request.mutable_framework_id()->set_value(env_.framework_id);
    subscription->request.mutable_executor_id()->set_value(env_.executor_id);
    for (const auto& [id, task] : tasks_) *subscription->request.add_unacknowledged_tasks() = task;
    for (const auto& [uuid, update] : unacked_)
      *subscription->request.add_unacknowledged_updates() = update;
    subscription_ = subscription;
    RpcStarted();
    subscription->Begin();
  }

  void OnEvent(uint64_t generation, const ExecutorEvent& event) {
    if (generation != generation_ || finished_) return;
    switch (event.type()) {
      case ExecutorEvent::SUBSCRIBED:
        subscribe_backoff_ = absl::Milliseconds(100);
        disconnected_since_.reset();
        if (!event.subscribed().agent_info().id().value().empty())
          env_.agent_id = event.subscribed().agent_info().id().value();
        if (!ever_subscribed_) {
          ever_subscribed_ = true;
          executor_->registered(owner_, event.subscribed().executor_info(),
                                event.subscribed().framework_info(),
                                event.subscribed().agent_info());
        } else {
          executor_->reregistered(owner_, event.subscribed().agent_info());
        }
        connected_ = true;
        MaybeSendNextUpdate();
        break;
      case ExecutorEvent::LAUNCH:
        tasks_[event.launch().task().task_id().value()] = event.launch().task();
        executor_->launchTask(owner_, event.launch().task());
        break;
      case ExecutorEvent::KILL:
        executor_->killTask(owner_, event.kill().task_id(), event.kill().kill_policy());
        break;
      case ExecutorEvent::SHUTDOWN:
        executor_->shutdown(owner_);
        break;
      case ExecutorEvent::MESSAGE:
        executor_->frameworkMessage(owner_, event.message().data());
        break;
      case ExecutorEvent::ACKNOWLEDGED:
        OnAcknowledged(event.acknowledged().task_id().value(), event.acknowledged().uuid());
        break;
      case ExecutorEvent::ERROR:
        LOG(ERROR) << "Agent reported an error: " << event.error().message();
        executor_->error(owner_, event.error().message());
        Abort();
        break;
      default:
        break;  // HEARTBEAT and unknown types.
    }
  }

  void OnAcknowledged(const std::string& task_id, const std::string& uuid) {
    auto it = unacked_.find(uuid);
    if (it == unacked_.end()) {
      // The acknowledgement (on the stream) can overtake the agent's reply to
      // Update (a separate call): remember it for when the reply lands.
      for (const v1::TaskStatus& update : pending_) {
        if (update.uuid() == uuid) early_acks_.insert(uuid);
      }
      return;
    }
    if (IsTerminalState(it->second.state())) tasks_.erase(task_id);
    unacked_.erase(it);
    unacknowledged_count_--;
  }

  void OnSubscriptionEnded(uint64_t generation, const std::string& message) {
    if (generation != generation_) return;
    subscription_ = nullptr;
    if (finished_) return;
    if (connected_) {
      LOG(WARNING) << "Lost the agent subscription: " << message;
      connected_ = false;
      disconnected_since_ = loop_->Now();
      executor_->disconnected(owner_);
    }
    if (disconnected_since_ && loop_->Now() - *disconnected_since_ > env_.recovery_timeout) {
      LOG(ERROR) << "Agent did not come back within the recovery timeout; aborting";
      executor_->error(owner_, "agent unreachable beyond the recovery timeout");
      Abort();
      return;
    }
    loop_->RunAfter(subscribe_backoff_, [this] { Subscribe(); });
    subscribe_backoff_ = std::min(subscribe_backoff_ * 2, absl::Seconds(2));
  }

  void MaybeSendNextUpdate() {
    // Updates go only to an agent that knows this executor (subscribed).
    if (update_in_flight_ || pending_.empty() || finished_ || !connected_) return;
    update_in_flight_ = true;
    VLOG(1) << "Sending " << v1::TaskState_Name(pending_.front().state()) << " for task "
            << pending_.front().task_id().value();
    auto call = std::make_shared<UnaryCall<v1::ExecutorUpdateRequest>>();
    call->request.mutable_framework_id()->set_value(env_.framework_id);
    call->request.mutable_executor_id()->set_value(env_.executor_id);
    *call->request.mutable_status() = pending_.front();
    if (call->request.status().agent_id().value().empty() && !env_.agent_id.empty())
      call->request.mutable_status()->mutable_agent_id()->set_value(env_.agent_id);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    RpcStarted();
    stub_->async()->Update(
        &call->context, &call->request, &call->response, [this, call](grpc::Status status) {
          loop_->Post([this, ok = status.ok(), code = status.error_code(),
                       message = status.error_message()] { OnUpdateReply(ok, code, message); });
          RpcFinished();
        });
  }

  void OnUpdateReply(bool ok, grpc::StatusCode code, const std::string& message) {
    VLOG(1) << "Update reply ok=" << ok << " " << message;
    update_in_flight_ = false;
    if (finished_ || pending_.empty()) return;
    if (ok) {
      v1::TaskStatus update = std::move(pending_.front());
      pending_.pop_front();
      if (early_acks_.erase(update.uuid()) != 0) {
        if (IsTerminalState(update.state())) tasks_.erase(update.task_id().value());
        unacknowledged_count_--;
      } else {
        unacked_.emplace(update.uuid(), std::move(update));
      }
      update_backoff_ = absl::Milliseconds(100);
      if (stopping_ && pending_.empty()) {
        Finish();
        return;
      }
      MaybeSendNextUpdate();
      return;
    }
    if (code == grpc::StatusCode::INVALID_ARGUMENT ||
        code == grpc::StatusCode::FAILED_PRECONDITION) {
      // The agent will never take this update; retrying cannot help.
      LOG(ERROR) << "Agent rejected a status update: " << message;
      pending_.pop_front();
      unacknowledged_count_--;
      MaybeSendNextUpdate();
      return;
    }
    VLOG(1) << "Status update not checkpointed yet (" << message << "); retrying";
    loop_->RunAfter(update_backoff_, [this] { MaybeSendNextUpdate(); });
    update_backoff_ = std::min(update_backoff_ * 2, absl::Seconds(2));
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    if (subscription_ != nullptr) subscription_->context.TryCancel();
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  Executor* executor_;
  ExecutorDriver* owner_;
  executor::ExecutorEnv env_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Executor::Stub> stub_;

  std::mutex mu_;  // Guards status_ and done_.
  std::condition_variable cv_;
  ExecutorDriverStatus status_ = ExecutorDriverStatus::NOT_STARTED;
  bool done_ = false;

  std::mutex rpc_mu_;
  std::condition_variable rpc_cv_;
  int live_rpcs_ = 0;

  std::atomic<int> unacknowledged_count_{0};

  std::mutex incoming_mu_;
  std::deque<v1::TaskStatus> incoming_;  // Given to sendStatusUpdate, in call order.

  // Loop-owned.
  uint64_t generation_ = 0;
  Subscription* subscription_ = nullptr;
  bool connected_ = false;
  bool ever_subscribed_ = false;
  bool finished_ = false;
  bool stopping_ = false;
  bool update_in_flight_ = false;
  std::optional<absl::Time> disconnected_since_;
  absl::Duration subscribe_backoff_ = absl::Milliseconds(100);
  absl::Duration update_backoff_ = absl::Milliseconds(100);
  std::deque<v1::TaskStatus> pending_;             // Not yet checkpointed, in order.
  std::map<std::string, v1::TaskStatus> unacked_;  // uuid -> checkpointed update.
  std::map<std::string, v1::TaskInfo> tasks_;      // Launched, not acknowledged terminal.
  std::set<std::string> early_acks_;               // Acknowledged before the agent's reply.

  // Last: destroyed first. owned_loop_ is null when a loop was injected.
  std::unique_ptr<AsioEventLoop> owned_loop_;
  EventLoop* loop_;
};

AgoraExecutorDriver::AgoraExecutorDriver(Executor* executor)
    : impl_(std::make_unique<Impl>(executor, this, nullptr)) {}
AgoraExecutorDriver::AgoraExecutorDriver(Executor* executor, EventLoop* loop)
    : impl_(std::make_unique<Impl>(executor, this, loop)) {}
AgoraExecutorDriver::~AgoraExecutorDriver() = default;

ExecutorDriverStatus AgoraExecutorDriver::start() { return impl_->Start(); }
ExecutorDriverStatus AgoraExecutorDriver::stop() { return impl_->Stop(); }
ExecutorDriverStatus AgoraExecutorDriver::abort() { return impl_->Abort(); }
ExecutorDriverStatus AgoraExecutorDriver::join() { return impl_->Join(); }
ExecutorDriverStatus AgoraExecutorDriver::run() {
  ExecutorDriverStatus status = start();
  return status == ExecutorDriverStatus::RUNNING ? join() : status;
}
ExecutorDriverStatus AgoraExecutorDriver::sendStatusUpdate(const v1::TaskStatus& status) {
  return impl_->SendStatusUpdate(status);
}
ExecutorDriverStatus AgoraExecutorDriver::sendFrameworkMessage(const std::string& data) {
  return impl_->SendFrameworkMessage(data);
}
int AgoraExecutorDriver::unacknowledged_updates() const { return impl_->unacknowledged(); }

}  // namespace agora
