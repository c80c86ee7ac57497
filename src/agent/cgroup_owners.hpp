// CgroupOwners: who owns each agent's cgroup directories on a host, so that
// the directories of a dead agent can be removed without ever touching a
// live agent's.
//
// An agent's cgroups live in `agora-<hash of its work_dir>` below its own
// cgroup in each hierarchy (agent_isolation.cpp). cgroupfs holds no regular
// files, so the owner is recorded outside it: `<owners_dir>/<subdir>.owner`
// (default /run/agora/cgroups, a tmpfs: cleared at a reboot, like the
// cgroups themselves) holds the agent's work_dir on its first line and its
// cgroup directories on the next ones. The live agent holds an exclusive
// flock(2) on the file for its whole life (the kernel drops it when the
// process dies, SIGKILL included), so "the lock is free" means "the agent is
// dead" -- and nobody else can be removing its directories while it runs.
//
// SweepDeadCgroupOwners removes the directories of owners whose lock is
// free: a directory that still holds a container cgroup or a process is
// kept (rmdir refuses it), so a dead agent's surviving tasks, which its
// restart re-attaches to, are never disturbed. Directories without an owner
// file (agents older than this file) are never touched.
//
// Blocking file I/O; no state shared between calls (thread-safe).
#ifndef AGORA_AGENT_CGROUP_OWNERS_HPP_
#define AGORA_AGENT_CGROUP_OWNERS_HPP_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace agora::agent {

inline constexpr char kDefaultCgroupOwnersDir[] = "/run/agora/cgroups";

// A live agent's claim on its cgroup directories (the held lock).
class CgroupOwnership {
 public:
  // Creates `owners_dir` and `<owners_dir>/<subdir>.owner` if needed and
  // locks it, waiting (up to 2 s) while a sweeper holds it. Errors name the
  // file and the reason (FAILED_PRECONDITION when another live process
  // holds it).
  static absl::StatusOr<std::unique_ptr<CgroupOwnership>> Claim(const std::string& owners_dir,
                                                                const std::string& subdir,
                                                                const std::string& work_dir);
  // Releases the lock; the file is removed first when none of the recorded
  // directories exists any more (a clean shutdown removed them).
  ~CgroupOwnership();

  CgroupOwnership(const CgroupOwnership&) = delete;
  CgroupOwnership& operator=(const CgroupOwnership&) = delete;

  // Records the agent's cgroup directories (rewrites the file).
  absl::Status Record(const std::vector<std::string>& dirs);

  const std::string& path() const { return path_; }

 private:
  CgroupOwnership(std::string path, std::string work_dir, int fd)
      : path_(std::move(path)), work_dir_(std::move(work_dir)), fd_(fd) {}

  std::string path_;
  std::string work_dir_;
  std::vector<std::string> dirs_;
  int fd_;
};

struct CgroupSweep {
  // Directories removed.
  std::vector<std::string> removed;
  // Dead owners' directories kept, each with the reason ("... holds
  // container cgroups").
  std::vector<std::string> kept;
  // Owners skipped because they are alive.
  int live_owners = 0;
};

// Removes the cgroup directories of the dead owners in `owners_dir` (all
// but `own_subdir`; only the one whose work_dir is `only_work_dir` when it
// is not empty), and an owner's file once its directories are gone. A dead
// owner's ready pool entries (IsCgroupPoolEntry) that hold no process are
// removed first: they carry no container's state. With
// `remove_empty_containers`, container cgroups without a process are removed
// too (for test harnesses, after they killed everything; an agent sweeping at
// start leaves them to the dead agent's restart, which reads their OOM
// verdicts).
// Whether `name`, a directory below an agent's cgroup base, is a ready entry
// of its cgroups pool (cgroups_pool.hpp: "pool-" and digits) rather than a
// container's cgroup.
bool IsCgroupPoolEntry(const std::string& name);

CgroupSweep SweepDeadCgroupOwners(const std::string& owners_dir, const std::string& own_subdir,
                                  const std::string& only_work_dir = "",
                                  bool remove_empty_containers = false);

}  // namespace agora::agent

#endif  // AGORA_AGENT_CGROUP_OWNERS_HPP_
