#include "common/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace agora {
namespace {

// Fields of /proc/self/stat after the command name, which may hold spaces
// and parentheses: split after the last ')'. Field 3 (state) is index 0.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
}

// Seconds since the epoch at boot, from /proc/stat's btime.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

int OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // The directory stream's own fd.
}

}  // namespace

void AddProcessMetrics(MetricsText* out) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::vector<std::string> stat = StatFields();
  // utime, stime: fields 14, 15; starttime: 22; vsize: 23; rss: 24 (pages).
  auto field = [&stat](int number, double* value) {
    size_t index = static_cast<size_t>(number - 3);
    return index < stat.size() && absl::SimpleAtod(stat[index], value);
  };
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (ticks > 0 && field(14, &utime) && field(15, &stime)) {
    out->Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                 (utime + stime) / ticks);
  }
  if (field(24, &rss)) {
    out->Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss * page);
  }
  if (field(23, &vsize)) {
    out->Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize);
  }
  if (int fds = OpenFds(); fds >= 0) {
    out->Gauge("process_open_fds", "Number of open file descriptors.", fds);
  }
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    out->Gauge("process_max_fds", "Maximum number of open file descriptors.",
               static_cast<double>(limit.rlim_cur));
  }
  double boot = BootTime();
  if (ticks > 0 && boot >= 0 && field(22, &start)) {
    out->Gauge("process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", boot + start / ticks);
  }
}

}  // namespace agora
