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
