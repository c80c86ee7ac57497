// AgentImpl life cycle and the master link: start-up, registration and
// re-registration with backoff and jitter, heartbeats, shutdown.
#include "agent/agent_impl.hpp"

#include <unistd.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_config.hpp"
#include "agent/checkpoint.hpp"
#include "common/grpc_status.hpp"
#include "common/link_batches.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

constexpr char kAgentVersion[] = "0.1.0";
constexpr int kMaxMessageBytes = 16 << 20;

// Runs `fn` on `loop` and waits (bounded) for it to finish.
void RunOnLoopAndWait(AsioEventLoop& loop, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> future = done->get_future();
  loop.Post([fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  future.wait_for(std::chrono::seconds(5));
}

// One channel per master address for the whole process, never destroyed:
// gRPC 1.51 races when the last channel using the callback completion queue
// dies while a new one acquires it (in-process tests start agents one after
// another). gRPC's own reconnect backoff is kept short so that our
// registration backoff, not gRPC's (up to 2 minutes), paces reconnection.
std::shared_ptr<grpc::Channel> SharedMasterChannel(const std::string& address) {
  static std::mutex* mu = new std::mutex;
  static auto* channels = new std::map<std::string, std::shared_ptr<grpc::Channel>>;
  std::lock_guard<std::mutex> lock(*mu);
  std::shared_ptr<grpc::Channel>& channel = (*channels)[address];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  return channel;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentImpl>> AgentImpl::Create(AgentOptions options) {
  if (auto status = options.Validate(); !status.ok()) return status;
  std::unique_ptr<AgentImpl> impl(new AgentImpl(std::move(options)));
  if (auto status = impl->Init(); !status.ok()) {
    impl->Stop();
    return status;
  }
  return impl;
}

AgentImpl::AgentImpl(AgentOptions options)
    : options_(std::move(options)),
      loop_("agent-loop"),
      backoff_(options_.registration_backoff_min),
      heartbeat_interval_(options_.heartbeat_interval),
      random_(std::random_device()()),
      launches_(static_cast<size_t>(options_.max_concurrent_launches),
                static_cast<size_t>(options_.max_queued_launches)) {}

AgentImpl::~AgentImpl() { Stop(); }

absl::StatusOr<CheckpointedState> AgentImpl::LoadState() {
  for (const char* sub : {"", "/meta", "/sandboxes"}) {
    if (auto status = MakeDirs(options_.work_dir + sub); !status.ok())
      return absl::InternalError(absl::StrCat("--work_dir: ", status.message()));
  }
  auto lock = WorkDirLock::Acquire(options_.work_dir, "agent.lock", "agent");
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);
  if (options_.recover == RecoverMode::kCleanup) {
    LOG(WARNING) << "--recover=cleanup: killing this work dir's executors and tasks and "
                 << "discarding its checkpoints";
    auto killed = CleanupWorkDir(options_.work_dir);
    if (!killed.ok()) return killed.status();
    LOG(WARNING) << "--recover=cleanup: killed " << *killed << " process(es)";
  }
  auto state = LoadCheckpointedState(options_.work_dir);
  if (!state.ok()) {
    LOG(ERROR) << "Refusing to start: " << state.status();
    return state.status();
  }
  if (state->agent) {
    agent_id_ = state->agent->info().id().value();
    checkpointed_boot_id_ = state->agent->boot_id();
    LOG(INFO) << "Recovered agent_id=" << agent_id_ << " from " << options_.work_dir;
  }
  return state;
}

absl::Status AgentImpl::Init() {
  auto state = LoadState();
  if (!state.ok()) return state.status();
  SetAgentId(agent_id_);
  if (auto status = OpenJournal(*state); !status.ok()) return status;

  auto resources = AgentResources(options_.resources, DetectMachine(options_.work_dir));
  if (!resources.ok()) return resources.status();
  auto attributes = ParseAttributes(options_.attributes);
  if (!attributes.ok()) return attributes.status();
  std::string hostname = options_.hostname;
  if (hostname.empty()) {
    char buffer[256] = {};
    ::gethostname(buffer, sizeof(buffer) - 1);
    hostname = buffer;
  }
  executor_path_ =
      options_.executor_path.empty() ? BinaryBesideSelf("agora-executor") : options_.executor_path;
  shim_path_ = options_.shim_path.empty() ? BinaryBesideSelf("agora-shim") : options_.shim_path;
  if (options_.command_executor == AgentOptions::CommandExecutor::kBuiltin &&
      ::access(shim_path_.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shim_path: ", shim_path_,
                     " is not an executable file (the built-in command executor starts every "
                     "command task through it)"));
  }

  auto detector = MasterDetector::Create(options_.master);
  if (!detector.ok()) return detector.status();
  detector_ = std::move(*detector);

  launcher_ = std::make_unique<PosixLauncher>();
  if (auto status = SetUpIsolation(); !status.ok()) return status;
  io_ = std::make_unique<WorkPool>("agent-io", 8);
  gc_io_ = std::make_unique<WorkQueue>("agent-gc");
  updates_ = std::make_unique<StatusUpdateManager>(
      &loop_, options_.status_update_retry_min, options_.status_update_retry_max,
      [this](const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
             v1::TaskState latest) { ForwardUpdate(framework_id, status, latest); });
  executor_service_ = std::make_unique<ExecutorService>(&loop_, this);
  info_.set_hostname(hostname);
  *info_.mutable_resources() = resources->ToProto();
  *info_.mutable_attributes() = *attributes;
  info_.set_isolation(IsolationMode());  // Told to the master at (re)registration.

  loop_.Start();
  loop_started_ = true;
  reaper_ = std::make_unique<Reaper>([this](pid_t pid, int status) {
    loop_.Post([this, pid, status] { OnChildExited(pid, status); });
  });
  // Recovery completes before the executor API exists: an executor that
  // re-subscribes finds its checkpointed record, never a half-built one.
  RunOnLoopAndWait(loop_,
                   [this, state = std::move(*state)]() mutable { Recover(std::move(state)); });

  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.AddListeningPort(absl::StrCat(options_.ip, ":", options_.port),
                           grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(executor_service_.get());
  start_time_ = absl::Now();
  operator_service_ = std::make_unique<AgentOperatorService>(
      &loop_, this, options_.flags.empty() ? options_.ToFlags() : options_.flags);
  builder.RegisterService(operator_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--port: cannot listen on ", options_.ip, ":", options_.port));
  }
  address_ = absl::StrCat(options_.ip, ":", port_);
  bool wildcard = options_.ip == "0.0.0.0" || options_.ip == "::";
  endpoint_for_executors_ = absl::StrCat(wildcard ? "127.0.0.1" : options_.ip, ":", port_);
  // What the master lists and `agora logs` connects to: a wildcard bind is
  // reached through the agent's hostname, not at 0.0.0.0.
  info_.set_address(wildcard ? absl::StrCat(hostname, ":", port_) : address_);
  if (auto status = StartHttp(); !status.ok()) return status;

  LOG(INFO) << "Agent listening on " << address_ << " with resources " << *resources << "; master "
            << detector_->Describe();
  loop_.Post([this] {
    // From now on (not before the first Connect): the callback runs on the
    // detector's thread; the loop drops what it posts once stopped.
    detector_->SetOnChange([this] { loop_.Post([this] { OnLeaderChanged(); }); });
    Connect();
    heartbeat_timer_ = loop_.RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
    StartSandboxGc();
  });
  return absl::OkStatus();
}

std::string AgentImpl::agent_id() const {
  std::lock_guard<std::mutex> lock(id_mu_);
  return agent_id_public_;
}

void AgentImpl::SetAgentId(const std::string& id) {
  std::lock_guard<std::mutex> lock(id_mu_);
  agent_id_public_ = id;
}

void AgentImpl::Stop() {
  std::call_once(stop_once_, [this] {
    stop_called_ = true;
    bool loop_running = loop_started_;
    // The loop owns link_; keep our own handle to watch it close.
    std::shared_ptr<MasterLink> link;
    if (loop_running) {
      RunOnLoopAndWait(loop_, [this, &link] {
        stopping_ = true;
        registered_ = false;
        registered_public_ = false;
        if (heartbeat_timer_ != 0) loop_.Cancel(heartbeat_timer_);
        if (gc_timer_ != 0) loop_.Cancel(gc_timer_);
        gc_timer_ = 0;
        link = link_;
        if (link_) link_->Close();
      });
    }
    // Finish pending checkpoint writes (their replies post to the loop).
    if (http_) http_->Stop();
    if (io_) io_->Stop();
    if (gc_io_) gc_io_->Stop();
    // Pending removals are left to Shutdown's RemoveEmpty or the next start.
    if (cgroups_remover_) cgroups_remover_->Stop();
    // Unused ready cgroups go with the agent (a killed agent's are swept by
    // the next start).
    if (isolator_ != nullptr && isolator_->pool() != nullptr) {
      const CgroupsPool& pool = *isolator_->pool();
      LOG(INFO) << "Cgroup pool: " << pool.taken() << " taken, " << pool.missed()
                << " launches found it empty, " << pool.recycled() << " recycled";
      isolator_->EmptyPool();
    }
    if (journal_) journal_->Stop();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    if (link) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (!link->done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (reaper_) reaper_->Stop();
    if (loop_running) RunOnLoopAndWait(loop_, [] {});
    loop_.Stop();
    // Closes a ZooKeeper session at once; nothing on the loop needs it now.
    detector_.reset();
    if (link) link->ReleaseIfDone();
    // Last: a restarted agent may take the work dir (and its cgroup
    // directories) once we are done with it.
    cgroup_ownership_.reset();
    lock_.reset();
    LOG(INFO) << "Agent " << (address_.empty() ? options_.work_dir : address_) << " stopped";
  });
}

void AgentImpl::Shutdown() {
  if (loop_started_ && !stop_called_.load()) {
    RunOnLoopAndWait(loop_, [this] { KillAllExecutorsNow(); });
  }
  Stop();
  // Nothing of this agent runs any more: leave no empty cgroups behind
  // (and then no owner file naming them).
  if (isolator_ != nullptr) {
    isolator_->RemoveEmpty();
    SweepDeadCgroupOwners(options_.cgroups_owners_dir, "", options_.work_dir);
  }
}

void AgentImpl::Connect() {
  if (stopping_ || shut_down_by_master_) return;
  absl::StatusOr<std::string> leader = redirect_address_;
  redirect_address_.clear();
  if (leader->empty()) leader = detector_->CurrentLeader();
  if (!leader.ok()) {
    ScheduleReconnect(leader.status());
    return;
  }
  if (*leader != master_address_ || !stub_) {
    master_address_ = *leader;
    channel_ = SharedMasterChannel(master_address_);
    stub_ = internal::AgentChannel::NewStub(channel_);
  }
  uint64_t generation = ++link_generation_;
  VLOG(1) << "Connecting to master " << master_address_;
  link_ = MasterLink::Start(
      &loop_, stub_.get(),
      [this, generation](const internal::MasterMessage& message) {
        OnMasterMessage(generation, message);
      },
      [this, generation](const absl::Status& status) { OnLinkClosed(generation, status); });
  last_heard_from_master_ = loop_.Now();
  link_->Send(BuildRegistration());
}

internal::AgentMessage AgentImpl::BuildRegistration() const {
  internal::AgentMessage message;
  v1::AgentInfo info = info_;
  if (agent_id_.empty()) {
    message.set_type(internal::AgentMessage::REGISTER);
    *message.mutable_register_()->mutable_agent_info() = info;
    message.mutable_register_()->set_version(kAgentVersion);
    message.mutable_register_()->set_accepts_acknowledgement_batches(options_.link_batches);
    return message;
  }
  info.mutable_id()->set_value(agent_id_);
  message.set_type(internal::AgentMessage::REREGISTER);
  auto* reregister = message.mutable_reregister();
  *reregister->mutable_agent_info() = info;
  reregister->set_version(kAgentVersion);
  reregister->set_accepts_acknowledgement_batches(options_.link_batches);
  std::map<std::string, internal::FrameworkSnapshot> snapshots;
  for (const auto& [key, executor] : executors_) {
    auto& snapshot = snapshots[key.first];
    *snapshot.add_executors() = executor.info;
  }
  for (const auto& [key, task] : tasks_) snapshots[key.first];
  for (auto& [framework_id, snapshot] : snapshots) {
    auto it = frameworks_.find(framework_id);
    if (it != frameworks_.end()) {
      *snapshot.mutable_info() = it->second;
    } else {
      snapshot.mutable_info()->mutable_id()->set_value(framework_id);
    }
    *reregister->add_frameworks() = std::move(snapshot);
  }
  for (const auto& [key, record] : tasks_) {
    if (IsTerminalState(record.task.state()) && updates_->Pending(key.first, key.second) == 0)
      continue;  // Finished and acknowledged; kept only for its executor.
    v1::Task task = record.task;
    task.mutable_agent_id()->set_value(agent_id_);
    *reregister->add_tasks() = std::move(task);
  }
  return message;
}

bool AgentImpl::SendToMaster(internal::AgentMessage message) {
  if (!link_ || !registered_) return false;
  return link_->Send(std::move(message));
}

void AgentImpl::OnMasterMessage(uint64_t generation, const internal::MasterMessage& message) {
  DCHECK(loop_.IsInLoopThread());
  if (generation != link_generation_ || stopping_) return;
  last_heard_from_master_ = loop_.Now();
  using internal::MasterMessage;
  switch (message.type()) {
    case MasterMessage::REGISTERED:
      OnRegistered(message.registered(), false);
      break;
    case MasterMessage::REREGISTERED:
      OnRegistered(message.registered(), true);
      break;
    case MasterMessage::RUN_TASKS:
      OnRunTasks(message.run_tasks());
      break;
    case MasterMessage::KILL_TASK:
      OnKillTask(message.kill_task());
      break;
    case MasterMessage::ACKNOWLEDGE:
      OnAcknowledge(message.acknowledge());
      break;
    case MasterMessage::ACKNOWLEDGEMENTS:
      OnAcknowledgements(message);
      break;
    case MasterMessage::SHUTDOWN_FRAMEWORK: {
      const std::string& framework_id = message.shutdown_framework().framework_id().value();
      LOG(INFO) << "Shutting down framework_id=" << framework_id;
      std::vector<Key> keys;
      for (const auto& [key, executor] : executors_)
        if (key.first == framework_id) keys.push_back(key);
      for (const Key& key : keys) ShutdownExecutor(key, v1::TaskStatus::REASON_FRAMEWORK_REMOVED);
      break;
    }
    case MasterMessage::SHUTDOWN_EXECUTOR:
      ShutdownExecutor(Key(message.shutdown_executor().framework_id().value(),
                           message.shutdown_executor().executor_id().value()),
                       v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
      break;
    case MasterMessage::FRAMEWORK_MESSAGE:
      OnFrameworkMessage(message.framework_message());
      break;
    case MasterMessage::DRAIN: {
      LOG(INFO) << "Draining: killing every task";
      std::vector<internal::MasterMessage::KillTask> kills;
      for (const auto& [key, record] : tasks_) {
        if (IsTerminalState(record.task.state())) continue;
        internal::MasterMessage::KillTask kill;
        kill.mutable_framework_id()->set_value(key.first);
        kill.mutable_task_id()->set_value(key.second);
        kill.mutable_kill_policy()->set_grace_period_seconds(
            message.drain().grace_period_seconds());
        kills.push_back(std::move(kill));
      }
      for (const auto& kill : kills) OnKillTask(kill);
      break;
    }
    case MasterMessage::SHUTDOWN:
      LOG(ERROR) << "The master shut this agent down: " << message.shutdown().reason();
      shut_down_by_master_ = true;
      KillAllExecutorsNow();
      link_->Close();
      break;
    case MasterMessage::UPDATE_FRAMEWORK:
      if (!message.update_framework().framework_info().id().value().empty()) {
        frameworks_[message.update_framework().framework_info().id().value()] =
            message.update_framework().framework_info();
      }
      break;
    case MasterMessage::HEARTBEAT:
      break;
    default:
      LOG(WARNING) << "Ignoring master message of unknown type " << message.type();
  }
}

void AgentImpl::OnAcknowledgements(const internal::MasterMessage& message) {
  if (!options_.link_batches) {
    LOG(WARNING) << "Refusing ACKNOWLEDGEMENTS: this agent did not announce "
                    "accepts_acknowledgement_batches (the master resends them as it retries)";
    return;
  }
  if (auto s = ValidateLinkBatchSize("acknowledgements", message.acknowledgements_size());
      !s.ok()) {
    LOG(WARNING) << "Refusing ACKNOWLEDGEMENTS from the master: " << s.message();
    return;
  }
  ++ack_batches_received_;
  for (const auto& ack : message.acknowledgements()) OnAcknowledge(ack);
}

void AgentImpl::OnRegistered(const internal::MasterMessage::Registered& registered,
                             bool reregistered) {
  const std::string& id = registered.agent_id().value();
  if (id.empty()) {
    LOG(ERROR) << "Master sent a registration without an agent id; reconnecting";
    link_->Close();
    return;
  }
  if (!agent_id_.empty() && id != agent_id_) {
    LOG(WARNING) << "Master assigned agent_id=" << id << " replacing agent_id=" << agent_id_;
  }
  agent_id_ = id;
  SetAgentId(id);
  {
    internal::AgentCheckpoint checkpoint;
    *checkpoint.mutable_info() = info_;
    checkpoint.mutable_info()->mutable_id()->set_value(id);
    checkpoint.set_boot_id(BootId());
    std::string work_dir = options_.work_dir;
    Persist({"agent", AgentCheckpointPath(work_dir),
             [work_dir, checkpoint] { return WriteAgentCheckpoint(work_dir, checkpoint); }});
  }
  registered_ = true;
  registered_public_ = true;
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    ready_problem_.clear();
  }
  last_registration_warning_ = absl::InfinitePast();
  backoff_ = options_.registration_backoff_min;
  if (registered.heartbeat_interval_seconds() > 0 &&
      absl::Seconds(registered.heartbeat_interval_seconds()) != heartbeat_interval_) {
    // Beat at the master's pace from now on: a timer still running at the old
    // (possibly longer) interval would let the master count missed beats.
    heartbeat_interval_ = absl::Seconds(registered.heartbeat_interval_seconds());
    if (heartbeat_timer_ != 0) loop_.Cancel(heartbeat_timer_);
    heartbeat_timer_ = loop_.RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
  }
  if (registered.max_missed_heartbeats() > 0)
    max_missed_heartbeats_ = registered.max_missed_heartbeats();
  link_->SetUpdateBatching(options_.link_batches && registered.accepts_status_update_batches());
  LOG(INFO) << (reregistered ? "Re-registered" : "Registered") << " with master " << master_address_
            << " as agent_id=" << id;
  updates_->Resume();
}

void AgentImpl::OnLinkClosed(uint64_t generation, const absl::Status& status) {
  if (generation != link_generation_) return;
  link_.reset();
  bool was_registered = registered_;
  registered_ = false;
  registered_public_ = false;
  updates_->Pause();
  if (stopping_ || shut_down_by_master_) return;
  reconnects_++;
  if (was_registered) {
    LOG(WARNING) << "Lost the stream to master " << master_address_ << ": " << status
                 << "; re-registering";
    last_registration_warning_ = absl::InfinitePast();
  }
  if (std::optional<std::string> leader = LeaderAddressFrom(status);
      leader.has_value() && *leader != master_address_) {
    LOG(INFO) << "Master " << master_address_ << " is not the leader; following to " << *leader;
    redirect_address_ = *leader;
    backoff_ = options_.registration_backoff_min;
  }
  ScheduleReconnect(status);
}

void AgentImpl::OnLeaderChanged() {
  DCHECK(loop_.IsInLoopThread());
  if (stopping_ || shut_down_by_master_) return;
  absl::StatusOr<std::string> leader = detector_->CurrentLeader();
  if (!leader.ok()) return;  // The link fails and backs off on its own.
  if (link_ && *leader == master_address_) return;
  LOG(INFO) << "Leading master is now " << *leader << "; "
            << (link_ ? "leaving master " + master_address_ : std::string("connecting"));
  backoff_ = options_.registration_backoff_min;
  redirect_address_.clear();
  if (link_) {
    link_->Close();  // OnLinkClosed reconnects after the minimum backoff.
    return;
  }
  if (reconnect_timer_ != 0) loop_.Cancel(reconnect_timer_);
  reconnect_timer_ = 0;
  Connect();
}

void AgentImpl::ScheduleReconnect(const absl::Status& why) {
  // Full jitter in [backoff/2, backoff] spreads a fleet's reconnections.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  absl::Duration delay = backoff_ * jitter(random_);
  backoff_ = std::min(backoff_ * 2, options_.registration_backoff_max);
  std::string master = master_address_.empty() ? detector_->Describe() : master_address_;
  std::string problem = absl::StrCat("cannot register with master ", master, ": ", why.message(),
                                     "; next attempt in ", absl::FormatDuration(delay));
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    ready_problem_ = problem;
  }
  // Visible at the default level, but not once per attempt.
  absl::Time now = loop_.Now();
  if (now - last_registration_warning_ >= absl::Seconds(10)) {
    last_registration_warning_ = now;
    LOG(WARNING) << "Agent " << problem;
  }
  if (reconnect_timer_ != 0) loop_.Cancel(reconnect_timer_);
  reconnect_timer_ = loop_.RunAfter(delay, [this] {
    reconnect_timer_ = 0;
    Connect();
  });
}

void AgentImpl::OnHeartbeatTimer() {
  heartbeat_timer_ = 0;
  if (stopping_) return;
  if (link_ && registered_) {
    internal::AgentMessage heartbeat;
    heartbeat.set_type(internal::AgentMessage::HEARTBEAT);
    link_->Send(std::move(heartbeat));
  }
  if (link_ && loop_.Now() - last_heard_from_master_ >
                   heartbeat_interval_ * static_cast<double>(max_missed_heartbeats_)) {
    LOG(WARNING) << "No message from master " << master_address_ << " for "
                 << (loop_.Now() - last_heard_from_master_) << "; reconnecting";
    link_->Close();
  }
  heartbeat_timer_ = loop_.RunAfter(heartbeat_interval_, [this] { OnHeartbeatTimer(); });
}

}  // namespace agora::agent
