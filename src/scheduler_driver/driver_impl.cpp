// Lifecycle and connection handling of the scheduler driver: subscribe,
// dispatch events to the Scheduler, detect dead connections, re-subscribe
// with backoff, follow leader redirects.
#include "scheduler_driver/driver_impl.hpp"

#include <grpc/grpc.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.hpp"
#include "glog/logging.h"
#include "scheduler_driver/backoff.hpp"

namespace agora {
namespace {

// Redirects followed without backoff before backing off (a leader that
// points at another non-leader must not make us spin).
constexpr int kMaxImmediateRedirects = 3;

std::string CurrentUser() {
  if (struct passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "root";
}

std::string CurrentHostname() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "localhost";
  return buffer;
}

// Subscribe errors that retrying cannot fix: the master refused the
// FrameworkInfo or the framework id.
bool IsFatalSubscribeError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

// One channel per master address for the whole process, never destroyed.
// gRPC 1.51 releases its callback completion queue when the last channel
// that used it dies and races with the next channel acquiring it (the
// queue's "nexting" thread trips a refcount assertion). A process that
// creates drivers one after another would hit that, so channels are cached
// (which also reuses connections across driver instances).
std::shared_ptr<grpc::Channel> SharedChannel(const std::string& address) {
  static std::mutex* mu = new std::mutex;
  static auto* channels = new std::map<std::string, std::shared_ptr<grpc::Channel>>;
  std::lock_guard<std::mutex> lock(*mu);
  std::shared_ptr<grpc::Channel>& channel = (*channels)[address];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    // gRPC's own reconnect backoff (default up to 120 s) would hold a
    // restarted master's schedulers back long after the driver's backoff
    // says "try again"; keep it short and let the driver pace retries.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    // Large OFFERS events (many agents) exceed the 4 MiB default.
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  return channel;
}

}  // namespace

void LoopPoster::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (loop_ != nullptr) loop_->Post(std::move(fn));
}

void LoopPoster::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  loop_ = nullptr;
}

AgoraSchedulerDriver::Impl::Impl(SchedulerDriver* driver, Scheduler* scheduler,
                                 const v1::FrameworkInfo& framework, std::string master,
                                 SchedulerDriverOptions options)
    : driver_(driver),
      scheduler_(scheduler),
      master_spec_(std::move(master)),
      options_(std::move(options)),
      owned_loop_(options_.loop == nullptr ? std::make_unique<AsioEventLoop>("sched-driver")
                                           : nullptr),
      loop_(options_.loop != nullptr ? options_.loop : owned_loop_.get()),
      poster_(std::make_shared<LoopPoster>(loop_)),
      framework_(framework),
      suppressed_roles_(options_.suppressed_roles),
      random_(std::random_device{}()) {
  if (framework_.user().empty()) framework_.set_user(CurrentUser());
  if (framework_.roles().empty()) framework_.add_roles("*");
  if (framework_.hostname().empty()) framework_.set_hostname(CurrentHostname());
  framework_id_mirror_ = framework_.id().value();
}

