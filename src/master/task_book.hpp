// TaskBook: the master's task bookkeeping, a pure data structure.
//
// Active tasks are keyed by (framework id, task id) and indexed by agent. A
// task stays active while it runs and, once terminal, until its terminal
// update is acknowledged (so implicit reconciliation and re-registration
// still see it); then it moves to its framework's bounded completed history.
// Terminal means its resources are free: Update() reports the moment a task
// becomes terminal exactly once, so the caller recovers them exactly once.
//
// Copy-on-write for state queries: each task lives behind a shared_ptr.
// Publish*() hands out `shared_ptr<const Task>`s for a snapshot that other
// threads read (state_snapshot.hpp) and marks those tasks shared; the book
// never changes a shared task again: the next mutable access (Find,
// ActiveOfFramework, ActiveOnAgent, Update...) replaces it with a private
// copy first. Completed tasks are immutable and always shareable. So a
// snapshot costs one pointer per task on the loop, and a task is copied at
// most once per snapshot, and only if it changes.
//
// Incremental publication of every active task (GetState, /state): the
// book keeps, per agent, the published list of its tasks (a Chunk) until
// one of them changes (added, completed, or made private by a mutable
// access). PublishActiveChunks() rebuilds only the agents whose list is
// stale, so a full snapshot costs O(agents + tasks on changed agents) on
// the loop instead of O(tasks).
//
// Lookups by (framework id, task id) run several times per task on the
// status update path: active tasks sit in a hash map searched with string
// views (task_key.hpp), so a lookup builds no strings; the ordered indices
// (per agent, per framework: B-trees) give the orders the Publish*() calls
// promise.
//
// Not thread-safe: owned by the master core on its loop. The published
// tasks are immutable and may be read (and released) on any thread.
#ifndef AGORA_MASTER_TASK_BOOK_HPP_
#define AGORA_MASTER_TASK_BOOK_HPP_

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "agora/v1/common.pb.h"
#include "master/task_chunk.hpp"
#include "master/task_key.hpp"

namespace agora::master {

class TaskBook {
 public:
  // Statuses kept per task in Task.statuses.
  static constexpr int kMaxStatusesPerTask = 10;

  explicit TaskBook(size_t max_completed_per_framework)
      : max_completed_(max_completed_per_framework) {}

