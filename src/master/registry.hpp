// Registry: the master's small durable state (admitted and unreachable
// agents, frameworks, quota, weights, the id epoch), behind one interface so
// the ZooKeeper backend of the HA issue drops in beside LocalRegistry.
//
// The master acts on a change only after Apply()'s callback reports it
// committed. Backends may batch: several Apply() calls issued before a write
// completes are committed together, in order.
//
// LocalRegistry stores the whole registry as one `registry.pb` file under
// `<work_dir>/registry/`, replaced atomically (temp file, fsync, rename,
// fsync of the directory), so a crash at any instant leaves either the old
// or the new state. Writes run on the registry's own writer thread; their
// callbacks are posted to the owner's event loop.
#ifndef AGORA_MASTER_REGISTRY_HPP_
#define AGORA_MASTER_REGISTRY_HPP_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agora/internal/registry.pb.h"
#include "common/event_loop.hpp"

namespace agora::master {

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
};

// Applies one operation to an in-memory registry (shared by the backends).
void ApplyOperation(const internal::Operation& operation, internal::Registry* registry);

// Writes `bytes` to `path` atomically: `path`.tmp, fsync, rename, fsync dir.
absl::Status AtomicWriteFile(const std::string& path, const std::string& bytes);

class LocalRegistry : public Registry {
 public:
  // `loop` receives the callbacks; `work_dir` holds registry/registry.pb.
  LocalRegistry(EventLoop* loop, std::string work_dir);
  ~LocalRegistry() override;

  absl::StatusOr<internal::Registry> Recover() override;
  void Apply(std::vector<internal::Operation> operations, Callback done) override;
  const internal::Registry& state() const override { return state_; }

  // Blocks until every write issued so far completed (tests, shutdown).
  void Flush();

 private:
  void WriterMain();

  EventLoop* loop_;
  std::string dir_;
  std::string path_;
  internal::Registry state_;  // Loop-owned.

  std::mutex mutex_;  // Guards the fields below (shared with the writer).
  std::condition_variable cv_;
  std::string pending_bytes_;  // Latest snapshot not yet written.
  bool has_pending_ = false;
  bool writing_ = false;
  bool stopping_ = false;
  std::vector<Callback> pending_callbacks_;
  std::thread writer_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_REGISTRY_HPP_