AgoraSchedulerDriver::Impl::~Impl() {
  if (status_.load() == SchedulerDriverStatus::RUNNING) Abort();
  if (status_.load() != SchedulerDriverStatus::NOT_STARTED) Join();
  // Give cancelled gRPC calls a moment to complete so none outlives the
  // channel's users; their posts are dropped from here on.
  poster_->Shutdown();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (poster_->outstanding_calls() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (owned_loop_) owned_loop_->Stop();
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Start() {
  SchedulerDriverStatus expected = SchedulerDriverStatus::NOT_STARTED;
  if (!status_.compare_exchange_strong(expected, SchedulerDriverStatus::RUNNING)) return expected;
  absl::StatusOr<std::unique_ptr<MasterDetector>> detector = MasterDetector::Create(master_spec_);
  if (!detector.ok()) {
    status_ = SchedulerDriverStatus::ABORTED;
    std::string message(detector.status().message());
    if (owned_loop_) owned_loop_->Start();
    loop_->Post([this, message] {
      scheduler_->error(driver_, message);
      Finish();
    });
    return SchedulerDriverStatus::ABORTED;
  }
  detector_ = std::move(*detector);
  LOG(INFO) << "Scheduler driver starting: framework=" << framework_.name() << " "
            << detector_->Describe();
  if (owned_loop_) owned_loop_->Start();
  loop_->Post([this] {
    // From the first Connect on. The callback runs on the detector's
    // thread; the poster drops what it posts once the driver ends.
    std::weak_ptr<LoopPoster> poster = poster_;
    detector_->SetOnChange([this, poster] {
      if (auto p = poster.lock()) p->Post([this] { OnLeaderChanged(); });
    });
    Connect();
  });
  return SchedulerDriverStatus::RUNNING;
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Stop(bool failover) {
  SchedulerDriverStatus expected = SchedulerDriverStatus::RUNNING;
  if (!status_.compare_exchange_strong(expected, SchedulerDriverStatus::STOPPED)) return expected;
  loop_->Post([this, failover] {
    if (failover) {
      Finish();
      return;
    }
    // Tear down only after the commands already sent (typically the
    // acknowledgements of the last updates) are answered, so the master
    // relays them to the agents before it forgets the framework.
    auto teardown = [this] {
      if (finished_) return;
      if (!connected_) {
        LOG(WARNING) << "Stopping while disconnected: the framework is not torn down";
        Finish();
        return;
      }
      LOG(INFO) << "Tearing down framework " << framework_.id().value();
      DoTeardown([this](const absl::Status& status) {
        if (!status.ok()) LOG(WARNING) << "Teardown failed: " << status;
        Finish();
      });
    };
    if (commands_in_flight_ == 0) {
      teardown();
      return;
    }
    after_commands_ = teardown;
    // Commands have their own deadline; this only bounds the wait twice.
    loop_->RunAfter(absl::Seconds(options_.call_timeout_seconds), [this] { RunAfterCommands(); });
  });
  return SchedulerDriverStatus::STOPPED;
}

void AgoraSchedulerDriver::Impl::RunAfterCommands() {
  if (!after_commands_) return;
  std::function<void()> fn = std::move(after_commands_);
  after_commands_ = nullptr;
  fn();
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Abort() {
  SchedulerDriverStatus expected = SchedulerDriverStatus::RUNNING;
  if (!status_.compare_exchange_strong(expected, SchedulerDriverStatus::ABORTED)) return expected;
  loop_->Post([this] { Finish(); });
  return SchedulerDriverStatus::ABORTED;
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Join() {
  if (status_.load() == SchedulerDriverStatus::NOT_STARTED) return status_.load();
  // On an injected loop the caller runs the loop: waiting here would block it.
  if (!owned_loop_) return status_.load();
  CHECK(!loop_->IsInLoopThread()) << "join() called from a scheduler callback would deadlock";
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return done_; });
  return status_.load();
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Submit(std::function<void()> fn) {
  SchedulerDriverStatus status = status_.load();
  if (status != SchedulerDriverStatus::RUNNING) return status;
  // Commands issued before a stop() still go out (in order, before the
  // teardown); nothing runs once the driver has finished.
  loop_->Post([this, fn = std::move(fn)] {
    if (!finished_) fn();
  });
  return status;
}

SchedulerDriverStatus AgoraSchedulerDriver::Impl::Acknowledge(AckBatcher::Ack ack) {
  if (!loop_->IsInLoopThread()) {
    return Submit([this, ack = std::move(ack)]() mutable { DoAcknowledge(std::move(ack)); });
  }
  SchedulerDriverStatus status = status_.load();
  if (status == SchedulerDriverStatus::RUNNING && !finished_) DoAcknowledge(std::move(ack));
  return status;
}

std::string AgoraSchedulerDriver::Impl::framework_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return framework_id_mirror_;
}

bool AgoraSchedulerDriver::Impl::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_mirror_;
}

std::string AgoraSchedulerDriver::Impl::master_address() const {
  std::lock_guard<std::mutex> lock(mu_);
  return master_mirror_;
}

void AgoraSchedulerDriver::Impl::Finish() {
  DCHECK(loop_->IsInLoopThread());
  loop_->Cancel(reconnect_timer_);
  loop_->Cancel(liveness_timer_);
  ++generation_;
  if (call_ != nullptr) call_->Cancel();
  call_.reset();
  connected_ = false;
  finished_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  connected_mirror_ = false;
  done_ = true;
  done_cv_.notify_all();
}

void AgoraSchedulerDriver::Impl::FailFatally(const std::string& message) {
  LOG(ERROR) << "Scheduler driver aborted: " << message;
  SchedulerDriverStatus expected = SchedulerDriverStatus::RUNNING;
  if (!status_.compare_exchange_strong(expected, SchedulerDriverStatus::ABORTED)) return;
  ++generation_;
  if (call_ != nullptr) call_->Cancel();
  call_.reset();
  scheduler_->error(driver_, message);
  Finish();
}

void AgoraSchedulerDriver::Impl::Connect() {
  DCHECK(loop_->IsInLoopThread());
  reconnect_timer_ = 0;
  if (status_.load() != SchedulerDriverStatus::RUNNING) return;
  std::string address = redirect_address_;
  if (address.empty()) {
    absl::StatusOr<std::string> leader = detector_->CurrentLeader();
    if (!leader.ok()) {
      LOG(WARNING) << "No leading master known: " << leader.status();
      ScheduleReconnect();
      return;
    }
    address = *leader;
  }
  if (address != channel_address_ || channel_ == nullptr) {
    channel_ = SharedChannel(address);
    stub_ = v1::Scheduler::NewStub(channel_);
    channel_address_ = address;
    std::lock_guard<std::mutex> lock(mu_);
    master_mirror_ = address;
  }
  v1::SubscribeRequest request;
  *request.mutable_framework_info() = framework_;
  for (const std::string& role : suppressed_roles_) request.add_suppressed_roles(role);
  uint64_t generation = ++generation_;
  subscribed_on_stream_ = false;
  last_event_time_ = loop_->Now();
  VLOG(1) << "Subscribing to " << address << " framework_id=" << framework_.id().value();
  std::weak_ptr<LoopPoster> poster = poster_;
  call_ = scheduler::SubscribeCall::Start(
      stub_.get(), request,
      [this, poster, generation] {
        if (auto p = poster.lock()) p->Post([this, generation] { OnEventsReady(generation); });
      },
      [this, poster, generation](absl::Status status) {
        if (auto p = poster.lock()) {
          p->Post([this, generation, status] { OnStreamDone(generation, status); });
        }
      });
  // Before SUBSCRIBED the call timeout bounds the wait; afterwards the
  // heartbeat interval does.
  loop_->Cancel(liveness_timer_);
  liveness_timer_ = loop_->RunAfter(absl::Seconds(options_.call_timeout_seconds),
                                    [this, generation] { OnLivenessCheck(generation); });
}

void AgoraSchedulerDriver::Impl::ScheduleReconnect() {
  if (status_.load() != SchedulerDriverStatus::RUNNING || reconnect_timer_ != 0) return;
  double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  absl::Duration delay = scheduler::BackoffDelay(options_.initial_backoff_seconds,
                                                 options_.max_backoff_seconds, attempt_++, unit);
  VLOG(1) << "Re-subscribing in " << delay;
  reconnect_timer_ = loop_->RunAfter(delay, [this] { Connect(); });
}

void AgoraSchedulerDriver::Impl::OnLivenessCheck(uint64_t generation) {
  liveness_timer_ = 0;
  if (generation != generation_ || call_ == nullptr) return;
  absl::Duration allowed = subscribed_on_stream_
                               ? heartbeat_interval_ * std::max(1, options_.max_missed_heartbeats)
                               : absl::Seconds(options_.call_timeout_seconds);
  absl::Duration silent = loop_->Now() - last_event_time_;
  if (silent >= allowed) {
    LOG(WARNING) << "No event from master " << channel_address_ << " for " << silent
                 << "; reconnecting";
    // The stream's end (CANCELLED) drives the reconnection.
    call_->Cancel();
    return;
  }
  liveness_timer_ =
      loop_->RunAfter(allowed - silent, [this, generation] { OnLivenessCheck(generation); });
}

void AgoraSchedulerDriver::Impl::OnEventsReady(uint64_t generation) {
  DCHECK(loop_->IsInLoopThread());
  // Every event of a generation is taken before its stream's end is handled
  // (both are posted in order), so a stale generation has nothing left.
  if (generation != generation_ || call_ == nullptr) return;
  // Keep the call alive across callbacks that may replace call_.
  std::shared_ptr<scheduler::SubscribeCall> call = call_;
  std::vector<v1::Event> events = call->TakeEvents();
  int handled = 0;
  for (v1::Event& event : events) {
    // A callback may have stopped the driver or left this stream: the rest
    // of the batch belongs to a dead stream.
    if (generation != generation_ || status_.load() != SchedulerDriverStatus::RUNNING) return;
    OnEvent(event);
    ++handled;
  }
  if (generation == generation_) call->EventsHandled(handled);
}

void AgoraSchedulerDriver::Impl::OnEvent(v1::Event& event) {
  last_event_time_ = loop_->Now();
  switch (event.type()) {
    case v1::Event::SUBSCRIBED:
      OnSubscribed(event.subscribed());
      break;
    case v1::Event::OFFERS: {
      // The event is ours: its offers move into the callback's vector.
      google::protobuf::RepeatedPtrField<v1::Offer>* received =
          event.mutable_offers()->mutable_offers();
      std::vector<v1::Offer> offers(std::make_move_iterator(received->begin()),
                                    std::make_move_iterator(received->end()));
      if (!offers.empty()) scheduler_->resourceOffers(driver_, offers);
      break;
    }
    case v1::Event::RESCIND:
      scheduler_->offerRescinded(driver_, event.rescind().offer_id());
      break;
    case v1::Event::UPDATE:
      OnUpdate(event.update().status());
      break;
    case v1::Event::MESSAGE:
      scheduler_->frameworkMessage(driver_, event.message().executor_id(),
                                   event.message().agent_id(), event.message().data());
      break;
    case v1::Event::FAILURE: {
      const v1::Event::Failure& failure = event.failure();
      if (!failure.executor_id().value().empty()) {
        scheduler_->executorLost(driver_, failure.executor_id(), failure.agent_id(),
                                 failure.has_status() ? failure.status() : -1);
      } else {
        scheduler_->agentLost(driver_, failure.agent_id());
      }
      break;
    }
    case v1::Event::ERROR:
      FailFatally(event.error().message());
      break;
    case v1::Event::HEARTBEAT:
      break;
    default:
      VLOG(1) << "Ignoring event of unknown type " << event.type();
      break;
  }
}

void AgoraSchedulerDriver::Impl::OnSubscribed(const v1::Event::Subscribed& subscribed) {
  if (subscribed_on_stream_) return;
  subscribed_on_stream_ = true;
  connected_ = true;
  attempt_ = 0;
  redirects_in_a_row_ = 0;
  stream_id_ = subscribed.stream_id();
  if (last_stream_number_ == 0 || stream_id_ != last_numbered_stream_) {
    ++last_stream_number_;
    last_numbered_stream_ = stream_id_;
  }
  stream_number_ = last_stream_number_;
  *framework_.mutable_id() = subscribed.framework_id();
  heartbeat_interval_ = subscribed.heartbeat_interval_seconds() > 0
                            ? absl::Seconds(subscribed.heartbeat_interval_seconds())
                            : absl::Seconds(15);
  {
    std::lock_guard<std::mutex> lock(mu_);
    framework_id_mirror_ = subscribed.framework_id().value();
    connected_mirror_ = true;
  }
  loop_->Cancel(liveness_timer_);
  uint64_t generation = generation_;
  liveness_timer_ =
      loop_->RunAfter(heartbeat_interval_ * std::max(1, options_.max_missed_heartbeats),
                      [this, generation] { OnLivenessCheck(generation); });
  v1::MasterInfo master;
  master.set_id(subscribed.master_id());
  master.set_address(subscribed.master_address().empty() ? channel_address_
                                                         : subscribed.master_address());
  LOG(INFO) << (registered_once_ ? "Re-subscribed" : "Subscribed")
            << " framework_id=" << subscribed.framework_id().value()
            << " master=" << master.address();
  if (!registered_once_) {
    registered_once_ = true;
    scheduler_->registered(driver_, subscribed.framework_id(), master);
  } else {
    scheduler_->reregistered(driver_, master);
  }
}

void AgoraSchedulerDriver::Impl::OnUpdate(const v1::TaskStatus& status) {
  UpdateLedger::Decision decision = ledger_.OnUpdate(status.uuid(), stream_id_);
  if (!decision.deliver) {
    // A re-sent update the scheduler has already seen: never a second
    // callback; re-acknowledge only if the earlier ack went to an older
    // stream (it may have been lost with that master).
    VLOG(1) << "Duplicate status update for task_id=" << status.task_id().value()
            << (decision.acknowledge ? "; acknowledging again on the new stream" : "");
    if (decision.acknowledge && !finished_) DoAcknowledge(status);
    return;
  }
  scheduler_->statusUpdate(driver_, status);
  // Also after a stop() from the callback: the teardown waits for this ack.
  if (options_.implicit_acknowledgements && !status.uuid().empty() && !finished_) {
    DoAcknowledge(status);
  }
}

void AgoraSchedulerDriver::Impl::SetDisconnected() {
  bool was_connected = connected_;
  connected_ = false;
  stream_id_.clear();
  stream_number_ = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_mirror_ = false;
  }
  if (was_connected) {
    LOG(WARNING) << "Disconnected from master " << channel_address_;
    scheduler_->disconnected(driver_);
  }
}

void AgoraSchedulerDriver::Impl::FollowRedirect(const std::string& leader) {
  LOG(INFO) << "Master " << channel_address_ << " is not the leader; following to " << leader;
  redirect_address_ = leader;
}

void AgoraSchedulerDriver::Impl::OnLeaderChanged() {
  DCHECK(loop_->IsInLoopThread());
  if (status_.load() != SchedulerDriverStatus::RUNNING || finished_) return;
  absl::StatusOr<std::string> leader = detector_->CurrentLeader();
  if (!leader.ok()) return;  // The stream fails and backs off on its own.
  redirect_address_.clear();
  if (call_ != nullptr && channel_address_ == *leader) return;  // Already there.
  LOG(INFO) << "Leading master is now " << *leader << "; "
            << (call_ != nullptr ? "leaving master " + channel_address_
                                 : std::string("subscribing now"));
  attempt_ = 0;
  redirects_in_a_row_ = 0;
  if (call_ != nullptr) {
    ++generation_;
    call_->Cancel();
    call_.reset();
    loop_->Cancel(liveness_timer_);
    liveness_timer_ = 0;
    subscribed_on_stream_ = false;
    SetDisconnected();
    if (status_.load() != SchedulerDriverStatus::RUNNING) return;  // The callback stopped us.
  }
  loop_->Cancel(reconnect_timer_);
  reconnect_timer_ = 0;
  Connect();
}

void AgoraSchedulerDriver::Impl::OnStreamDone(uint64_t generation, absl::Status status) {
  DCHECK(loop_->IsInLoopThread());
  if (generation != generation_) return;
  call_.reset();
  loop_->Cancel(liveness_timer_);
  liveness_timer_ = 0;
  if (status_.load() != SchedulerDriverStatus::RUNNING) return;
  bool had_subscribed = subscribed_on_stream_;
  subscribed_on_stream_ = false;
  if (!had_subscribed && IsFatalSubscribeError(status.code())) {
    FailFatally(absl::StrCat("subscription refused by ", channel_address_, ": ", status.message()));
    return;
  }
  VLOG(1) << "Subscribe stream to " << channel_address_ << " ended: " << status;
  SetDisconnected();
  if (status_.load() != SchedulerDriverStatus::RUNNING) return;  // The callback stopped us.
  std::optional<std::string> leader = LeaderAddressFrom(status);
  if (leader.has_value() && *leader != channel_address_) {
    FollowRedirect(*leader);
    if (++redirects_in_a_row_ <= kMaxImmediateRedirects) {
      loop_->Post([this] {
        if (reconnect_timer_ == 0 && call_ == nullptr) Connect();
      });
      return;
    }
  } else if (!redirect_address_.empty() && !had_subscribed) {
    // The redirect target did not answer: ask the detector again next time.
    redirect_address_.clear();
  }
  ScheduleReconnect();
}

}  // namespace agora
