// CgroupsRemover: removes the cgroups of ended containers in the
// background, in batches, off the agent's loop and off its launch and
// end-of-task work. Removing a v1 cgroup costs one rmdir per hierarchy
// (five here), each waiting for the kernel to take the cgroup offline; done
// inline it delayed every task's terminal update and held an I/O thread
// that launches need (docs/benchmarks.md, "With cgroups isolation").
//
// Owned by the agent (one per CgroupsIsolator); Remove() is thread-safe and
// never blocks on the cgroup filesystem. One thread waits `delay` after the
// first pending removal (so that a burst of ended tasks makes one batch),
// then removes everything pending; a cgroup the kernel still reports busy is
// tried again on the next pass, for up to `busy_timeout`, then left (and
// logged) for the agent's next start, whose orphan sweep removes every empty
// cgroup of a container it does not know (AgentImpl::RemoveOrphanCgroups).
// Stop() removes nothing more: what is still pending then is left to that
// sweep as well (a stopping agent must not wait on the kernel; a crashed
// one could not).
//
// With the isolator's pool (CgroupsIsolator::pool()) the same thread keeps
// the pool filled: an ended container goes through CgroupsIsolator::Release
// (recycled into the pool while it has room, else removed), and after each
// pass -- or at once when a launch leaves the pool at or below half -- new
// entries are made (CgroupsIsolator::FillPool) until the pool is full at
// start, half full later (recycled containers fill the rest). A refill
// request cuts the batching delay short, so ended containers are recycled
// before new cgroups are made.
#ifndef AGORA_AGENT_CGROUPS_REMOVER_HPP_
#define AGORA_AGENT_CGROUPS_REMOVER_HPP_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "agent/isolator.hpp"

namespace agora::agent {

class CgroupsRemover {
 public:
  // `isolator` must outlive this object.
  CgroupsRemover(const CgroupsIsolator* isolator, absl::Duration delay,
                 absl::Duration busy_timeout = absl::Seconds(10));
  ~CgroupsRemover();

  CgroupsRemover(const CgroupsRemover&) = delete;
  CgroupsRemover& operator=(const CgroupsRemover&) = delete;

  // Queues the removal of `container_id`'s cgroups. The caller has killed
  // every process in them (CgroupsIsolator::Kill). False after Stop().
  bool Remove(const std::string& container_id);
  // Stops the thread after the batch in progress; pending removals are
  // dropped (see the class comment). Idempotent.
  void Stop();

  // Containers whose removal is queued or being retried.
  size_t pending() const;
  // Cgroups removed or recycled so far (containers).
  uint64_t removed() const;

 private:
  void Run();
  // Makes pool entries until the pool is full or Stop() is called.
  void FillPool();

  const CgroupsIsolator* isolator_;
  const absl::Duration delay_;
  const absl::Duration busy_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // container_id -> when it was first queued (for busy_timeout).
  std::map<std::string, absl::Time> pending_;
  uint64_t removed_ = 0;
  bool stop_ = false;
  // A launch left the pool at or below half.
  bool refill_ = false;
  // Only on the thread: whether the pool was filled once.
  bool filled_ = false;
  std::thread thread_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_CGROUPS_REMOVER_HPP_
