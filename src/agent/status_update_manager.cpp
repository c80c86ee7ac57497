#include "agent/status_update_manager.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "glog/logging.h"

namespace agora::agent {

StatusUpdateManager::StatusUpdateManager(EventLoop* loop, absl::Duration retry_min,
                                         absl::Duration retry_max, ForwardFn forward)
    : loop_(loop), retry_min_(retry_min), retry_max_(retry_max), forward_(std::move(forward)) {}

StatusUpdateManager::~StatusUpdateManager() {
  for (auto& [key, stream] : streams_) CancelRetry(stream);
}

bool StatusUpdateManager::Update(const v1::FrameworkID& framework_id,
                                 const v1::TaskStatus& status) {
  DCHECK(loop_->IsInLoopThread());
  Key key(framework_id.value(), status.task_id().value());
  auto [it, inserted] = streams_.try_emplace(key);
  Stream& stream = it->second;
  if (inserted) {
    stream.framework_id = framework_id;
    stream.backoff = retry_min_;
  }
  if (!stream.uuids.insert(status.uuid()).second) {
    VLOG(1) << "Duplicate status update uuid=" << BytesToHex(status.uuid())
            << " task_id=" << key.second;
    return false;
  }
  stream.updates.push_back(status);
  if (stream.updates.size() == 1) {
    ForwardHead(key, stream);
  }
  return true;
}

absl::Status StatusUpdateManager::Acknowledge(const std::string& framework_id,
                                              const std::string& task_id, const std::string& uuid) {
  DCHECK(loop_->IsInLoopThread());
  auto it = streams_.find(Key(framework_id, task_id));
  if (it == streams_.end()) {
    return absl::NotFoundError(absl::StrCat("no pending status updates for task ", task_id));
  }
  Stream& stream = it->second;
  if (stream.updates.empty() || stream.updates.front().uuid() != uuid) {
    return absl::FailedPreconditionError(absl::StrCat(
        "acknowledgement ", BytesToHex(uuid), " is not for the head update of task ", task_id));
  }
  CancelRetry(stream);
  ++acknowledged_;
  stream.uuids.erase(uuid);
  stream.updates.pop_front();
  stream.backoff = retry_min_;
  if (stream.updates.empty()) {
    streams_.erase(it);
    return absl::OkStatus();
  }
  ForwardHead(it->first, stream);
  return absl::OkStatus();
}

void StatusUpdateManager::Pause() {
  DCHECK(loop_->IsInLoopThread());
  paused_ = true;
  for (auto& [key, stream] : streams_) CancelRetry(stream);
}

void StatusUpdateManager::Resume() {
  DCHECK(loop_->IsInLoopThread());
  paused_ = false;
  for (auto& [key, stream] : streams_) {
    stream.backoff = retry_min_;
    CancelRetry(stream);
    if (!stream.updates.empty()) ForwardHead(key, stream);
  }
}

size_t StatusUpdateManager::Pending(const std::string& framework_id,
                                    const std::string& task_id) const {
  auto it = streams_.find(Key(framework_id, task_id));
  return it == streams_.end() ? 0 : it->second.updates.size();
}

std::vector<v1::TaskStatus> StatusUpdateManager::PendingUpdates(const std::string& framework_id,
                                                                const std::string& task_id) const {
  auto it = streams_.find(Key(framework_id, task_id));
  if (it == streams_.end()) return {};
  return std::vector<v1::TaskStatus>(it->second.updates.begin(), it->second.updates.end());
}

void StatusUpdateManager::RemoveFramework(const std::string& framework_id) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->first.first == framework_id) {
      CancelRetry(it->second);
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

void StatusUpdateManager::ForwardHead(const Key& key, Stream& stream) {
  if (paused_ || stream.updates.empty()) return;
  forward_(stream.framework_id, stream.updates.front(), stream.updates.back().state());
  CancelRetry(stream);
  stream.retry_timer = loop_->RunAfter(stream.backoff, [this, key] { OnRetry(key); });
}

void StatusUpdateManager::OnRetry(const Key& key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  Stream& stream = it->second;
  stream.retry_timer = 0;
  stream.backoff = std::min(stream.backoff * 2, retry_max_);
  VLOG(1) << "Retrying status update for task_id=" << key.second;
  ++retried_;
  ForwardHead(key, stream);
}

void StatusUpdateManager::CancelRetry(Stream& stream) {
  if (stream.retry_timer != 0) {
    loop_->Cancel(stream.retry_timer);
    stream.retry_timer = 0;
  }
}

}  // namespace agora::agent
