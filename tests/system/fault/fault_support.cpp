#include "tests/system/fault/fault_support.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

std::unique_ptr<FrameworkProcess> FrameworkProcess::Start(ProcessCluster* cluster,
                                                          const std::vector<std::string>& flags,
                                                          const std::string& log_name) {
  std::vector<std::string> argv = {BinaryPath("recording_framework"),
                                   "--master=" + cluster->master_address()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = cluster->Spawn(argv, log_name);
  if (!process.ok()) return nullptr;
  auto framework = std::unique_ptr<FrameworkProcess>(new FrameworkProcess());
  framework->process_ = std::move(*process);
  return framework;
}

std::vector<SeenUpdate> FrameworkProcess::Updates() const {
  std::vector<SeenUpdate> updates;
  std::istringstream lines(process_->Log());
  std::string line;
  while (std::getline(lines, line)) {
    if (!absl::StartsWith(line, "UPDATE ")) continue;
    std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits(' ', 5));
    if (fields.size() < 5) continue;
    updates.push_back(
        SeenUpdate{fields[1], fields[2], fields[3], fields[4], fields.size() > 5 ? fields[5] : ""});
  }
  return updates;
}

int FrameworkProcess::Count(const std::string& state, const std::string& task_id) const {
  int count = 0;
  for (const SeenUpdate& update : Updates()) {
    if (update.state == state && (task_id.empty() || update.task_id == task_id)) ++count;
  }
  return count;
}

int FrameworkProcess::TasksSeenIn(const std::string& state) const {
  std::set<std::string> tasks;
  for (const SeenUpdate& update : Updates()) {
    if (update.state == state) tasks.insert(update.task_id);
  }
  return static_cast<int>(tasks.size());
}

bool FrameworkProcess::WaitTasksIn(const std::string& state, int n, absl::Duration timeout) {
  return WaitFor([&] { return TasksSeenIn(state) >= n; }, timeout, absl::Milliseconds(50));
}

std::string FrameworkProcess::framework_id() const {
  std::istringstream lines(process_->Log());
  std::string line;
  while (std::getline(lines, line)) {
    if (absl::StartsWith(line, "SUBSCRIBED ") && line != "SUBSCRIBED again") return line.substr(11);
  }
  return "";
}

std::vector<pid_t> LiveProcessesWith(const std::string& marker) {
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    if (pid == ::getpid()) continue;
    std::string cmdline = NulsToSpaces(ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline")));
    if (cmdline.find(marker) == std::string::npos) continue;
    char state = ProcessState(pid);
    if (state != 0 && state != 'Z') found.push_back(pid);
  }
  return found;
}

pid_t ExecutorPid(const std::string& executor_id) {
  const std::string wanted = "AGORA_EXECUTOR_ID=" + executor_id;
  for (pid_t pid : AllPids()) {
    std::string cmdline = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
    if (cmdline.find("agora-executor") == std::string::npos) continue;
    std::string environ = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/environ"));
    for (absl::string_view entry : absl::StrSplit(environ, '\0')) {
      if (entry == wanted && ProcessState(pid) != 'Z') return pid;
    }
  }
  return -1;
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

bool MountTmpfs(const std::string& dir, size_t bytes, std::string* why) {
  std::filesystem::create_directories(dir);
  std::string options = absl::StrCat("size=", bytes);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    *why = absl::StrCat("cannot mount a tmpfs on ", dir, ": ", std::strerror(errno),
                        " (needs root / CAP_SYS_ADMIN)");
    return false;
  }
  return true;
}

void UnmountTmpfs(const std::string& dir) { ::umount2(dir.c_str(), MNT_DETACH); }

void FillFileSystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string block(64 * 1024, '\0');
  while (true) {
    ssize_t n = ::write(fd, block.data(), block.size());
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // A partial last block: fill the remainder byte by byte.
      if (block.size() > 1) {
        block.resize(block.size() / 2);
        continue;
      }
      break;
    }
  }
  ::fsync(fd);
  ::close(fd);
}

}  // namespace agora::testing
