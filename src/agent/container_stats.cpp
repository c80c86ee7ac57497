#include "agent/container_stats.hpp"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"

namespace agora::agent {

bool ParseProcessUsage(const std::string& stat_line, ProcessUsage* usage) {
  // The command name (field 2) may contain spaces and ')': fields are
  // counted after the last ')'; field N of proc(5) is fields[N - 3].
  size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat_line).substr(close + 1), ' ', absl::SkipEmpty());
  if (fields.size() < 22) return false;
  auto number = [&fields](size_t field) {
    return std::strtoull(std::string(fields[field - 3]).c_str(), nullptr, 10);
  };
  usage->user_ticks = number(14) + number(16);
  usage->system_ticks = number(15) + number(17);
  usage->rss_pages = number(24);
  return true;
}

v1::ResourceStatistics SessionStatistics(pid_t session, uint64_t min_start_ticks) {
  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t kPageBytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  v1::ResourceStatistics statistics;
  statistics.set_timestamp(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  uint64_t user = 0, system = 0, rss = 0;
  uint32_t processes = 0;
  for (pid_t pid : SessionMembers(session, min_start_ticks)) {
    auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    ProcessUsage usage;
    if (!text.ok() || !ParseProcessUsage(*text, &usage)) continue;  // Exited meanwhile.
    user += usage.user_ticks;
    system += usage.system_ticks;
    rss += usage.rss_pages;
    ++processes;
  }
  statistics.set_cpus_user_time_secs(static_cast<double>(user) / kTicksPerSecond);
  statistics.set_cpus_system_time_secs(static_cast<double>(system) / kTicksPerSecond);
  statistics.set_mem_rss_bytes(rss * kPageBytes);
  statistics.set_processes(processes);
  return statistics;
}

}  // namespace agora::agent