  // Told of every task added (`status` null) and every status recorded by
  // Update() that is not a duplicate, after the change (the Watch stream's
  // TASK_ADDED / TASK_UPDATED).
  using Observer = std::function<void(const v1::Task& task, const v1::TaskStatus* status)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Adds an active task (replacing a terminal one with the same id, which is
  // moved to the history first). The task's agent_id and framework_id must
  // be set. The second form takes a record built in place (NewTaskRecord(),
  // task_record.hpp: the launch path), which the book then owns.
  v1::Task& Add(v1::Task task);
  v1::Task& Add(std::shared_ptr<v1::Task> task);

  v1::Task* Find(const std::string& framework_id, const std::string& task_id);
  const v1::Task* Find(const std::string& framework_id, const std::string& task_id) const;
  // True if an active task with this id exists and is not terminal.
  bool IsLive(const std::string& framework_id, const std::string& task_id) const;

  struct UpdateResult {
    bool known = false;
    // The task went from non-terminal to terminal with this update.
    bool became_terminal = false;
    // Duplicate of a status already recorded (same uuid).
    bool duplicate = false;
    // The task when known (what Find would return): valid until the next
    // change to the book.
    v1::Task* task = nullptr;
  };
  // Records `status` for the task; the task's state becomes `latest_state`
  // (or status.state when unspecified). The task keeps its latest
  // kMaxStatusesPerTask statuses (the oldest is dropped).
  UpdateResult Update(const std::string& framework_id, const v1::TaskStatus& status,
                      v1::TaskState latest_state = v1::TASK_STATE_UNSPECIFIED);

  // The framework acknowledged the update `uuid`; a terminal task whose
  // latest status has that uuid moves to the history. True if it moved.
  bool Acknowledge(const std::string& framework_id, const std::string& task_id,
                   const std::string& uuid);

  // Moves an active task to the history (whatever its state).
  void Complete(const std::string& framework_id, const std::string& task_id);

  // Active tasks (pointers valid until the next mutation or Publish).
  std::vector<v1::Task*> ActiveOfFramework(const std::string& framework_id);
  std::vector<v1::Task*> ActiveOnAgent(const std::string& agent_id);
  std::vector<const v1::Task*> AllActive() const;

  // Shared, immutable views for a snapshot (see the class comment): every
  // active task (ordered by framework id, task id), those of one framework,
  // those on one agent, or the one task (none if unknown). One pointer copy
  // each.
  using Shared = std::shared_ptr<const v1::Task>;
  std::vector<Shared> PublishActive();
  std::vector<Shared> PublishOfFramework(const std::string& framework_id);
  std::vector<Shared> PublishOnAgent(const std::string& agent_id);
  std::vector<Shared> PublishTask(const std::string& framework_id, const std::string& task_id);
  // Every active task, as one immutable list per agent with tasks (in agent
  // id order; each list in (framework id, task id) order). Lists of agents
  // whose tasks did not change since the last call are the same objects,
  // with the figures the state views computed from them (task_chunk.hpp).
  using Chunk = std::shared_ptr<const TaskChunk>;
  std::vector<Chunk> PublishActiveChunks();
  // Every completed task, framework by framework, oldest first.
  std::vector<Shared> PublishCompleted() const;
  // Executor ids of `framework_id`'s non-terminal tasks on `agent_id` that
  // run under an executor of the framework's own (what an offer lists in
  // executor_ids). O(such tasks): command tasks are not indexed.
  std::set<std::string> LiveExecutorsOn(const std::string& agent_id,
                                        const std::string& framework_id) const;
  const std::deque<Shared>& CompletedOf(const std::string& framework_id) const;
  // The latest life of `task_id` in the framework's completed history, or
  // null (never known, or already dropped from the bounded history).
  const v1::Task* FindCompleted(const std::string& framework_id, const std::string& task_id) const;
  std::vector<std::string> FrameworksWithHistory() const;

  // Forgets a framework's history (the framework is gone for good).
  void ForgetFramework(const std::string& framework_id);

  size_t active_count() const { return by_agent_count_; }
  // Active tasks per state (terminal-but-unacknowledged ones included).
  std::map<v1::TaskState, size_t> CountByState() const;

 private:
  using Key = TaskKey;
  struct Entry {
    std::shared_ptr<v1::Task> task;
    // Handed to a snapshot: copy before changing.
    bool shared = false;
  };

  // The ordered indices are B-trees: the orders of std::set, without a heap
  // node per task (an insertion and an erasure on every task's life).
  using KeySet = absl::btree_set<Key>;

  // Active tasks on one agent, and their published list (null when stale).
  struct AgentTasks {
    KeySet keys;
    Chunk published;
  };

  // The entry's task, made private first if it is shared (which makes its
  // agent's published list stale).
  v1::Task* Mutable(Entry& entry);
  static Shared Share(Entry& entry);
  void PushCompleted(Shared task);

  size_t max_completed_;
  using Active = absl::flat_hash_map<Key, Entry, TaskKeyHash, TaskKeyEq>;
  // Moves the task at `it` to the history (Complete's work, without a
  // lookup).
  void Complete(Active::iterator it);

  Active active_;
  std::map<std::string, AgentTasks> by_agent_;
  std::map<std::string, absl::btree_set<std::string>> by_framework_;
  // Active tasks with an ExecutorInfo, by (agent id, framework id).
  std::map<Key, KeySet> with_executor_;
  std::map<std::string, std::deque<Shared>> completed_;
  size_t by_agent_count_ = 0;
  Observer observer_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_TASK_BOOK_HPP_
