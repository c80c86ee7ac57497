#include "tests/support/process_scan.hpp"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/subprocess.hpp"

namespace agora::testing {
namespace {

// The process state letter from /proc/PID/stat ('Z' for zombies), or 0.
char ProcessState(pid_t pid) {
  std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  return stat[close + 2];
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    int pid = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

std::string NulsToSpaces(std::string text) {
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

}  // namespace

std::vector<pid_t> LiveProcessesWith(const std::string& marker) {
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    if (pid == ::getpid()) continue;
    std::string cmdline = NulsToSpaces(ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline")));
    if (cmdline.rfind(marker, 0) != 0) continue;
    char state = ProcessState(pid);
    if (state != 0 && state != 'Z') found.push_back(pid);
  }
  return found;
}

pid_t ExecutorPid(const std::string& executor_id) {
  const std::string wanted = "AGORA_EXECUTOR_ID=" + executor_id;
  for (pid_t pid : AllPids()) {
    std::string cmdline = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.find("agora-executor") == std::string::npos &&
        cmdline.find("agora-shim") == std::string::npos)
      continue;
    std::string environ = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/environ"));
    for (absl::string_view entry : absl::StrSplit(environ, '\0')) {
      if (entry == wanted && ProcessState(pid) != 'Z') return pid;
    }
  }
  return -1;
}

std::vector<pid_t> ProcessesWithEnvironmentPrefix(const std::string& name,
                                                  const std::string& prefix) {
  const std::string wanted = name + "=" + prefix;
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    if (pid == ::getpid() || ProcessState(pid) == 'Z') continue;
    std::string environ = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/environ"));
    for (absl::string_view entry : absl::StrSplit(environ, '\0')) {
      if (absl::StartsWith(entry, wanted)) {
        found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

std::vector<int> OpenDescriptors(pid_t pid) {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), ec)) {
    int fd = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &fd)) fds.push_back(fd);
  }
  return fds;
}

}  // namespace agora::testing
