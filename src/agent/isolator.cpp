#include "agent/isolator.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace agora::agent {
namespace {

// Kernel limits at or above this mean "no limit" (v1 reports
// 9223372036854771712, v2 "max").
constexpr uint64_t kNoLimit = uint64_t{1} << 62;
// A new cgroup's cpu.shares (v1) and cpu.weight (v2).
constexpr uint64_t kDefaultCpuShares = 1024;
constexpr uint64_t kDefaultCpuWeight = 100;
// How long Kill and Destroy wait for the kernel to empty and release a cgroup.
constexpr absl::Duration kSettleTimeout = absl::Seconds(5);

void Pause() { usleep(5 * 1000); }

absl::Status MakeDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error)
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", error.message()));
  if (access(path.c_str(), W_OK) != 0)
    return absl::FailedPreconditionError(absl::StrCat(path, " is not writable: ", strerror(errno)));
  return absl::OkStatus();
}

uint64_t ReadValue(const std::string& path) {
  auto text = ReadCgroupFile(path);
  if (!text.ok()) return 0;
  auto value = ParseCgroupValue(*text);
  return value.ok() ? *value : 0;
}

uint64_t ReadKey(const std::string& path, const std::string& key) {
  auto text = ReadCgroupFile(path);
  if (!text.ok()) return 0;
  auto values = ParseFlatKeyed(*text);
  auto it = values.find(key);
  return it == values.end() ? 0 : it->second;
}

std::string Mib(uint64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

// Enables cpu, memory and pids for the containers below `base` (in `base`
// and in its parent, the agent's own cgroup). cgroup v2 allows controllers
// in a cgroup's subtree only while it holds no process itself: when the
// agent's own cgroup refuses (EBUSY: the agent runs in it, e.g. a systemd
// service with Delegate=yes), the agent moves itself into a leaf
// `<own>/agent` first.
absl::Status DelegateV2Controllers(const std::string& base) {
  const std::string controllers = "+cpu +memory +pids";
  std::string own = std::filesystem::path(base).parent_path();
  absl::Status enabled = WriteCgroupFile(own + "/cgroup.subtree_control", controllers);
  if (!enabled.ok()) {
    std::string leaf = own + "/agent";
    if (mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) return enabled;
    auto pids = ReadCgroupFile(own + "/cgroup.procs");
    if (!pids.ok()) return enabled;
    for (int pid : ParsePids(*pids)) {
      if (auto moved = WriteCgroupFile(leaf + "/cgroup.procs", std::to_string(pid)); !moved.ok())
        return absl::FailedPreconditionError(absl::StrCat(
            enabled.message(), "; moving the agent out of its own cgroup: ", moved.message()));
    }
    enabled = WriteCgroupFile(own + "/cgroup.subtree_control", controllers);
    if (!enabled.ok()) return enabled;
  }
  return WriteCgroupFile(base + "/cgroup.subtree_control", controllers);
}

}  // namespace

std::string DescribeMemoryLimitation(const MemoryLimitation& limitation) {
  std::string limit =
      limitation.limit_bytes >= kNoLimit ? "no" : absl::StrCat("its ", Mib(limitation.limit_bytes));
  return absl::StrCat("Memory limit exceeded: the task used ", Mib(limitation.peak_bytes),
                      " (its peak) of ", limit, " limit and the kernel killed ",
                      limitation.oom_kills, limitation.oom_kills == 1 ? " process" : " processes");
}

absl::StatusOr<std::unique_ptr<CgroupsIsolator>> CgroupsIsolator::Create(IsolatorOptions options) {
  if (options.subdir.empty() || options.subdir.find('/') != std::string::npos ||
      options.subdir == "." || options.subdir == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("IsolatorOptions.subdir: '", options.subdir,
                     "' is not a directory name (the agent's own directory below its cgroup)"));
  }
  if (options.proc_self_cgroup.empty()) {
    auto text = ReadCgroupFile("/proc/self/cgroup");
    if (!text.ok()) return absl::FailedPreconditionError(text.status().message());
    options.proc_self_cgroup = *text;
  }
  auto layout = DetectCgroups(options.mount_root, options.proc_self_cgroup, options.subdir);
  if (!layout.ok()) return layout.status();
  if (layout->version == CgroupsVersion::kV2) {
    if (auto made = MakeDir(layout->v2_base); !made.ok()) return made;
    if (auto delegated = DelegateV2Controllers(layout->v2_base); !delegated.ok()) return delegated;
  } else {
    for (const auto& [controller, base] : layout->v1_bases) {
      if (auto made = MakeDir(base); !made.ok()) return made;
    }
  }
  auto isolator =
      std::unique_ptr<CgroupsIsolator>(new CgroupsIsolator(std::move(options), *std::move(layout)));
  // Entries a killed agent left behind (with or without a pool now).
  isolator->EmptyPool();
  return isolator;
}

