// AgentImpl: the launch queue. At most --max_concurrent_launches executors
// are started but not yet subscribed at once; the other launches wait in
// `launches_` (their tasks in TASK_STAGING, no timer running) and start, in
// arrival order, as slots free up: when an executor subscribes, exits or
// times out, or its launch fails. A queued launch that is killed or shut
// down is cancelled without starting anything (KillExecutorTree).
#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "glog/logging.h"

namespace agora::agent {

void AgentImpl::OnLaunchSlotFreed(const Key& key) {
  if (!launches_.IsInFlight(key)) return;
  launches_.Finished(key);
  StartQueuedLaunches();
}

void AgentImpl::StartQueuedLaunches() {
  DCHECK(loop_.IsInLoopThread());
  if (stopping_) return;
  // A refused launch frees its slot at once, hence the outer loop (not a
  // recursion: a long queue refused while the disk is full would be deep).
  for (std::vector<Key> batch = launches_.TakeStartable(); !batch.empty();
       batch = launches_.TakeStartable()) {
    for (const Key& key : batch) {
      // Cancel() takes a launch out of the queue whenever its executor is
      // dropped, so every taken launch still has its record.
      auto it = executors_.find(key);
      CHECK(it != executors_.end()) << "queued launch without an executor: " << key.second;
      if (checkpoint_error_.ok() && !it->second.task_checkpoint_failed) {
        LaunchExecutor(key);
      } else {
        RefuseQueuedLaunch(key);
      }
    }
  }
}

void AgentImpl::RefuseQueuedLaunch(const Key& key) {
  ExecutorRecord& executor = executors_.at(key);
  std::string message =
      checkpoint_error_.ok()
          ? absl::StrCat("Agent ", agent_id_,
                         " could not checkpoint the task before its launch; it was not started")
          : RefusalMessage();
  for (const std::string& task_id : executor.task_ids) {
    auto task = tasks_.find(Key(key.first, task_id));
    if (task == tasks_.end() || task->second.terminal_reported) continue;
    launches_refused_++;
    LOG(WARNING) << "Refusing the queued launch of task_id=" << task_id
                 << " framework_id=" << key.first << ": " << message;
    GenerateUpdate(key.first, key.second, task_id, v1::TASK_DROPPED,
                   v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, message, /*persist=*/false);
  }
  std::set<std::string> task_ids = executor.task_ids;
  executors_.erase(key);
  for (const std::string& task_id : task_ids) MaybeForgetTask(Key(key.first, task_id));
  launches_.Finished(key);
}

}  // namespace agora::agent
