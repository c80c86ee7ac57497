#include "sim/sim_agent.hpp"

#include <algorithm>
#include <set>

#include "common/grpc_status.hpp"
#include "common/link_batches.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "sim/sim_channels.hpp"

namespace agora::sim {
namespace {

constexpr char kSimAgentVersion[] = "sim-agent";

}  // namespace

SimAgent::SimAgent(EventLoop* loop, MasterDetector* detector, SimChannels* channels,
                   std::mt19937* random, int index, v1::AgentInfo info,
                   const SimAgentOptions& options)
    : loop_(loop),
      detector_(detector),
      channels_(channels),
      random_(random),
      index_(index),
      info_(std::move(info)),
      options_(options),
      backoff_(options.reconnect_backoff_min),
      heartbeat_interval_(options.heartbeat_interval) {
  updates_ = std::make_unique<agent::StatusUpdateManager>(
      loop_, options_.update_retry_min, options_.update_retry_max,
      [this](const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
             v1::TaskState latest) { Forward(framework_id, status, latest); });
}

SimAgent::~SimAgent() = default;

void SimAgent::Start() {
  DCHECK(loop_->IsInLoopThread());
  Connect();
  heartbeat_timer_ = loop_->RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
}

std::shared_ptr<agent::MasterLink> SimAgent::Stop() {
  DCHECK(loop_->IsInLoopThread());
  stopping_ = true;
  registered_ = false;
  updates_->Pause();
  if (reconnect_timer_ != 0) loop_->Cancel(reconnect_timer_);
  if (heartbeat_timer_ != 0) loop_->Cancel(heartbeat_timer_);
  for (auto& [key, record] : tasks_)
    if (record.finish_timer != 0) loop_->Cancel(record.finish_timer);
  reconnect_timer_ = heartbeat_timer_ = 0;
  std::shared_ptr<agent::MasterLink> link = std::move(link_);
  if (link) link->Close();
  return link;
}

SimAgentStats SimAgent::Stats() const {
  SimAgentStats stats;
  stats.hostname = info_.hostname();
  stats.agent_id = info_.id().value();
  stats.master = master_address_;
  stats.registered = registered_;
  stats.shut_down = shut_down_;
  for (const auto& [key, record] : tasks_)
    if (!IsTerminalState(record.task.state())) stats.active_tasks++;
  stats.held_tasks = tasks_.size();
  stats.reconnects = reconnects_;
  stats.times = times_;
  return stats;
}

void SimAgent::Connect() {
  reconnect_timer_ = 0;
  if (stopping_ || shut_down_) return;
  std::string address;
  if (redirect_) {
    address = std::move(*redirect_);
    redirect_.reset();
  } else {
    auto leader = detector_->CurrentLeader();
    if (!leader.ok()) {
      ScheduleReconnect(leader.status());
      return;
    }
    address = *leader;
  }
  master_address_ = address;
  uint64_t generation = ++generation_;
  link_ = agent::MasterLink::Start(
      loop_, channels_->Stub(address, index_),
      [this, generation](const internal::MasterMessage& message) {
        OnMessage(generation, message);
      },
      [this, generation](const absl::Status& status) { OnClosed(generation, status); });
  last_heard_ = loop_->Now();
  last_master_heartbeat_ = absl::InfinitePast();
  times_.connected = loop_->Now();
  link_->Send(BuildRegistration());
}

void SimAgent::OnLeaderChanged() {
  DCHECK(loop_->IsInLoopThread());
  if (stopping_ || shut_down_) return;
  absl::StatusOr<std::string> leader = detector_->CurrentLeader();
  if (!leader.ok()) return;  // The link fails and backs off on its own.
  if (link_ && *leader == master_address_) return;
  backoff_ = options_.reconnect_backoff_min;
  failed_attempts_ = 0;
  redirect_.reset();
  followed_redirect_ = false;
  if (link_) {
    link_->Close();  // OnClosed reconnects at once (no failed attempt yet).
    return;
  }
  if (reconnect_timer_ != 0) loop_->Cancel(reconnect_timer_);
  reconnect_timer_ = 0;
  Connect();
}

void SimAgent::ScheduleReconnect(const absl::Status& why) {
  absl::Duration delay = absl::ZeroDuration();
  if (failed_attempts_++ > 0) {
    // Full jitter in [backoff/2, backoff] spreads the fleet's retries.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    delay = backoff_ * jitter(*random_);
    backoff_ = std::min(backoff_ * 2, options_.reconnect_backoff_max);
  }
  VLOG(1) << info_.hostname() << " reconnecting in " << delay << ": " << why;
  reconnect_timer_ = loop_->RunAfter(delay, [this] { Connect(); });
}

internal::AgentMessage SimAgent::BuildRegistration() const {
  internal::AgentMessage message;
  if (info_.id().value().empty()) {
    message.set_type(internal::AgentMessage::REGISTER);
    *message.mutable_register_()->mutable_agent_info() = info_;
    message.mutable_register_()->set_version(kSimAgentVersion);
    message.mutable_register_()->set_accepts_acknowledgement_batches(true);
    return message;
  }
  message.set_type(internal::AgentMessage::REREGISTER);
  auto* reregister = message.mutable_reregister();
  *reregister->mutable_agent_info() = info_;
  reregister->set_version(kSimAgentVersion);
  reregister->set_accepts_acknowledgement_batches(true);
  std::map<std::string, internal::FrameworkSnapshot> snapshots;
  std::set<Key> reported;  // (framework id, executor id)
  for (const auto& [key, record] : tasks_) {
    const auto& [framework_id, task_id] = key;
    if (IsTerminalState(record.task.state()) && updates_->Pending(framework_id, task_id) == 0)
      continue;
    internal::FrameworkSnapshot& snapshot = snapshots[framework_id];
    Key executor_key(framework_id, record.task.executor_id().value());
    auto executor = executors_.find(executor_key);
    if (executor != executors_.end() && reported.insert(executor_key).second)
      *snapshot.add_executors() = executor->second.info;
    *reregister->add_tasks() = record.task;
  }
  for (auto& [framework_id, snapshot] : snapshots) {
    auto it = frameworks_.find(framework_id);
    if (it != frameworks_.end()) {
      *snapshot.mutable_info() = it->second;
    } else {
      snapshot.mutable_info()->mutable_id()->set_value(framework_id);
    }
    *reregister->add_frameworks() = std::move(snapshot);
  }
  return message;
}

void SimAgent::OnMessage(uint64_t generation, const internal::MasterMessage& message) {
  DCHECK(loop_->IsInLoopThread());
  if (generation != generation_ || stopping_) return;
  last_heard_ = loop_->Now();
  using internal::MasterMessage;
  switch (message.type()) {
    case MasterMessage::REGISTERED:
    case MasterMessage::REREGISTERED:
      OnRegistered(message.registered(), message.type() == MasterMessage::REREGISTERED);
      break;
    case MasterMessage::RUN_TASKS:
      OnRunTasks(message.run_tasks());
      break;
    case MasterMessage::KILL_TASK: {
      Key key(message.kill_task().framework_id().value(), message.kill_task().task_id().value());
      KillTasks([&key](const Key& candidate, const v1::Task&) { return candidate == key; });
      break;
    }
    case MasterMessage::ACKNOWLEDGE:
      OnAcknowledge(message.acknowledge());
      break;
    case MasterMessage::ACKNOWLEDGEMENTS:
      // As the real agent: a batch it announced, each entry one ACKNOWLEDGE.
      if (auto s = ValidateLinkBatchSize("acknowledgements", message.acknowledgements_size());
          !s.ok()) {
        LOG(WARNING) << info_.hostname() << " refusing ACKNOWLEDGEMENTS: " << s.message();
        break;
      }
      for (const auto& ack : message.acknowledgements()) OnAcknowledge(ack);
      break;
    case MasterMessage::SHUTDOWN_FRAMEWORK: {
      const std::string& framework_id = message.shutdown_framework().framework_id().value();
      KillTasks([&](const Key& key, const v1::Task&) { return key.first == framework_id; });
      break;
    }
    case MasterMessage::SHUTDOWN_EXECUTOR: {
      const auto& shutdown = message.shutdown_executor();
      KillTasks([&](const Key& key, const v1::Task& task) {
        return key.first == shutdown.framework_id().value() &&
               task.executor_id().value() == shutdown.executor_id().value();
      });
      break;
    }
    case MasterMessage::DRAIN:
      KillTasks([](const Key&, const v1::Task&) { return true; });
      break;
    case MasterMessage::SHUTDOWN:
      LOG(WARNING) << info_.hostname()
                   << " shut down by the master: " << message.shutdown().reason();
      shut_down_ = true;
      if (link_) link_->Close();
      break;
    case MasterMessage::UPDATE_FRAMEWORK: {
      const v1::FrameworkInfo& framework = message.update_framework().framework_info();
      if (!framework.id().value().empty()) frameworks_[framework.id().value()] = framework;
      break;
    }
    case MasterMessage::HEARTBEAT:
      if (options_.on_master_heartbeat && last_master_heartbeat_ != absl::InfinitePast())
        options_.on_master_heartbeat(last_heard_ - last_master_heartbeat_);
      last_master_heartbeat_ = last_heard_;
      break;
    default:
      break;  // FRAMEWORK_MESSAGE: nothing to simulate.
  }
}

void SimAgent::OnRegistered(const internal::MasterMessage::Registered& registered,
                            bool reregistered) {
  if (registered.agent_id().value().empty()) {
    LOG(ERROR) << info_.hostname() << ": registration without an agent id; reconnecting";
    link_->Close();
    return;
  }
  *info_.mutable_id() = registered.agent_id();
  registered_ = true;
  failed_attempts_ = 0;
  followed_redirect_ = false;
  backoff_ = options_.reconnect_backoff_min;
  (reregistered ? times_.reregistered : times_.registered) = loop_->Now();
  if (times_.registered == absl::InfinitePast()) times_.registered = loop_->Now();
  times_.admitted = loop_->Now();
  if (registered.heartbeat_interval_seconds() > 0) {
    absl::Duration interval = absl::Seconds(registered.heartbeat_interval_seconds());
    if (interval != heartbeat_interval_) {
      heartbeat_interval_ = interval;
      if (heartbeat_timer_ != 0) loop_->Cancel(heartbeat_timer_);
      heartbeat_timer_ = loop_->RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
    }
  }
  if (registered.max_missed_heartbeats() > 0)
    max_missed_heartbeats_ = registered.max_missed_heartbeats();
  // As the real agent: merge queued updates once the master takes batches.
  link_->SetUpdateBatching(registered.accepts_status_update_batches());
  VLOG(1) << info_.hostname() << (reregistered ? " re-registered" : " registered")
          << " agent_id=" << info_.id().value() << " at " << NowSeconds();
  updates_->Resume();
}

void SimAgent::OnClosed(uint64_t generation, const absl::Status& status) {
  if (generation != generation_) return;
  link_.reset();
  registered_ = false;
  updates_->Pause();
  if (stopping_ || shut_down_) return;
  reconnects_++;
  times_.disconnected = loop_->Now();
  if (std::optional<std::string> leader = LeaderAddressFrom(status);
      leader && *leader != master_address_) {
    // A non-leading master named the leader: go there next, at once unless
    // the last attempt was a redirect too (two masters naming each other
    // during an election must not make the fleet spin).
    redirect_ = *leader;
    if (!followed_redirect_) failed_attempts_ = 0;
    followed_redirect_ = !followed_redirect_;
  } else {
    followed_redirect_ = false;
  }
  ScheduleReconnect(status);
}

void SimAgent::OnHeartbeatTimer() {
  heartbeat_timer_ = 0;
  if (stopping_) return;
  if (link_ && registered_) {
    internal::AgentMessage heartbeat;
    heartbeat.set_type(internal::AgentMessage::HEARTBEAT);
    link_->Send(std::move(heartbeat));
  }
  if (link_ && loop_->Now() - last_heard_ >
                   heartbeat_interval_ * static_cast<double>(max_missed_heartbeats_)) {
    LOG(WARNING) << info_.hostname() << ": no message from master " << master_address_ << " for "
                 << (loop_->Now() - last_heard_) << "; reconnecting";
    link_->Close();
  }
  heartbeat_timer_ = loop_->RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
}

}  // namespace agora::sim
