// AgentImpl: the executor service handlers and the status update path
// (checkpoint, apply, forward, acknowledge).
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/checkpoint.hpp"
#include "agent/sandbox_dirs.hpp"
#include "common/ids.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// Statuses kept per task in Task.statuses.
constexpr int kMaxStatusesPerTask = 16;

double NowSeconds(absl::Time now) { return absl::ToDoubleSeconds(now - absl::UnixEpoch()); }

}  // namespace

void AgentImpl::OnExecutorSubscribe(const v1::ExecutorSubscribeRequest& request,
                                    std::shared_ptr<ExecutorStream> stream) {
  if (stopping_) {
    stream->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent stopping"));
    return;
  }
  Key key(request.framework_id().value(), request.executor_id().value());
  auto it = executors_.find(key);
  if (it == executors_.end() || it->second.exited) {
    // Recovery is complete before subscriptions are served, so this executor
    // is not one this agent runs (its checkpoints were discarded by
    // --recover=cleanup, or it belongs to another work dir): it is told to
    // shut down rather than adopted with guessed state.
    LOG(WARNING) << "Subscription from unknown executor_id=" << key.second
                 << " framework_id=" << key.first << "; telling it to shut down";
    v1::ExecutorEvent shutdown;
    shutdown.set_type(v1::ExecutorEvent::SHUTDOWN);
    shutdown.mutable_shutdown()->set_grace_period_seconds(0);
    stream->Send(std::move(shutdown));
    stream->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                absl::StrCat("executor_id: unknown executor ", key.second)));
    return;
  }
  ExecutorRecord& executor = it->second;
  if (executor.stream && !executor.stream->closing()) {
    executor.stream->Finish(
        grpc::Status(grpc::StatusCode::ABORTED, "replaced by a newer subscription"));
  }
  executor.stream = stream;
  ExecutorStream* raw = stream.get();
  stream->set_on_closed([this, key, raw] {
    auto it = executors_.find(key);
    if (it != executors_.end() && it->second.stream.get() == raw) it->second.stream.reset();
  });
  if (executor.registration_timer != 0) {
    loop_.Cancel(executor.registration_timer);
    executor.registration_timer = 0;
  }
  // Subscribed: its launch no longer holds a start slot.
  OnLaunchSlotFreed(key);
  bool resubscribe = executor.phase != ExecutorRecord::Phase::kLaunching;
  if (executor.phase == ExecutorRecord::Phase::kLaunching)
    executor.phase = ExecutorRecord::Phase::kRunning;
  LOG(INFO) << "executor_id=" << key.second << " framework_id=" << key.first
            << (resubscribe ? " re-subscribed" : " subscribed");
  SendSubscribed(executor);
  // Updates the executor could not confirm: checkpoint any we lack, and
  // confirm the ones already acknowledged.
  for (const v1::TaskStatus& update : request.unacknowledged_updates()) {
    auto task_it = tasks_.find(Key(key.first, update.task_id().value()));
    if (task_it != tasks_.end() && task_it->second.acked_uuids.count(update.uuid()) != 0) {
      v1::ExecutorEvent event;
      event.set_type(v1::ExecutorEvent::ACKNOWLEDGED);
      *event.mutable_acknowledged()->mutable_task_id() = update.task_id();
      event.mutable_acknowledged()->set_uuid(update.uuid());
      stream->Send(std::move(event));
      continue;
    }
    if (task_it == tasks_.end()) continue;
    HandleUpdate(key.first, key.second, update, [](const absl::Status&) {});
  }
  if (executor.recovered) {
    // Tasks checkpointed before the restart that the executor never got.
    std::set<std::string> known;
    for (const v1::TaskInfo& task : request.unacknowledged_tasks())
      known.insert(task.task_id().value());
    for (const std::string& task_id : executor.task_ids) {
      auto task_it = tasks_.find(Key(key.first, task_id));
      if (task_it == tasks_.end() || known.count(task_id) != 0 ||
          task_it->second.task.state() != v1::TASK_STAGING || task_it->second.terminal_reported)
        continue;
      bool queued = false;
      for (const v1::TaskInfo& task : executor.queued)
        queued = queued || task.task_id().value() == task_id;
      if (!queued) executor.queued.push_back(task_it->second.task.info());
    }
  }
  for (const v1::TaskInfo& task : executor.queued) {
    v1::ExecutorEvent event;
    event.set_type(v1::ExecutorEvent::LAUNCH);
    *event.mutable_launch()->mutable_task() = task;
    stream->Send(std::move(event));
  }
  executor.queued.clear();
  // Kills that arrived while it was not subscribed (kept: if it dies before
  // reporting, those tasks are reported KILLED).
  for (const auto& [task_id, policy] : executor.pending_kills) {
    LOG(INFO) << "Delivering the kill of task_id=" << task_id << " to executor_id=" << key.second;
    v1::ExecutorEvent event;
    event.set_type(v1::ExecutorEvent::KILL);
    event.mutable_kill()->mutable_task_id()->set_value(task_id);
    *event.mutable_kill()->mutable_kill_policy() = policy;
    stream->Send(std::move(event));
  }
  if (executor.phase == ExecutorRecord::Phase::kTerminating) {
    v1::ExecutorEvent event;
    event.set_type(v1::ExecutorEvent::SHUTDOWN);
    event.mutable_shutdown()->set_grace_period_seconds(
        absl::ToDoubleSeconds(options_.executor_shutdown_grace_period));
    stream->Send(std::move(event));
  }
}

