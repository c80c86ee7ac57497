// Registry: the master's small durable state (admitted and unreachable
// agents, frameworks, quota, weights, the id epoch), behind one interface so
// the ZooKeeper backend of the HA issue drops in beside LocalRegistry.
//
// The master acts on a change only after Apply()'s callback reports it
// committed. Backends may batch: several Apply() calls issued before a write
// completes are committed together, in order.
//
// LocalRegistry stores a snapshot and an append-only log of operation
// batches under `<work_dir>/registry/` (format and crash cases:
// registry_log.hpp). Apply() only applies the operations to the loop's
// in-memory state and queues them; the registry's writer thread serializes
// everything queued since its last write into ONE log record, writes it with
// one write and one fdatasync (group commit), and then posts the callbacks
// to the owner's event loop, in order. So a write costs O(size of the
// change), and a storm of admissions costs one fsync per batch, not per
// admission. The writer keeps its own replica of the registry (applying the
// same operations) and, once the log has outgrown the snapshot, writes a new
// snapshot from it and truncates the log, on the writer thread. A failed
// write fails its batch and every later Apply (the state on the loop already
// holds the failed operations): the master steps down and a restart
// recovers what was committed.
#ifndef AGORA_MASTER_REGISTRY_HPP_
#define AGORA_MASTER_REGISTRY_HPP_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agora/internal/registry.pb.h"
#include "common/durable_file.hpp"
#include "common/event_loop.hpp"

namespace agora::master {

class RegistryLogWriter;

class Registry {
 public:
  using Callback = std::function<void(absl::Status)>;
  virtual ~Registry() = default;

  // Loads the stored registry (empty on first start). Call once, before any
  // Apply(). Blocking; call before the loop serves requests.
  virtual absl::StatusOr<internal::Registry> Recover() = 0;

  // Applies `operations` atomically. `done` runs on the owner's loop once the
  // change is durable (or failed). Loop thread only.
  virtual void Apply(std::vector<internal::Operation> operations, Callback done) = 0;

  // The state including every applied (possibly not yet durable) operation.
  virtual const internal::Registry& state() const = 0;

  // Durable writes so far, for /metrics (zero where a backend has no
  // files). Any thread.
  struct WriteStats {
    uint64_t fsyncs = 0;  // fsync/fdatasync calls.
    uint64_t bytes = 0;   // Bytes written.
  };
  virtual WriteStats write_stats() const { return {}; }
};

// Applies one operation to an in-memory registry (shared by the backends).
// Finds records by scanning: O(registry); IndexedRegistry is O(change).
void ApplyOperation(const internal::Operation& operation, internal::Registry* registry);

// An internal::Registry with its agents and frameworks indexed by id, so
// that Apply() costs O(size of the operation) (a removal also re-indexes the
// records after the removed one). Same results as ApplyOperation.
class IndexedRegistry {
 public:
  IndexedRegistry() = default;
  explicit IndexedRegistry(internal::Registry registry);

  void Apply(const internal::Operation& operation);
  const internal::Registry& registry() const { return registry_; }
  // The record with this id, or nullptr. O(1).
  const internal::AgentRecord* FindAgent(const std::string& id) const;
  const internal::FrameworkRecord* FindFramework(const std::string& id) const;
  // True when applying `operation` would leave the registry as it is: a
  // PUT of a record equal to the stored one (an agent re-registering with
  // the same info after a failover, 10,000 of them at once at fleet scale).
  bool ChangesNothing(const internal::Operation& operation) const;
  // Applies each operation that changes something, in order, and returns
  // those (the ones a backend must make durable).
  std::vector<internal::Operation> ApplyChanges(std::vector<internal::Operation> operations);

 private:
  internal::Registry registry_;
  std::unordered_map<std::string, int> agents_;      // Id -> position.
  std::unordered_map<std::string, int> frameworks_;  // Id -> position.
};

class LocalRegistry : public Registry {
 public:
  // When the log is compacted into a new snapshot (registry_log.hpp).
  struct Options {
    uint64_t compact_min_records = 1000;
    double compact_ratio = 2.0;
    // Tests: runs on the writer thread before each group commit (a test
    // holds it to queue a storm behind one write, deterministically).
    std::function<void()> before_write;
  };
  // What the writer did so far. Any thread.
  struct Stats {
    uint64_t applies = 0;      // Apply() calls.
    uint64_t batches = 0;      // Log records written (one per group commit).
    uint64_t fsyncs = 0;       // fsync/fdatasync calls, compactions included.
    uint64_t bytes = 0;        // Bytes written, compactions included.
    uint64_t compactions = 0;  // Snapshots written.
  };

  // `loop` receives the callbacks; `work_dir` holds registry/.
  LocalRegistry(EventLoop* loop, std::string work_dir);
  LocalRegistry(EventLoop* loop, std::string work_dir, Options options);
  ~LocalRegistry() override;

  // Loads registry/ (see LoadRegistryDir): DATA_LOSS naming the file, the
  // offset and the remedy if it is corrupt.
  absl::StatusOr<internal::Registry> Recover() override;
  void Apply(std::vector<internal::Operation> operations, Callback done) override;
  const internal::Registry& state() const override { return state_.registry(); }
  WriteStats write_stats() const override;

  // Blocks until every write issued so far completed (tests, shutdown).
  void Flush();
  Stats stats() const;

 private:
  struct Pending {
    std::vector<internal::Operation> operations;
    Callback done;
  };
  void WriterMain();

  EventLoop* loop_;
  const std::string dir_;
  const Options options_;
  IndexedRegistry state_;  // Loop-owned.

  mutable std::mutex mutex_;  // Guards the fields below (shared with the writer).
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  uint64_t applies_ = 0;
  // Set by Recover() before any Apply(); then used by the writer only.
  std::unique_ptr<RegistryLogWriter> log_;
  absl::Status failed_;  // Sticky write failure (writer thread).
  std::thread writer_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_REGISTRY_HPP_
