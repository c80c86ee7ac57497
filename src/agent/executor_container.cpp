#include "agent/executor_container.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "agent/command_task.hpp"
#include "common/resources.hpp"

namespace agora::agent {

ContainerLimits ExecutorContainerLimits(
    const google::protobuf::RepeatedPtrField<v1::Resource>& executor,
    const std::vector<const google::protobuf::RepeatedPtrField<v1::Resource>*>& tasks) {
  Resources sum;
  if (auto parsed = Resources::FromProto(executor); parsed.ok()) sum += *parsed;
  for (const auto* task : tasks) {
    if (auto parsed = Resources::FromProto(*task); parsed.ok()) sum += *parsed;
  }
  ContainerLimits limits;
  limits.cpus = sum.cpus();
  limits.mem_mib = sum.mem();
  return limits;
}

std::string ExecutorShellCommand(const std::string& program, const std::vector<std::string>& argv) {
  std::string text = "exec " + ShellQuote(program);
  // argv[0] by convention; sh's exec cannot set it.
  for (size_t i = 1; i < argv.size(); ++i) absl::StrAppend(&text, " ", ShellQuote(argv[i]));
  return text;
}

std::optional<int> ExecutorWaitStatus(const shim::ShimStatusRead& read) {
  if (read.outcome != shim::ShimStatusRead::kOk) return std::nullopt;
  switch (read.status.state) {
    case shim::ShimState::kExited:
      return (read.status.code & 0xff) << 8;
    case shim::ShimState::kSignaled:
      return read.status.code & 0x7f;
    default:
      return std::nullopt;
  }
}

absl::Status UpdateCgroupLimits(const CgroupsLayout& layout, const std::string& container_id,
                                const ContainerLimits& limits, const CpuLimitOptions& cpu) {
  std::vector<std::string> dirs = ContainerCgroupDirs(layout, container_id);
  bool v2 = layout.version == CgroupsVersion::kV2;
  // kV1Controllers order: cpu, cpuacct, memory, pids, freezer.
  const std::string& cpu_dir = dirs.at(0);
  const std::string& memory_dir = v2 ? dirs.at(0) : dirs.at(2);
  if (access(memory_dir.c_str(), F_OK) != 0)
    return absl::NotFoundError(absl::StrCat("container ", container_id, " has no cgroup"));
  std::vector<std::pair<std::string, std::string>> writes;
  if (v2) {
    writes.push_back({cpu_dir + "/cpu.weight", std::to_string(CpuWeight(limits.cpus))});
    if (cpu.enable_cfs && limits.cpus > 0) {
      writes.push_back(
          {cpu_dir + "/cpu.max",
           absl::StrCat(CfsQuotaUs(limits.cpus, cpu.cfs_period_us), " ", cpu.cfs_period_us)});
    }
    if (limits.mem_mib > 0)
      writes.push_back(
          {memory_dir + "/memory.max", std::to_string(MemoryLimitBytes(limits.mem_mib))});
  } else {
    writes.push_back({cpu_dir + "/cpu.shares", std::to_string(CpuShares(limits.cpus))});
    if (cpu.enable_cfs && limits.cpus > 0) {
      writes.push_back({cpu_dir + "/cpu.cfs_quota_us",
                        std::to_string(CfsQuotaUs(limits.cpus, cpu.cfs_period_us))});
    }
    if (limits.mem_mib > 0) {
      uint64_t bytes = MemoryLimitBytes(limits.mem_mib);
      std::string limit = memory_dir + "/memory.limit_in_bytes";
      std::string memsw = memory_dir + "/memory.memsw.limit_in_bytes";
      // The kernel keeps limit <= memsw at every step.
      uint64_t current = 0;
      if (auto text = ReadCgroupFile(limit); text.ok()) {
        if (auto value = ParseCgroupValue(*text); value.ok()) current = *value;
      }
      bool growing = bytes > current;
      bool has_memsw = access(memsw.c_str(), F_OK) == 0;
      if (growing && has_memsw) writes.push_back({memsw, std::to_string(bytes)});
      writes.push_back({limit, std::to_string(bytes)});
      if (!growing && has_memsw) writes.push_back({memsw, std::to_string(bytes)});
    }
  }
  for (const auto& [path, value] : writes) {
    if (auto written = WriteCgroupFile(path, value); !written.ok()) return written;
  }
  return absl::OkStatus();
}

}  // namespace agora::agent
