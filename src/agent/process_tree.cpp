#include "agent/process_tree.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/checkpoint.hpp"

namespace agora::agent {
namespace {

constexpr int kMaxKillPasses = 10;

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (struct dirent* entry = ::readdir(proc)) {
    int pid = 0;
    if (absl::SimpleAtoi(entry->d_name, &pid) && pid > 0) pids.push_back(pid);
  }
  ::closedir(proc);
  return pids;
}

}  // namespace

bool ReadProcessStat(pid_t pid, ProcessStat* stat) {
  if (pid <= 0) return false;
  auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return false;
  // The command name (field 2) may contain spaces and ')': parse after the
  // last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string> fields;
  size_t pos = close + 2;
  while (pos < text->size()) {
    size_t space = text->find(' ', pos);
    if (space == std::string::npos) space = text->size();
    fields.push_back(text->substr(pos, space - pos));
    pos = space + 1;
  }
  // fields[0] is field 3 (state), fields[3] field 6 (session), fields[19]
  // field 22 (starttime).
  if (fields.size() < 20 || fields[0].empty()) return false;
  stat->pid = pid;
  stat->state = fields[0][0];
  stat->session = static_cast<pid_t>(std::strtol(fields[3].c_str(), nullptr, 10));
  stat->start_ticks = std::strtoull(fields[19].c_str(), nullptr, 10);
  return true;
}

std::vector<pid_t> SessionMembers(pid_t session, uint64_t min_start_ticks) {
  std::vector<pid_t> members;
  if (session <= 1) return members;
  for (pid_t pid : AllPids()) {
    ProcessStat stat;
    if (!ReadProcessStat(pid, &stat) || stat.state == 'Z' || stat.session != session) continue;
    if (stat.start_ticks < min_start_ticks) continue;
    members.push_back(pid);
  }
  return members;
}

uint64_t ProcessStartTicks(pid_t pid) {
  ProcessStat stat;
  if (!ReadProcessStat(pid, &stat) || stat.state == 'Z') return 0;
  return stat.start_ticks;
}

int KillSession(pid_t session, uint64_t min_start_ticks, pid_t spare) {
  if (session <= 1 || session == ::getsid(0)) return 0;  // Never our own.
  int signalled = 0;
  for (int pass = 0; pass < kMaxKillPasses; ++pass) {
    std::vector<pid_t> members = SessionMembers(session, min_start_ticks);
    if (spare != 0)
      members.erase(std::remove(members.begin(), members.end(), spare), members.end());
    if (members.empty()) break;
    for (pid_t pid : members) {
      if (::kill(pid, SIGKILL) == 0) signalled++;
    }
  }
  return signalled;
}

int KillSandboxSessions(const std::string& sandbox, bool* found) {
  std::vector<pid_t> pids = ProcessesWithEnvironment("AGORA_SANDBOX", sandbox, /*exact=*/true);
  if (found != nullptr) *found = !pids.empty();
  int killed = 0;
  for (pid_t pid : pids) {
    ProcessStat stat;
    if (ReadProcessStat(pid, &stat)) killed += KillSession(stat.session, stat.start_ticks);
  }
  return killed;
}

std::vector<pid_t> ProcessesWithEnvironment(const std::string& name, const std::string& value,
                                            bool exact) {
  std::vector<pid_t> found;
  const std::string needle = name + "=" + value;
  for (pid_t pid : AllPids()) {
    if (pid == ::getpid()) continue;
    auto environ = ReadFile(absl::StrCat("/proc/", pid, "/environ"));
    if (!environ.ok()) continue;
    size_t pos = 0;
    while (pos < environ->size()) {
      size_t end = environ->find('\0', pos);
      if (end == std::string::npos) end = environ->size();
      absl::string_view entry = absl::string_view(*environ).substr(pos, end - pos);
      if (exact ? entry == needle : absl::StartsWith(entry, needle)) {
        found.push_back(pid);
        break;
      }
      pos = end + 1;
    }
  }
  return found;
}

}  // namespace agora::agent