CgroupsIsolator::CgroupsIsolator(IsolatorOptions options, CgroupsLayout layout)
    : options_(std::move(options)), layout_(std::move(layout)) {
  std::string swaps = options_.proc_swaps;
  if (swaps.empty()) swaps = ReadCgroupFile("/proc/swaps").value_or("");
  // A header line, then one line per swap device.
  size_t newline = swaps.find('\n');
  swap_ = newline != std::string::npos &&
          swaps.find_first_not_of(" \t\n", newline) != std::string::npos;
  if (options_.pool_size > 0 && layout_.version == CgroupsVersion::kV1)
    pool_ = std::make_unique<CgroupsPool>(options_.pool_size);
}

std::string CgroupsIsolator::Dir(const std::string& controller,
                                 const std::string& container_id) const {
  if (layout_.version == CgroupsVersion::kV2) return layout_.v2_base + "/" + container_id;
  return layout_.v1_bases.at(controller) + "/" + container_id;
}

absl::StatusOr<std::vector<std::string>> CgroupsIsolator::Prepare(
    const std::string& container_id, const ContainerLimits& limits) const {
  std::vector<std::string> dirs = ContainerCgroupDirs(layout_, container_id);
  // A pool entry has the pool's fixed settings (pids.max, CFS period) and
  // the kernel's defaults for the rest, as has a directory made here: only
  // what differs is written. A reused directory gets everything.
  bool pooled = TakeFromPool(container_id);
  bool fresh = pooled;
  if (!pooled) {
    fresh = true;
    for (const std::string& dir : dirs) {
      // The bases exist (Create made them): one mkdir per hierarchy.
      if (mkdir(dir.c_str(), 0755) == 0) continue;
      if (errno != EEXIST)
        return absl::FailedPreconditionError(
            absl::StrCat("cannot create cgroup ", dir, ": ", strerror(errno)));
      fresh = false;
    }
  }
  bool v2 = layout_.version == CgroupsVersion::kV2;
  std::vector<std::pair<std::string, std::string>> writes;
  auto file = [&](const char* controller, const char* name) {
    return Dir(controller, container_id) + "/" + name;
  };
  if (v2) {
    if (uint64_t weight = CpuWeight(limits.cpus); !fresh || weight != kDefaultCpuWeight)
      writes.push_back({file("cpu", "cpu.weight"), std::to_string(weight)});
    if (options_.enable_cfs && limits.cpus > 0) {
      writes.push_back(
          {file("cpu", "cpu.max"), absl::StrCat(CfsQuotaUs(limits.cpus, options_.cfs_period_us),
                                                " ", options_.cfs_period_us)});
    }
    if (limits.mem_mib > 0) {
      writes.push_back(
          {file("memory", "memory.max"), std::to_string(MemoryLimitBytes(limits.mem_mib))});
      // Absent without swap accounting (then there is no swap to turn off).
      std::string swap = file("memory", "memory.swap.max");
      if (access(swap.c_str(), F_OK) == 0) writes.push_back({swap, "0"});
    }
    if (options_.pids_max > 0)
      writes.push_back({file("pids", "pids.max"), std::to_string(options_.pids_max)});
  } else {
    if (uint64_t shares = CpuShares(limits.cpus); !fresh || shares != kDefaultCpuShares)
      writes.push_back({file("cpu", "cpu.shares"), std::to_string(shares)});
    if (options_.enable_cfs && limits.cpus > 0) {
      if (!pooled)
        writes.push_back(
            {file("cpu", "cpu.cfs_period_us"), std::to_string(options_.cfs_period_us)});
      writes.push_back({file("cpu", "cpu.cfs_quota_us"),
                        std::to_string(CfsQuotaUs(limits.cpus, options_.cfs_period_us))});
    }
    if (limits.mem_mib > 0) {
      std::string bytes = std::to_string(MemoryLimitBytes(limits.mem_mib));
      writes.push_back({file("memory", "memory.limit_in_bytes"), bytes});
      // memsw (memory + swap) equal to the limit: no swap for the
      // container. Without a swap device there is nothing to turn off.
      std::string memsw = file("memory", "memory.memsw.limit_in_bytes");
      if (swap_ && access(memsw.c_str(), F_OK) == 0) writes.push_back({memsw, bytes});
    }
    if (options_.pids_max > 0 && !pooled)
      writes.push_back({file("pids", "pids.max"), std::to_string(options_.pids_max)});
  }
  for (const auto& [path, value] : writes) {
    if (auto written = WriteCgroupFile(path, value); !written.ok()) return written;
  }
  return dirs;
}

