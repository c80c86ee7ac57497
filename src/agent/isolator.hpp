// CgroupsIsolator: one cgroup per container (see cgroups.hpp for the
// layout) with the container's limits -- cpu shares/weight from `cpus`, an
// optional CFS cap, a memory limit from `mem` with swap off, a pids limit --
// the whole-tree kill by cgroup, the OOM verdict read when a container ends,
// and per-container usage.
//
// The agent owns one (none under posix isolation) and calls it only from its
// blocking work queue: every method touches /sys/fs/cgroup. The isolator
// keeps no per-container state (everything is in the cgroup filesystem), so
// it is thread-safe and survives agent restarts by construction: a restarted
// agent re-attaches to a surviving container by its id.
//
// With `pool_size` > 0 (cgroups v1 only: v2 cannot rename a cgroup) it keeps
// a CgroupsPool of ready cgroups: Prepare renames one to the container's id
// instead of creating it, Release recycles an ended container's cgroups into
// the pool instead of removing them, FillPool tops the pool up (the agent's
// CgroupsRemover thread calls both). Pool entries are not containers
// (Containers() omits them); stale ones are removed by Create, all of them by
// EmptyPool and RemoveEmpty.
#ifndef AGORA_AGENT_ISOLATOR_HPP_
#define AGORA_AGENT_ISOLATOR_HPP_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cgroups.hpp"
#include "agent/cgroups_pool.hpp"

namespace agora::agent {

struct IsolatorOptions {
  // Normally /sys/fs/cgroup; tests pass a temp dir shaped like it.
  std::string mount_root = "/sys/fs/cgroup";
  // /proc/self/cgroup's text; empty: read it.
  std::string proc_self_cgroup;
  // Below the agent's own cgroup in each hierarchy; required (the agent
  // passes "agora-<hash of its work_dir>", tests a name of their own), so
  // that no two users of the isolator share, and clean up, one directory.
  std::string subdir;
  // Hard cpu cap (CFS quota = cpus x period) besides the shares.
  bool enable_cfs = false;
  int64_t cfs_period_us = 100000;
  // pids.max of each container (0 = no limit).
  uint64_t pids_max = 4096;
  // Ready container cgroups kept ahead of launches (cgroups v1; 0 = none).
  size_t pool_size = 0;
  // /proc/swaps' text; empty: read it. Without a swap device the memsw
  // limit (no swap for the container) is not written: nothing can swap.
  std::string proc_swaps;
};

// A container's limits, from its resources.
struct ContainerLimits {
  double cpus = 0;     // 0: the minimum shares.
  double mem_mib = 0;  // 0: no memory limit.
};

// What a container's cgroup says about it.
struct ContainerUsage {
  double cpu_seconds = 0;           // user + system
  uint64_t memory_bytes = 0;        // current usage (v1 usage_in_bytes, v2 memory.current)
  uint64_t rss_bytes = 0;           // memory.stat rss (v1) / anon (v2)
  uint64_t memory_limit_bytes = 0;  // UINT64_MAX-ish values mean none
  uint64_t memory_peak_bytes = 0;   // v1 max_usage_in_bytes, v2 memory.peak (0 if absent)
  uint64_t oom_kills = 0;           // processes the kernel's OOM killer killed in it
  uint64_t pids = 0;                // pids.current
};

// The memory verdict of an ended container: set when the kernel killed a
// process of it for going over its limit.
struct MemoryLimitation {
  uint64_t limit_bytes = 0;
  uint64_t peak_bytes = 0;
  uint64_t oom_kills = 0;
};

// The message a framework sees: "Memory limit exceeded: the task used 64.0
// MiB (its peak) of its 64.0 MiB limit and the kernel killed 1 process".
std::string DescribeMemoryLimitation(const MemoryLimitation& limitation);

class CgroupsIsolator {
 public:
  // Detects the layout and checks that its base directories can be created
  // and written (creating them). INVALID_ARGUMENT when `options.subdir` is
  // empty or not one path component; FAILED_PRECONDITION says why not: the agent
  // then falls back to posix isolation (auto) or refuses to start (cgroups).
  static absl::StatusOr<std::unique_ptr<CgroupsIsolator>> Create(IsolatorOptions options);

