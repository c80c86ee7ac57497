// AgentImpl: cgroups isolation of command tasks. The agent creates a task's
// cgroups before it spawns the task's shim (the shim joins them before it
// execs the task, see LaunchExecutor), kills the whole tree by cgroup
// (KillCommandTask, OnShimExited), reads the OOM verdict when the task ends
// and removes the cgroups (OnShimExited). Here: choosing the isolation at
// start-up, the limits of a task, and the clean-up after recovery.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/agent_config.hpp"
#include "agent/agent_impl.hpp"
#include "common/resources.hpp"
#include "glog/logging.h"

namespace agora::agent {

namespace {

// The cgroup directory (below the agent's own cgroup in each hierarchy) of
// the agent with `work_dir`: "agora-<FNV-1a of work_dir>". One per agent,
// stable across its restarts, so agents sharing a host (or a test process)
// never touch each other's containers, orphan clean-up included.
std::string AgentCgroupSubdir(const std::string& work_dir) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : work_dir) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrCat("agora-", absl::Hex(hash, absl::kZeroPad16));
}

// Gives the agent's directory -- all its containers together -- the cpu
// weight of `cpus` processes (v1 cpu.shares 1024 per cpu, at most 262144;
// v2 cpu.weight by the kernel's conversion). At the kernel's default (1024)
// all of them weighed as one process against the host's others: on a busy
// host every task waited behind them (docs/benchmarks.md, "With cgroups
// isolation", round 2); posix tasks weigh one process each.
absl::Status WeighContainers(const CgroupsLayout& layout, double cpus) {
  if (cpus <= 0) return absl::OkStatus();
  if (layout.version == CgroupsVersion::kV2)
    return WriteCgroupFile(layout.v2_base + "/cpu.weight", std::to_string(CpuWeight(cpus)));
  return WriteCgroupFile(layout.v1_bases.at("cpu") + "/cpu.shares",
                         std::to_string(std::min<uint64_t>(CpuShares(cpus), 262144)));
}

}  // namespace

absl::Status AgentImpl::SetUpIsolation() {
  if (options_.isolation == AgentOptions::Isolation::kPosix) {
    LOG(INFO) << "Isolation: posix (--isolation=posix): command tasks run in their own session, "
                 "without resource limits";
    return absl::OkStatus();
  }
  IsolatorOptions isolator_options;
  isolator_options.mount_root = options_.cgroups_mount_root;
  isolator_options.subdir = AgentCgroupSubdir(options_.work_dir);
  isolator_options.enable_cfs = options_.cgroups_enable_cfs;
  isolator_options.pids_max = static_cast<uint64_t>(options_.cgroups_pids_max);
  ClaimCgroupDirectory(isolator_options.subdir);
  isolator_options.pool_size = static_cast<size_t>(options_.cgroups_pool_size);
  auto isolator = CgroupsIsolator::Create(isolator_options);
  if (!isolator.ok()) {
    if (options_.isolation == AgentOptions::Isolation::kCgroups) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--isolation=cgroups: cgroups are not usable: ", isolator.status().message()));
    }
    LOG(WARNING) << "Isolation: posix, because cgroups are not usable here ("
                 << isolator.status().message()
                 << "): command tasks run without resource limits and are killed by session";
    return absl::OkStatus();
  }
  const CgroupsLayout& layout = (*isolator)->layout();
  // Init checked the resources already.
  auto resources = AgentResources(options_.resources, DetectMachine(options_.work_dir));
  if (resources.ok()) {
    if (absl::Status weighed = WeighContainers(layout, resources->Scalar("cpus")); !weighed.ok())
      LOG(WARNING) << "Containers keep the default cpu weight: " << weighed;
  }
  LOG(INFO) << "Isolation: cgroups "
            << (layout.version == CgroupsVersion::kV2
                    ? absl::StrCat("v2 under ", layout.v2_base)
                    : absl::StrCat("v1 under ", layout.v1_bases.at("memory"), " (memory)"))
            << ", pids max " << options_.cgroups_pids_max
            << (options_.cgroups_enable_cfs ? ", cpu capped (CFS)" : "")
            << ((*isolator)->pool() != nullptr
                    ? absl::StrCat(", a pool of ", options_.cgroups_pool_size, " ready cgroups")
                    : "");
  isolator_ = std::move(*isolator);
  SweepDeadAgentCgroups(isolator_options.subdir);
  cgroups_remover_ =
      std::make_unique<CgroupsRemover>(isolator_.get(), options_.cgroups_removal_delay);
  return absl::OkStatus();
}

std::string AgentImpl::IsolationMode() const {
  if (isolator_ == nullptr) return "posix";
  return isolator_->layout().version == CgroupsVersion::kV2 ? "cgroups-v2" : "cgroups-v1";
}

absl::Status AgentImpl::CommandCgroups::Prepare(LaunchSpec* spec) const {
  if (isolator == nullptr) return absl::OkStatus();
  auto dirs = isolator->Prepare(container_id, limits);
  if (!dirs.ok()) {
    Destroy();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the task's cgroups: ", dirs.status().message()));
  }
  for (const std::string& dir : *dirs) spec->argv.push_back("--cgroup=" + dir);
  return absl::OkStatus();
}

void AgentImpl::CommandCgroups::Destroy() const {
  if (isolator == nullptr) return;
  if (absl::Status removed = isolator->Destroy(container_id); !removed.ok())
    LOG(WARNING) << "container_id=" << container_id << ": " << removed;
}

ContainerLimits AgentImpl::CommandTaskLimits(const Key& key) const {
  ContainerLimits limits;
  auto task = tasks_.find(key);
  if (task == tasks_.end()) return limits;
  auto resources = Resources::FromProto(task->second.task.resources());
  if (!resources.ok()) return limits;
  limits.cpus = resources->Scalar("cpus");
  limits.mem_mib = resources->Scalar("mem");
  return limits;
}

void AgentImpl::RemoveOrphanCgroups() {
  if (isolator_ == nullptr) return;
  std::set<std::string> known;
  for (const auto& [key, executor] : executors_) known.insert(executor.container_id);
  // Listed here, on the loop, before any launch after recovery can create a
  // cgroup: the I/O thread runs later and must never see (and remove) a new
  // container's cgroup before its shim joined it.
  std::vector<std::string> orphans;
  for (const std::string& id : isolator_->Containers()) {
    if (known.count(id) == 0) orphans.push_back(id);
  }
  if (orphans.empty()) return;
  const CgroupsIsolator* isolator = isolator_.get();
  io_->Post("cgroups-recovery", [isolator, orphans] {
    for (const std::string& id : orphans) {
      if (isolator->HasProcesses(id)) continue;
      absl::Status removed = isolator->Destroy(id);
      if (removed.ok()) {
        LOG(INFO) << "Removed the cgroup of container_id=" << id << ", which no longer exists";
      } else {
        LOG(WARNING) << removed;
      }
    }
  });
}

}  // namespace agora::agent