std::vector<int> CgroupsIsolator::Pids(const std::string& container_id) const {
  // Every controller holds the same processes; freezer is the one Kill uses.
  auto text = ReadCgroupFile(Dir("freezer", container_id) + "/cgroup.procs");
  return text.ok() ? ParsePids(*text) : std::vector<int>{};
}

absl::Status CgroupsIsolator::SetFreezer(const std::string& container_id, bool frozen) const {
  if (layout_.version == CgroupsVersion::kV2) {
    return WriteCgroupFile(Dir("", container_id) + "/cgroup.freeze", frozen ? "1" : "0");
  }
  std::string state = Dir("freezer", container_id) + "/freezer.state";
  auto written = WriteCgroupFile(state, frozen ? "FROZEN" : "THAWED");
  if (!written.ok() || !frozen) return written;
  // FREEZING until every task stopped; a frozen process cannot fork.
  absl::Time deadline = absl::Now() + kSettleTimeout;
  while (absl::Now() < deadline) {
    auto now = ReadCgroupFile(state);
    if (now.ok() && now->rfind("FROZEN", 0) == 0) return absl::OkStatus();
    Pause();
  }
  return absl::DeadlineExceededError(absl::StrCat(state, " did not reach FROZEN"));
}

int CgroupsIsolator::Kill(const std::string& container_id, pid_t spare) const {
  if (access(Dir("freezer", container_id).c_str(), F_OK) != 0) return 0;
  auto others = [&] {
    std::vector<int> pids = Pids(container_id);
    pids.erase(std::remove(pids.begin(), pids.end(), spare), pids.end());
    return pids;
  };
  int signalled = 0;
  absl::Time deadline = absl::Now() + kSettleTimeout;
  while (absl::Now() < deadline) {
    std::vector<int> pids = others();
    if (pids.empty()) break;
    if (layout_.version == CgroupsVersion::kV2 && spare == 0 &&
        WriteCgroupFile(Dir("", container_id) + "/cgroup.kill", "1").ok()) {
      signalled += static_cast<int>(pids.size());
    } else {
      // Frozen, nobody forks between the read of cgroup.procs and the kills;
      // SIGKILL is delivered once the cgroup thaws.
      bool frozen = SetFreezer(container_id, true).ok();
      for (int pid : others()) {
        if (::kill(pid, SIGKILL) == 0) signalled++;
      }
      if (frozen) SetFreezer(container_id, false).IgnoreError();
    }
    // Wait for the kernel to take the killed processes out of the cgroup.
    absl::Time settle = absl::Now() + absl::Milliseconds(500);
    while (!others().empty() && absl::Now() < settle) Pause();
  }
  return signalled;
}