  const CgroupsLayout& layout() const { return layout_; }

  // Creates the container's cgroups with `limits` applied -- a pool entry
  // renamed to `container_id` when one is ready, else new directories --
  // and returns the directories a process must join (the shim's --cgroup
  // flags). Only values that differ from the kernel's defaults are written.
  // An existing cgroup of the same id is reused (every limit written).
  // Errors name the file and the reason.
  absl::StatusOr<std::vector<std::string>> Prepare(const std::string& container_id,
                                                   const ContainerLimits& limits) const;

  // Kills every process in the container's cgroup except `spare` (0: none)
  // and waits until none but `spare` is left: cgroup.kill (v2, no spare),
  // else freeze, SIGKILL each pid, thaw, repeated while any remain. Returns
  // how many processes were signalled; 0 for a container with no cgroup.
  int Kill(const std::string& container_id, pid_t spare = 0) const;

  // Usage of a container; NOT_FOUND if it has no cgroup.
  absl::StatusOr<ContainerUsage> Usage(const std::string& container_id) const;

  // Set if the kernel OOM-killed a process of the container. Read it before
  // Destroy.
  std::optional<MemoryLimitation> MemoryLimitationOf(const std::string& container_id) const;

  // Removes the container's cgroups (rmdir, retried for a while when the
  // kernel still reports them busy). OK if they do not exist.
  absl::Status Destroy(const std::string& container_id) const;
  // One attempt of Destroy that never waits: OK once none is left,
  // UNAVAILABLE while the kernel reports one busy (try again later),
  // FAILED_PRECONDITION for any other reason. Errors name the directory.
  absl::Status RemoveOnce(const std::string& container_id) const;

  // Ids of the container cgroups that exist (for recovery).
  std::vector<std::string> Containers() const;
  // Removes the empty container cgroups and then this agent's directory in
  // each hierarchy if it is empty (at a clean shutdown; best effort).
  void RemoveEmpty() const;

  // Whether a container's cgroup holds any process.
  bool HasProcesses(const std::string& container_id) const;

  // The pool of ready cgroups, or null without one (isolator_pool.cpp).
  CgroupsPool* pool() const { return pool_.get(); }
  // Makes one pool entry if the pool has room: true when it made one.
  // Failures are logged (Prepare then creates cgroups the slow way).
  bool FillPool() const;
  // Ends a container whose processes are gone (after Kill): while the pool
  // has room its cgroups are recycled into it -- cpu and cpuacct reset
  // (shares, CFS quota, usage), pids and freezer as they are (no process
  // left, thawed), and a new memory cgroup (v1 can reset neither the OOM
  // kill count nor, cheaply, the memory charged) -- else removed. Same
  // result contract as RemoveOnce.
  absl::Status Release(const std::string& container_id) const;
  // Removes every pool entry (ready or stale) in every hierarchy.
  void EmptyPool() const;

 private:
  CgroupsIsolator(IsolatorOptions options, CgroupsLayout layout);

  std::string Dir(const std::string& controller, const std::string& container_id) const;
  std::vector<int> Pids(const std::string& container_id) const;
  absl::Status SetFreezer(const std::string& container_id, bool frozen) const;
  // isolator_pool.cpp: a ready entry renamed to `container_id`, if any.
  bool TakeFromPool(const std::string& container_id) const;
  // Renames `from` to `to` in every v1 hierarchy; errors name the path.
  absl::Status Rename(const std::string& from, const std::string& to) const;
  // Resets an ended container's cpu and cpuacct cgroups to a fresh
  // cgroup's state; UNAVAILABLE while a process is still counted.
  absl::Status Reset(const std::string& container_id) const;
  // rmdir of `name` in every hierarchy, best effort.
  void RemoveNamed(const std::string& name) const;

  IsolatorOptions options_;
  CgroupsLayout layout_;
  // Whether the host has a swap device (see IsolatorOptions::proc_swaps).
  bool swap_ = false;
  std::unique_ptr<CgroupsPool> pool_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_ISOLATOR_HPP_
