#include "agent/container_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/checkpoint.hpp"

namespace agora::agent {

bool ParseProcessUsage(const std::string& stat_line, ProcessUsage* usage) {
  // The command name (field 2) may contain spaces and ')': fields are
  // counted after the last ')'; field N of proc(5) is fields[N - 3].
  size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat_line).substr(close + 1), ' ', absl::SkipEmpty());
  if (fields.size() < 22 || fields[0].empty()) return false;
  auto number = [&fields](size_t field) {
    return std::strtoull(std::string(fields[field - 3]).c_str(), nullptr, 10);
  };
  usage->state = fields[0][0];
  usage->session = static_cast<pid_t>(number(6));
  usage->start_ticks = number(22);
  usage->user_ticks = number(14) + number(16);
  usage->system_ticks = number(15) + number(17);
  usage->rss_pages = number(24);
  return true;
}

std::map<pid_t, v1::ResourceStatistics> SessionStatistics(
    const std::map<pid_t, uint64_t>& sessions) {
  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t kPageBytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  struct Sum {
    uint64_t user = 0, system = 0, rss_pages = 0;
    uint32_t processes = 0;
  };
  std::map<pid_t, Sum> sums;
  if (!sessions.empty()) {
    DIR* proc = ::opendir("/proc");
    while (struct dirent* entry = proc != nullptr ? ::readdir(proc) : nullptr) {
      int pid = 0;
      if (!absl::SimpleAtoi(entry->d_name, &pid) || pid <= 0) continue;
      auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
      ProcessUsage usage;
      if (!text.ok() || !ParseProcessUsage(*text, &usage)) continue;  // Exited meanwhile.
      auto session = sessions.find(usage.session);
      if (session == sessions.end() || usage.state == 'Z' || usage.session <= 1 ||
          usage.start_ticks < session->second)
        continue;
      Sum& sum = sums[usage.session];
      sum.user += usage.user_ticks;
      sum.system += usage.system_ticks;
      sum.rss_pages += usage.rss_pages;
      ++sum.processes;
    }
    if (proc != nullptr) ::closedir(proc);
  }
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  std::map<pid_t, v1::ResourceStatistics> statistics;
  for (const auto& [session, start_ticks] : sessions) {
    const Sum& sum = sums[session];
    v1::ResourceStatistics& out = statistics[session];
    out.set_timestamp(now);
    out.set_cpus_user_time_secs(static_cast<double>(sum.user) / kTicksPerSecond);
    out.set_cpus_system_time_secs(static_cast<double>(sum.system) / kTicksPerSecond);
    out.set_mem_rss_bytes(sum.rss_pages * kPageBytes);
    out.set_processes(sum.processes);
  }
  return statistics;
}

void FillFromCgroup(const ContainerUsage& usage, v1::ResourceStatistics* statistics) {
  // Anything above 2^62 bytes is no limit (v1 writes 0x7FFFFFFFFFFFF000).
  constexpr uint64_t kNoLimit = uint64_t{1} << 62;
  statistics->set_timestamp(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  statistics->clear_cpus_user_time_secs();
  statistics->clear_cpus_system_time_secs();
  statistics->set_cpus_total_time_secs(usage.cpu_seconds);
  statistics->set_mem_rss_bytes(usage.rss_bytes);
  statistics->set_mem_current_bytes(usage.memory_bytes);
  statistics->set_mem_peak_bytes(usage.memory_peak_bytes);
  if (usage.memory_limit_bytes > 0 && usage.memory_limit_bytes < kNoLimit)
    statistics->set_mem_limit_bytes(usage.memory_limit_bytes);
  statistics->set_processes(static_cast<uint32_t>(usage.pids));
}

std::vector<v1::ContainerStatus> ContainerStatistics(const std::vector<LiveContainer>& live) {
  std::vector<v1::ContainerStatus> out;
  out.reserve(live.size());
  std::map<pid_t, uint64_t> sessions;  // The containers /proc has to answer for.
  for (const LiveContainer& container : live) {
    out.push_back(container.status);
    v1::ContainerStatus& status = out.back();
    if (container.isolator != nullptr) {
      absl::StatusOr<ContainerUsage> usage =
          container.isolator->Usage(container.status.container_id().value());
      if (usage.ok()) {
        FillFromCgroup(*usage, status.mutable_statistics());
        status.set_statistics_source("cgroup");
        continue;
      }
    }
    status.set_statistics_source("proc");
    sessions[container.status.pid()] = container.start_ticks;
  }
  std::map<pid_t, v1::ResourceStatistics> statistics = SessionStatistics(sessions);
  for (v1::ContainerStatus& status : out) {
    if (status.statistics_source() != "proc") continue;
    v1::ResourceStatistics limits = status.statistics();
    v1::ResourceStatistics* stats = status.mutable_statistics();
    *stats = statistics[status.pid()];
    stats->set_cpus_total_time_secs(stats->cpus_user_time_secs() + stats->cpus_system_time_secs());
    stats->set_cpus_limit(limits.cpus_limit());
    stats->set_mem_limit_bytes(limits.mem_limit_bytes());
  }
  return out;
}

}  // namespace agora::agent