absl::StatusOr<ContainerUsage> CgroupsIsolator::Usage(const std::string& container_id) const {
  if (access(Dir("memory", container_id).c_str(), F_OK) != 0)
    return absl::NotFoundError(absl::StrCat("container ", container_id, " has no cgroup"));
  ContainerUsage usage;
  auto at = [&](const char* controller, const char* name) {
    return Dir(controller, container_id) + "/" + name;
  };
  if (layout_.version == CgroupsVersion::kV2) {
    usage.cpu_seconds = ReadKey(at("cpu", "cpu.stat"), "usage_usec") / 1e6;
    usage.memory_bytes = ReadValue(at("memory", "memory.current"));
    usage.rss_bytes = ReadKey(at("memory", "memory.stat"), "anon");
    usage.memory_limit_bytes = ReadValue(at("memory", "memory.max"));
    usage.memory_peak_bytes = ReadValue(at("memory", "memory.peak"));
    usage.oom_kills = ReadKey(at("memory", "memory.events"), "oom_kill");
  } else {
    usage.cpu_seconds = ReadValue(at("cpuacct", "cpuacct.usage")) / 1e9;
    usage.memory_bytes = ReadValue(at("memory", "memory.usage_in_bytes"));
    usage.rss_bytes = ReadKey(at("memory", "memory.stat"), "rss");
    usage.memory_limit_bytes = ReadValue(at("memory", "memory.limit_in_bytes"));
    usage.memory_peak_bytes = ReadValue(at("memory", "memory.max_usage_in_bytes"));
    usage.oom_kills = ReadKey(at("memory", "memory.oom_control"), "oom_kill");
  }
  usage.pids = ReadValue(at("pids", "pids.current"));
  return usage;
}

std::optional<MemoryLimitation> CgroupsIsolator::MemoryLimitationOf(
    const std::string& container_id) const {
  // The OOM count alone first: the common case reads one file.
  bool v2 = layout_.version == CgroupsVersion::kV2;
  std::string memory = Dir("memory", container_id);
  uint64_t oom_kills = v2 ? ReadKey(memory + "/memory.events", "oom_kill")
                          : ReadKey(memory + "/memory.oom_control", "oom_kill");
  if (oom_kills == 0) return std::nullopt;
  auto usage = Usage(container_id);
  if (!usage.ok()) return std::nullopt;
  return MemoryLimitation{usage->memory_limit_bytes, usage->memory_peak_bytes, usage->oom_kills};
}

absl::Status CgroupsIsolator::RemoveOnce(const std::string& container_id) const {
  std::vector<std::string> dirs = ContainerCgroupDirs(layout_, container_id);
  std::set<std::string> unique(dirs.begin(), dirs.end());
  absl::Status result = absl::OkStatus();
  for (const std::string& dir : unique) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) continue;
    // EBUSY while the kernel still releases the last (just killed) task:
    // worth another try; anything else is not.
    int error = errno;
    std::string message = absl::StrCat("cannot remove cgroup ", dir, ": ", strerror(error));
    absl::Status failed =
        error == EBUSY ? absl::UnavailableError(message) : absl::FailedPreconditionError(message);
    // The other hierarchies are still tried: each rmdir stands alone.
    if (result.ok() || absl::IsUnavailable(result)) result = failed;
  }
  return result;
}

absl::Status CgroupsIsolator::Destroy(const std::string& container_id) const {
  absl::Time deadline = absl::Now() + kSettleTimeout;
  while (true) {
    absl::Status removed = RemoveOnce(container_id);
    if (!absl::IsUnavailable(removed) || absl::Now() >= deadline) return removed;
    Pause();
  }
}

std::vector<std::string> CgroupsIsolator::Containers() const {
  std::set<std::string> ids;
  std::vector<std::string> bases;
  if (layout_.version == CgroupsVersion::kV2) {
    bases.push_back(layout_.v2_base);
  } else {
    for (const auto& [controller, base] : layout_.v1_bases) bases.push_back(base);
  }
  for (const std::string& base : bases) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
      std::string name = entry.path().filename();
      if (entry.is_directory(error) && !CgroupsPool::IsEntryName(name)) ids.insert(name);
    }
  }
  return {ids.begin(), ids.end()};
}

bool CgroupsIsolator::HasProcesses(const std::string& container_id) const {
  return !Pids(container_id).empty();
}

void CgroupsIsolator::RemoveEmpty() const {
  EmptyPool();
  for (const std::string& id : Containers()) {
    if (!HasProcesses(id)) Destroy(id).IgnoreError();
  }
  if (layout_.version == CgroupsVersion::kV2) {
    rmdir(layout_.v2_base.c_str());
  } else {
    for (const auto& [controller, base] : layout_.v1_bases) rmdir(base.c_str());
  }
}

}  // namespace agora::agent
