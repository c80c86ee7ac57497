// StatusUpdateManager: the agent's reliable, ordered delivery of task status
// updates to the master.
//
// One stream per task (keyed by framework id and task id). Updates enter in
// the order the executor checkpointed them; only the head of each stream is
// forwarded, and it is re-forwarded with exponential backoff (retry_min,
// doubling, capped at retry_max) until the master relays the framework's
// acknowledgement of its uuid. Then the head is dropped and the next update
// is forwarded at once. Duplicate updates (a uuid already in the stream) are
// dropped. While the master is unreachable (Pause) nothing is forwarded;
// Resume forwards every head immediately.
//
// Pure policy: no I/O, no threads. Time and timers come from the EventLoop
// (a ManualEventLoop in tests). Loop thread only.
#ifndef AGORA_AGENT_STATUS_UPDATE_MANAGER_HPP_
#define AGORA_AGENT_STATUS_UPDATE_MANAGER_HPP_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agora/v1/common.pb.h"
#include "common/event_loop.hpp"

namespace agora::agent {

class StatusUpdateManager {
 public:
  // Sends one update to the master: the update, and the task's latest state
  // known to the agent (the last update in its stream).
  using ForwardFn = std::function<void(const v1::FrameworkID& framework_id,
                                       const v1::TaskStatus& status, v1::TaskState latest_state)>;

  StatusUpdateManager(EventLoop* loop, absl::Duration retry_min, absl::Duration retry_max,
                      ForwardFn forward);
  ~StatusUpdateManager();

  StatusUpdateManager(const StatusUpdateManager&) = delete;
  StatusUpdateManager& operator=(const StatusUpdateManager&) = delete;

  // Appends `status` (uuid required) to its task's stream; forwards it if it
  // is the head and the manager is not paused. False for a duplicate uuid.
  bool Update(const v1::FrameworkID& framework_id, const v1::TaskStatus& status);

  // The framework acknowledged `uuid` of the task. OK if it was the head
  // (the next update is forwarded); NOT_FOUND for an unknown task;
  // FAILED_PRECONDITION if the uuid is not the head (stale or duplicate ack,
  // ignored).
  absl::Status Acknowledge(const std::string& framework_id, const std::string& task_id,
                           const std::string& uuid);

  // The master went away: stop forwarding and retrying.
  void Pause();
  // The master is back: forward every stream's head now, backoff reset.
  void Resume();
  bool paused() const { return paused_; }

  // Updates waiting for acknowledgement for the task (0 if none).
  size_t Pending(const std::string& framework_id, const std::string& task_id) const;
  // Every pending update of the task, oldest first.
  std::vector<v1::TaskStatus> PendingUpdates(const std::string& framework_id,
                                             const std::string& task_id) const;
  // Drops every stream of the framework (it was removed).
  void RemoveFramework(const std::string& framework_id);
  size_t streams() const { return streams_.size(); }
  // Since construction: heads forwarded again after their backoff expired,
  // and updates acknowledged (for /metrics).
  uint64_t retried() const { return retried_; }
  uint64_t acknowledged() const { return acknowledged_; }

 private:
  using Key = std::pair<std::string, std::string>;  // (framework id, task id)
  struct Stream {
    v1::FrameworkID framework_id;
    std::deque<v1::TaskStatus> updates;
    std::set<std::string> uuids;  // Of `updates`, for duplicate detection.
    absl::Duration backoff;
    TimerId retry_timer = 0;
  };

  void ForwardHead(const Key& key, Stream& stream);
  void OnRetry(const Key& key);
  void CancelRetry(Stream& stream);

  EventLoop* loop_;
  const absl::Duration retry_min_;
  const absl::Duration retry_max_;
  ForwardFn forward_;
  bool paused_ = true;
  uint64_t retried_ = 0;
  uint64_t acknowledged_ = 0;
  std::map<Key, Stream> streams_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_STATUS_UPDATE_MANAGER_HPP_
