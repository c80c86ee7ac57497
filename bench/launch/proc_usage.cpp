#include "launch/proc_usage.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace agora::bench {
namespace {

struct Stat {
  pid_t ppid = 0;
  long utime = 0, stime = 0, cutime = 0, cstime = 0;  // Clock ticks.
};

// Parses /proc/<pid>/stat; false if the process is gone.
bool ReadStat(pid_t pid, Stat* out) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return false;
  // The command name (field 2) may hold spaces; fields resume after ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string state;
  long skip = 0;
  rest >> state >> out->ppid;
  for (int field = 5; field <= 13; ++field) rest >> skip;  // pgrp .. cmajflt
  rest >> out->utime >> out->stime >> out->cutime >> out->cstime;
  return static_cast<bool>(rest);
}

std::map<pid_t, Stat> AllProcesses() {
  std::map<pid_t, Stat> processes;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return processes;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    Stat stat;
    if (ReadStat(static_cast<pid_t>(pid), &stat)) processes[static_cast<pid_t>(pid)] = stat;
  }
  ::closedir(proc);
  return processes;
}

std::vector<pid_t> DescendantsIn(const std::map<pid_t, Stat>& processes, pid_t root) {
  std::multimap<pid_t, pid_t> children;  // ppid -> pid
  for (const auto& [pid, stat] : processes) children.emplace(stat.ppid, pid);
  std::vector<pid_t> found;
  std::vector<pid_t> pending = {root};
  while (!pending.empty()) {
    pid_t parent = pending.back();
    pending.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      pending.push_back(it->second);
    }
  }
  return found;
}

}  // namespace

CpuSample SampleCpu(const std::vector<pid_t>& roots) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::map<pid_t, Stat> processes = AllProcesses();
  CpuSample sample;
  for (pid_t root : roots) {
    auto it = processes.find(root);
    if (it == processes.end()) continue;
    sample.self_seconds += (it->second.utime + it->second.stime) / ticks;
    sample.reaped_seconds += (it->second.cutime + it->second.cstime) / ticks;
    for (pid_t pid : DescendantsIn(processes, root)) {
      const Stat& stat = processes[pid];
      sample.live_seconds += (stat.utime + stat.stime) / ticks;
      ++sample.live_descendants;
    }
  }
  return sample;
}

std::vector<pid_t> Descendants(pid_t root) { return DescendantsIn(AllProcesses(), root); }

double RssMiB(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}

double LoadAverage() {
  std::ifstream file("/proc/loadavg");
  double load = 0;
  file >> load;
  return load;
}

}  // namespace agora::bench
