// Cgroups: where an agent's container cgroups live and the pure arithmetic
// and parsing around them (cpu shares/weight, CFS quota, memory.stat and
// other flat-keyed files). Filesystem access is limited to DetectCgroups and
// the small read/write helpers at the end, every one of them under a root
// directory the caller passes, so unit tests use a temp dir shaped like
// /sys/fs/cgroup.
//
// Layout: cgroups v1 gets one directory per controller,
// `<mount>/<controller>/<agent's own cgroup>/<subdir>/<container_id>`;
// cgroups v2 one directory, `<v2 mount>/<agent's own cgroup>/<subdir>/<container_id>`.
// The agent's own cgroup (from /proc/self/cgroup) is kept so that containers
// stay inside whatever limits the agent itself runs under.
//
// Stateless and thread-safe; the helpers that touch files block.
#ifndef AGORA_AGENT_CGROUPS_HPP_
#define AGORA_AGENT_CGROUPS_HPP_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace agora::agent {

enum class CgroupsVersion { kV1, kV2 };

// The v1 controllers a container uses, in the order the shim joins them.
extern const char* const kV1Controllers[5];  // cpu, cpuacct, memory, pids, freezer

// Where this agent's container cgroups are.
struct CgroupsLayout {
  CgroupsVersion version = CgroupsVersion::kV1;
  // v1: controller -> the directory holding its container cgroups.
  std::map<std::string, std::string> v1_bases;
  // v2: the directory holding the container cgroups.
  std::string v2_base;
};

// Parses /proc/self/cgroup text: v1 controller -> path ("cpu,cpuacct" lines
// give both names), and "" -> the v2 path ("0::/x"). Lines that do not parse
// are skipped.
std::map<std::string, std::string> ParseProcCgroup(const std::string& text);

// The layout under `mount_root` (normally /sys/fs/cgroup) for an agent whose
// /proc/self/cgroup reads `proc_self_cgroup`. v2 is chosen when the v2 root
// (`mount_root` itself when it has cgroup.controllers, else
// `mount_root`/unified) lists cpu, memory and pids in cgroup.controllers;
// else v1 when every controller of kV1Controllers has a directory with a
// cgroup.procs file (symlinks resolved, so co-mounted controllers get the
// same base). FAILED_PRECONDITION says what is missing. Reads files
// only; whether the directories are writable is the isolator's question.
absl::StatusOr<CgroupsLayout> DetectCgroups(const std::string& mount_root,
                                            const std::string& proc_self_cgroup,
                                            const std::string& subdir);

// The directories of one container: one per v1 hierarchy (kV1Controllers
// order; co-mounted controllers such as "cpu,cpuacct" share one) or the
// single v2 directory.
std::vector<std::string> ContainerCgroupDirs(const CgroupsLayout& layout,
                                             const std::string& container_id);
// The distinct v1 bases (directories holding the container cgroups), one per
// hierarchy, in kV1Controllers order; empty for v2.
std::vector<std::string> V1Hierarchies(const CgroupsLayout& layout);

// cpu.shares for `cpus`: 1024 per cpu, at least 2.
uint64_t CpuShares(double cpus);
// cpu.weight (v2, 1..10000) for `cpus`, the kernel's conversion of CpuShares.
uint64_t CpuWeight(double cpus);
// CFS quota for `cpus` over `period_us`: cpus x period, at least 1000 us.
int64_t CfsQuotaUs(double cpus, int64_t period_us);
// Bytes for a `mem` resource in MiB.
uint64_t MemoryLimitBytes(double mem_mib);

// Parses "key value" lines (memory.stat, memory.events, cpu.stat,
// memory.oom_control). Lines that do not parse are skipped.
std::map<std::string, uint64_t> ParseFlatKeyed(const std::string& text);

// A cgroup file holding one number ("max" reads as UINT64_MAX).
// INVALID_ARGUMENT names the text when it is not a number.
absl::StatusOr<uint64_t> ParseCgroupValue(const std::string& text);

// Parses cgroup.procs: one pid per line.
std::vector<int> ParsePids(const std::string& text);

// File helpers: the whole file; errors name the path and the reason.
absl::StatusOr<std::string> ReadCgroupFile(const std::string& path);
absl::Status WriteCgroupFile(const std::string& path, const std::string& value);

}  // namespace agora::agent

#endif  // AGORA_AGENT_CGROUPS_HPP_