void AgentImpl::SendSubscribed(ExecutorRecord& executor) {
  v1::ExecutorEvent event;
  event.set_type(v1::ExecutorEvent::SUBSCRIBED);
  auto* subscribed = event.mutable_subscribed();
  *subscribed->mutable_executor_info() = executor.info;
  auto framework = frameworks_.find(executor.framework_id);
  if (framework != frameworks_.end()) *subscribed->mutable_framework_info() = framework->second;
  *subscribed->mutable_agent_info() = info_;
  subscribed->mutable_agent_info()->mutable_id()->set_value(agent_id_);
  subscribed->mutable_container_id()->set_value(executor.container_id);
  subscribed->set_heartbeat_interval_seconds(absl::ToDoubleSeconds(heartbeat_interval_));
  executor.stream->Send(std::move(event));
}

void AgentImpl::OnExecutorUpdate(const v1::ExecutorUpdateRequest& request, ReplyFn reply) {
  if (stopping_) {
    reply(absl::UnavailableError("agent stopping"));
    return;
  }
  const std::string& framework_id = request.framework_id().value();
  const std::string& executor_id = request.executor_id().value();
  const std::string& task_id = request.status().task_id().value();
  if (executors_.count(Key(framework_id, executor_id)) == 0) {
    reply(absl::FailedPreconditionError(
        absl::StrCat("executor_id: unknown executor ", executor_id, "; subscribe first")));
    return;
  }
  auto task_it = tasks_.find(Key(framework_id, task_id));
  if (task_it == tasks_.end() || task_it->second.task.executor_id().value() != executor_id) {
    reply(absl::InvalidArgumentError(
        absl::StrCat("status.task_id: task ", task_id, " is not a task of this executor")));
    return;
  }
  TaskRecord& task = task_it->second;
  if (task.acked_uuids.count(request.status().uuid()) != 0) {
    reply(absl::OkStatus());  // Already delivered and acknowledged.
    return;
  }
  if (task.terminal_reported) {
    LOG(WARNING) << "Dropping a " << v1::TaskState_Name(request.status().state())
                 << " update for task_id=" << task_id << " already terminal";
    reply(absl::OkStatus());
    return;
  }
  v1::TaskStatus status = request.status();
  status.mutable_agent_id()->set_value(agent_id_);
  status.mutable_executor_id()->set_value(executor_id);
  if (status.source() == v1::TaskStatus::SOURCE_UNSPECIFIED)
    status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  if (status.timestamp() <= 0) status.set_timestamp(NowSeconds(loop_.Now()));
  VLOG(1) << "Update " << ShortStateName(status.state()) << " task_id=" << task_id
          << " uuid=" << BytesToHex(status.uuid());
  // A failure in a cgroup may be the kernel's OOM kill: checked first.
  if (HandleExecutorFailure(Key(framework_id, executor_id), status, reply)) return;
  HandleUpdate(framework_id, executor_id, std::move(status), std::move(reply));
}

void AgentImpl::OnExecutorMessage(const v1::ExecutorMessageRequest& request, ReplyFn reply) {
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::EXECUTOR_MESSAGE);
  *message.mutable_executor_message()->mutable_framework_id() = request.framework_id();
  *message.mutable_executor_message()->mutable_executor_id() = request.executor_id();
  message.mutable_executor_message()->set_data(request.data());
  if (!SendToMaster(std::move(message))) {
    reply(absl::UnavailableError("not connected to the master"));
    return;
  }
  reply(absl::OkStatus());
}

