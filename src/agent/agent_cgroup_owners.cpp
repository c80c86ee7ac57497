// AgentImpl: this agent's claim on its cgroup directories and the sweep of
// dead agents' directories at start-up (cgroup_owners.hpp). An agent killed
// with SIGKILL cannot remove its `agora-<hash>` directories, and a work dir
// that is never used again (a test's) never sweeps them itself: the next
// agent to start on the host removes them once they are empty.
#include "agent/agent_impl.hpp"
#include "glog/logging.h"

namespace agora::agent {

void AgentImpl::ClaimCgroupDirectory(const std::string& subdir) {
  auto claimed = CgroupOwnership::Claim(options_.cgroups_owners_dir, subdir, options_.work_dir);
  if (!claimed.ok()) {
    LOG(WARNING) << "Cannot record the owner of this agent's cgroups (" << claimed.status()
                 << "): dead agents' empty cgroup directories are not swept";
    return;
  }
  cgroup_ownership_ = std::move(*claimed);
}

void AgentImpl::SweepDeadAgentCgroups(const std::string& subdir) {
  if (cgroup_ownership_ == nullptr || isolator_ == nullptr) return;
  const CgroupsLayout& layout = isolator_->layout();
  std::vector<std::string> dirs;
  if (layout.version == CgroupsVersion::kV2) {
    dirs.push_back(layout.v2_base);
  } else {
    for (const auto& [controller, base] : layout.v1_bases) dirs.push_back(base);
  }
  if (absl::Status recorded = cgroup_ownership_->Record(dirs); !recorded.ok())
    LOG(WARNING) << recorded;
  // Start-up, before the loop serves anything: the blocking sweep is brief
  // (a few rmdirs per dead agent).
  CgroupSweep sweep = SweepDeadCgroupOwners(options_.cgroups_owners_dir, subdir);
  if (!sweep.removed.empty())
    LOG(INFO) << "Removed " << sweep.removed.size()
              << " empty cgroup directories of agents that are no longer running";
  for (const std::string& kept : sweep.kept) LOG(INFO) << "Kept cgroup directory " << kept;
}

}  // namespace agora::agent
