#include "agent/cgroup_owners.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace agora::agent {
namespace {

constexpr char kOwnerSuffix[] = ".owner";

// True if `fd` is still the file at `path` (not unlinked or replaced by a
// sweeper while we waited for its lock).
bool StillAt(int fd, const std::string& path) {
  struct stat held {};
  struct stat named {};
  return fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

int LockFile(int fd, int operation) {
  int rc;
  do {
    rc = flock(fd, operation);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  while (true) {
    ssize_t n = pread(fd, buffer, sizeof(buffer), offset);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

bool HasProcesses(const std::string& cgroup) {
  std::ifstream procs(cgroup + "/cgroup.procs");
  std::string line;
  return static_cast<bool>(std::getline(procs, line)) && !line.empty();
}

// Removes the cgroups below `dir` that hold no process: its pool entries,
// and with `containers_too` its container cgroups as well.
void RemoveEmptyChildren(const std::string& dir, bool containers_too) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_directory(error)) continue;
    if (!containers_too && !IsCgroupPoolEntry(entry.path().filename().string())) continue;
    std::string child = entry.path().string();
    if (!HasProcesses(child)) rmdir(child.c_str());
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<CgroupOwnership>> CgroupOwnership::Claim(
    const std::string& owners_dir, const std::string& subdir, const std::string& work_dir) {
  std::error_code error;
  std::filesystem::create_directories(owners_dir, error);
  if (error)
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create cgroup owners directory ", owners_dir, ": ", error.message()));
  std::string path = absl::StrCat(owners_dir, "/", subdir, kOwnerSuffix);
  // A sweeper that removes the file does so while holding its lock: the
  // lock we then get is on a removed file, so open it again.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return absl::FailedPreconditionError(
          absl::StrCat("cannot open cgroup owner file ", path, ": ", strerror(errno)));
    // A sweeper holds it for a few rmdirs; anything longer is another live
    // process with the same directories.
    int locked = -1;
    for (int wait = 0; wait < 200 && (locked = LockFile(fd, LOCK_EX | LOCK_NB)) != 0; ++wait) {
      if (errno != EWOULDBLOCK) break;
      usleep(10 * 1000);
    }
    if (locked != 0) {
      int saved = errno;
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot lock cgroup owner file ", path, ": ",
                       saved == EWOULDBLOCK ? "another live process holds it" : strerror(saved)));
    }
    if (!StillAt(fd, path)) {
      close(fd);
      continue;
    }
    auto ownership = std::unique_ptr<CgroupOwnership>(new CgroupOwnership(path, work_dir, fd));
    if (auto recorded = ownership->Record({}); !recorded.ok()) return recorded;
    return ownership;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot claim cgroup owner file ", path, ": it keeps being replaced"));
}

CgroupOwnership::~CgroupOwnership() {
  bool any_left = false;
  for (const std::string& dir : dirs_) any_left = any_left || access(dir.c_str(), F_OK) == 0;
  if (!dirs_.empty() && !any_left) unlink(path_.c_str());
  close(fd_);
}

absl::Status CgroupOwnership::Record(const std::vector<std::string>& dirs) {
  dirs_ = dirs;
  std::string text = work_dir_ + "\n";
  for (const std::string& dir : dirs) absl::StrAppend(&text, dir, "\n");
  if (ftruncate(fd_, 0) != 0 ||
      pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write cgroup owner file ", path_, ": ", strerror(errno)));
  return absl::OkStatus();
}

bool IsCgroupPoolEntry(const std::string& name) {
  constexpr char kPrefix[] = "pool-";
  constexpr size_t kPrefixSize = sizeof(kPrefix) - 1;
  if (name.size() <= kPrefixSize || name.compare(0, kPrefixSize, kPrefix) != 0) return false;
  for (size_t i = kPrefixSize; i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

CgroupSweep SweepDeadCgroupOwners(const std::string& owners_dir, const std::string& own_subdir,
                                  const std::string& only_work_dir, bool remove_empty_containers) {
  CgroupSweep sweep;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(owners_dir, error)) {
    std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, kOwnerSuffix)) continue;
    if (name == own_subdir + kOwnerSuffix) continue;
    std::string path = entry.path().string();
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    if (LockFile(fd, LOCK_EX | LOCK_NB) != 0) {
      sweep.live_owners++;  // Its agent runs.
      close(fd);
      continue;
    }
    std::vector<std::string> lines = absl::StrSplit(ReadAll(fd), '\n', absl::SkipEmpty());
    bool selected = only_work_dir.empty() || (!lines.empty() && lines[0] == only_work_dir);
    if (!StillAt(fd, path) || !selected) {
      close(fd);
      continue;
    }
    bool all_gone = true;
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string& dir = lines[i];
      RemoveEmptyChildren(dir, remove_empty_containers);
      if (rmdir(dir.c_str()) == 0) {
        sweep.removed.push_back(dir);
      } else if (errno != ENOENT) {
        all_gone = false;
        sweep.kept.push_back(
            absl::StrCat(dir, " (of the dead agent with work_dir ", lines[0], "): ",
                         errno == EBUSY || errno == ENOTEMPTY ? "it still holds container cgroups"
                                                              : strerror(errno)));
      }
    }
    // Removed while locked: a new claimer of the name re-opens (Claim).
    if (all_gone) unlink(path.c_str());
    close(fd);
  }
  return sweep;
}

}  // namespace agora::agent