void AgentImpl::HandleUpdate(const std::string& framework_id, const std::string& executor_id,
                             v1::TaskStatus status, ReplyFn reply, bool persist) {
  if (stopping_) {
    reply(absl::UnavailableError("agent stopping"));
    return;
  }
  auto task_it = tasks_.find(Key(framework_id, status.task_id().value()));
  if (task_it != tasks_.end() && IsTerminalState(status.state()))
    task_it->second.terminal_reported = true;
  if (!persist) {
    ApplyUpdate(framework_id, executor_id, status);
    reply(absl::OkStatus());
    return;
  }
  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::UPDATE);
  record.mutable_framework_id()->set_value(framework_id);
  *record.mutable_status() = status;
  record.set_uuid(status.uuid());
  record.mutable_executor_id()->set_value(executor_id);
  *record.mutable_task_id() = status.task_id();
  // Applied (and forwarded) once its journal batch is on disk -- or, while
  // the agent cannot checkpoint, once held in memory: the framework must
  // still hear about its task, and the executor keeps the update until it
  // is acknowledged.
  PersistRecord(
      std::move(record), /*sync=*/true,
      [this, framework_id, executor_id, status = std::move(status), reply](const absl::Status&) {
        if (stopping_) {
          reply(absl::UnavailableError("agent stopping"));
          return;
        }
        ApplyUpdate(framework_id, executor_id, status);
        reply(absl::OkStatus());
      });
}

void AgentImpl::ApplyUpdate(const std::string& framework_id, const std::string& executor_id,
                            const v1::TaskStatus& status) {
  auto task_it = tasks_.find(Key(framework_id, status.task_id().value()));
  if (task_it != tasks_.end()) {
    v1::Task& task = task_it->second.task;
    if (!IsTerminalState(task.state()) || IsTerminalState(status.state())) {
      task.set_state(status.state());
      *task.mutable_status() = status;
    }
    *task.add_statuses() = status;
    if (task.statuses_size() > kMaxStatusesPerTask)
      task.mutable_statuses()->DeleteSubrange(0, task.statuses_size() - kMaxStatusesPerTask);
    // A task left its executor's container: it shrinks.
    if (IsTerminalState(status.state())) UpdateExecutorLimits(Key(framework_id, executor_id));
  }
  v1::FrameworkID id;
  id.set_value(framework_id);
  updates_received_++;
  updates_->Update(id, status);
}

v1::TaskStatus AgentImpl::NewStatus(const std::string& executor_id, const std::string& task_id,
                                    v1::TaskState state, v1::TaskStatus::Source source,
                                    v1::TaskStatus::Reason reason,
                                    const std::string& message) const {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  status.set_source(source);
  status.set_reason(reason);
  status.set_message(message);
  status.mutable_agent_id()->set_value(agent_id_);
  status.mutable_executor_id()->set_value(executor_id);
  status.set_uuid(NewUuidBytes());
  status.set_timestamp(NowSeconds(loop_.Now()));
  return status;
}

void AgentImpl::GenerateUpdate(const std::string& framework_id, const std::string& executor_id,
                               const std::string& task_id, v1::TaskState state,
                               v1::TaskStatus::Reason reason, const std::string& message,
                               bool persist) {
  v1::TaskStatus status =
      NewStatus(executor_id, task_id, state, v1::TaskStatus::SOURCE_AGENT, reason, message);
  LOG(INFO) << "Task task_id=" << task_id << " is " << ShortStateName(state) << ": " << message;
  HandleUpdate(
      framework_id, executor_id, std::move(status), [](const absl::Status&) {}, persist);
}

void AgentImpl::ForwardUpdate(const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
                              v1::TaskState latest_state) {
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::STATUS_UPDATE);
  *message.mutable_status_update()->mutable_framework_id() = framework_id;
  *message.mutable_status_update()->mutable_status() = status;
  if (agent_id_.empty()) {
    message.mutable_status_update()->mutable_status()->clear_agent_id();
  } else {
    message.mutable_status_update()->mutable_status()->mutable_agent_id()->set_value(agent_id_);
  }
  message.mutable_status_update()->set_latest_state(latest_state);
  if (SendToMaster(std::move(message))) updates_forwarded_++;
}

