// UpdateDedup: decides whether a status update an agent sent (again) goes to
// the framework, a pure data structure.
//
// Agents retry an update until the framework's acknowledgement comes back,
// so the master sees the same uuid several times. Per task it remembers the
// uuid it last forwarded and on which framework stream (a token that is new
// for every subscription), and the uuids the framework acknowledged (the
// last kMaxAckedPerTask). For a repeat of an acknowledged uuid the master
// relays the acknowledgement to the agent again instead of forwarding; a
// repeat already forwarded on the framework's current stream is dropped (the
// acknowledgement is merely slow); anything else (a new stream after
// failover, or never delivered) is forwarded. Updates without a uuid are the
// master's own and always forwarded.
//
// Memory is bounded: records of a removed framework are forgotten, and at
// most `max_tasks` task records are kept (the least recently touched go
// first).
//
// It is consulted two or three times per status update, so records sit in a
// hash map searched with string views (task_key.hpp) and the recency order
// is a list threaded through the records: touching a record allocates
// nothing once it exists.
//
// Not thread-safe: owned by MasterCore on its loop.
#ifndef AGORA_MASTER_UPDATE_DEDUP_HPP_
#define AGORA_MASTER_UPDATE_DEDUP_HPP_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "master/task_key.hpp"

namespace agora::master {

class UpdateDedup {
 public:
  static constexpr size_t kMaxAckedPerTask = 8;

  enum class Decision {
    kForward,        // Send to the framework (and call OnForwarded if it went out).
    kDrop,           // Already on the framework's live stream, not yet acknowledged.
    kReacknowledge,  // The framework acknowledged it: relay the ack to the agent.
  };

  // `max_tasks` >= 1.
  explicit UpdateDedup(size_t max_tasks = 100000) : max_tasks_(max_tasks) {}
  // The recency list points into the records.
  UpdateDedup(const UpdateDedup&) = delete;
  UpdateDedup& operator=(const UpdateDedup&) = delete;

  // What to do with an update from an agent. `live_stream` is the token of
  // the framework's current subscription, 0 while it has none.
  Decision OnAgentUpdate(const std::string& framework_id, const std::string& task_id,
                         const std::string& uuid, uint64_t live_stream) const;
  // The update `uuid` went out on stream `stream`.
  void OnForwarded(const std::string& framework_id, const std::string& task_id,
                   const std::string& uuid, uint64_t stream);
  // The framework acknowledged `uuid`. False if it had already done so.
  bool OnAcknowledged(const std::string& framework_id, const std::string& task_id,
                      const std::string& uuid);
  // True if an update of the task was forwarded or acknowledged and its
  // record is still kept.
  bool Knows(const std::string& framework_id, const std::string& task_id) const {
    return records_.find(TaskKeyRef(framework_id, task_id)) != records_.end();
  }
  // Forgets everything about a framework (removed for good).
  void ForgetFramework(const std::string& framework_id);

  size_t size() const { return records_.size(); }

 private:
  struct Record {
    std::string forwarded_uuid;
    uint64_t forwarded_stream = 0;
    // Oldest first, at most kMaxAckedPerTask, in one buffer (AckedContains,
    // AckedPush: no allocation per uuid).
    std::string acked;
    size_t acked_count = 0;
    // The recency list: the record's key (in records_, whose nodes never
    // move) and its neighbours.
    const TaskKey* key = nullptr;
    Record* older = nullptr;
    Record* newer = nullptr;
  };

  // The acknowledged uuids of a record sit in one string, each as a 4-byte
  // length and its bytes: a uuid is 16 bytes, past std::string's inline
  // capacity, so a vector of strings cost an allocation per acknowledgement.
  static bool AckedContains(const Record& record, const std::string& uuid);
  static void AckedPush(Record* record, const std::string& uuid);

  // The task's record, created if need be, made the most recent; evicts the
  // least recent ones beyond max_tasks_.
  Record& Touch(const std::string& framework_id, const std::string& task_id);
  void Unlink(Record* record);
  void Erase(Record* record);

  size_t max_tasks_;
  absl::node_hash_map<TaskKey, Record, TaskKeyHash, TaskKeyEq> records_;
  Record* oldest_ = nullptr;
  Record* newest_ = nullptr;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_UPDATE_DEDUP_HPP_
