// CgroupsPool: the names of ready container cgroups (cgroups v1) that the
// isolator made -- or recycled from ended containers -- ahead of the
// launches that take them, so that a launch renames a ready directory in
// each hierarchy (rename(2) within the parent, which v1 allows) instead of
// creating one and writing its fixed settings (docs/benchmarks.md, "With
// cgroups isolation"). An entry is `<base>/pool-<n>` in every hierarchy,
// with the pool's fixed settings written (pids.max, the CFS period) and
// everything else at the kernel's defaults; once taken it is named by its
// container id, so recovery, the orphan sweep, the OOM verdict, usage and the
// whole-tree kill find it as any other container cgroup.
//
// This class only keeps the names; CgroupsIsolator does the filesystem work
// (Prepare takes, FillPool and Release put) and the CgroupsRemover thread
// refills it. Thread-safe: Take runs on the agent's I/O threads, Put on the
// remover's thread.
#ifndef AGORA_AGENT_CGROUPS_POOL_HPP_
#define AGORA_AGENT_CGROUPS_POOL_HPP_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace agora::agent {

class CgroupsPool {
 public:
  // Keeps up to `capacity` (> 0) ready entries.
  explicit CgroupsPool(size_t capacity) : capacity_(capacity) {}

  CgroupsPool(const CgroupsPool&) = delete;
  CgroupsPool& operator=(const CgroupsPool&) = delete;

  // Whether `name` (a directory below a base) is a pool entry rather than a
  // container: "pool-" followed by digits.
  static bool IsEntryName(const std::string& name);

  size_t capacity() const { return capacity_; }

  // A ready entry's name (removed from the pool), or nullopt when none is
  // ready. Calls the waker when the pool is left at or below half.
  std::optional<std::string> Take();
  // A name no entry of this pool has had: "pool-<n>".
  std::string NewName();
  // Adds a ready entry (the caller made or recycled it).
  void Put(std::string name);
  // Whether the pool wants another entry.
  bool HasRoom() const;
  size_t ready() const;
  // Entries taken and recycled so far, and Takes that found none ready.
  uint64_t taken() const;
  uint64_t recycled() const;
  uint64_t missed() const;
  void CountRecycled();

  // Empties the pool, returning the names (for their removal).
  std::vector<std::string> TakeAll();

  // `wake` runs (under the pool's lock: keep it short, and never call the
  // pool from it) when a Take leaves the pool at or below half; an empty
  // function stops the calls, and once SetWaker returns no earlier waker
  // runs any more.
  void SetWaker(std::function<void()> wake);

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::string> ready_;
  uint64_t next_ = 0;
  uint64_t taken_ = 0;
  uint64_t recycled_ = 0;
  uint64_t missed_ = 0;
  std::function<void()> wake_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_CGROUPS_POOL_HPP_