void AgentImpl::OnAcknowledge(const internal::MasterMessage::Acknowledge& ack) {
  const std::string& framework_id = ack.framework_id().value();
  const std::string& task_id = ack.task_id().value();
  absl::Status status = updates_->Acknowledge(framework_id, task_id, ack.uuid());
  if (!status.ok()) {
    VLOG(1) << "Ignoring acknowledgement: " << status;
    return;
  }
  auto task_it = tasks_.find(Key(framework_id, task_id));
  if (task_it == tasks_.end()) return;
  TaskRecord& task = task_it->second;
  task.acked_uuids.insert(ack.uuid());
  const std::string& executor_id = task.task.executor_id().value();
  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::ACK);
  *record.mutable_framework_id() = ack.framework_id();
  record.set_uuid(ack.uuid());
  record.mutable_executor_id()->set_value(executor_id);
  *record.mutable_task_id() = ack.task_id();
  // Not synced: losing an ACK record in a crash only re-sends an update
  // (delivery is at least once anyway). It rides in the next batch.
  PersistRecord(std::move(record), /*sync=*/false);
  auto executor = executors_.find(Key(framework_id, executor_id));
  if (executor != executors_.end() && executor->second.stream &&
      !executor->second.stream->closing()) {
    v1::ExecutorEvent event;
    event.set_type(v1::ExecutorEvent::ACKNOWLEDGED);
    *event.mutable_acknowledged()->mutable_task_id() = ack.task_id();
    event.mutable_acknowledged()->set_uuid(ack.uuid());
    executor->second.stream->Send(std::move(event));
  }
  MaybeForgetTask(Key(framework_id, task_id));
}

void AgentImpl::MaybeForgetTask(const Key& task_key) {
  auto it = tasks_.find(task_key);
  if (it == tasks_.end()) return;
  if (!IsTerminalState(it->second.task.state())) return;
  if (updates_->Pending(task_key.first, task_key.second) != 0) return;
  auto executor = executors_.find(Key(task_key.first, it->second.task.executor_id().value()));
  // A live executor may still re-send the task's updates: keep the record
  // (with its acknowledged uuids) until the executor is gone.
  if (executor != executors_.end()) return;
  // Finished, acknowledged and its executor gone: drop the record and its
  // checkpoints (the sandbox stays for its logs). rmdir of the executor's
  // directories succeeds only once its last task is gone.
  std::string task_dir = absl::StrCat(options_.work_dir, "/meta/frameworks/", task_key.first,
                                      "/executors/", it->second.task.executor_id().value());
  std::string task_id = task_key.second;
  std::string executor_id = it->second.task.executor_id().value();
  // Still listed and readable (`agora logs`) through the operator API.
  // The run it ran in; a task whose executor never launched has none.
  std::string sandbox = it->second.sandbox;
  completed_.Add(
      it->second.task,
      !sandbox.empty() ? sandbox : SandboxPath(options_.work_dir, task_key.first, executor_id));
  tasks_.erase(it);
  std::string trash = absl::StrCat(options_.work_dir, "/meta/trash/", RandomHexId());
  // Through Persist so that it runs after any write of this task still held
  // in memory (which would otherwise bring the directory back). Once the
  // task's checkpoint is gone its journal records are released (recovery
  // ignores records of tasks without a checkpoint).
  auto release = [this, framework_id = task_key.first, executor_id,
                  task_id](const absl::Status& status) {
    if (status.ok() && journal_) journal_->Release(framework_id, executor_id, task_id);
  };
  // Sandbox GC counts from here (to the microsecond: the marker's text
  // reads back to the same time).
  absl::Time forgotten = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  Key executor_key(task_key.first, executor_id);
  Persist({IoKey(task_key.first, executor_id), task_dir,
           [this, task_dir, task_id, trash, executor_key, sandbox, forgotten] {
             std::error_code ignored;
             // One rename takes the task out of the layout at once: recovery
             // never sees a half-removed task directory (meta/trash is
             // emptied at start).
             std::filesystem::create_directories(trash.substr(0, trash.rfind('/')), ignored);
             if (::rename((task_dir + "/tasks/" + task_id).c_str(), trash.c_str()) == 0)
               std::filesystem::remove_all(trash, ignored);
             if (::rmdir((task_dir + "/tasks").c_str()) == 0 || errno == ENOENT) {
               std::filesystem::remove(task_dir + "/executor", ignored);
               // The executor's last checkpoint is gone: its sandbox is
               // finished (no marker if it has none).
               if ((::rmdir(task_dir.c_str()) == 0 || errno == ENOENT) && !sandbox.empty() &&
                   WriteFinishedMarker(sandbox, forgotten).ok()) {
                 uint64_t bytes = DiskBytes(sandbox);
                 loop_.Post([this, executor_key, sandbox, forgotten, bytes] {
                   OnSandboxFinished(executor_key, sandbox, forgotten, bytes);
                 });
               }
             }
             return absl::OkStatus();  // Garbage left behind costs nothing.
           }},
          std::move(release));
}

}  // namespace agora::agent
