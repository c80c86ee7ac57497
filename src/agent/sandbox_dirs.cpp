#include "agent/sandbox_dirs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"

namespace agora::agent {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// An old-layout sandbox: the executor directory is itself the run.
bool IsOldLayoutSandbox(const std::string& executor_dir) {
  return Exists(executor_dir + "/stdout") || Exists(executor_dir + "/stderr") ||
         Exists(executor_dir + kFinishedMarker);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> Subdirectories(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code type_error;
    if (it->is_directory(type_error) && !it->is_symlink(type_error))
      names.push_back(it->path().filename().string());
  }
  return names;
}

// The AGORA_SANDBOX values of live processes running in a sandbox under
// `sandboxes_dir`.
std::set<std::string> LiveSandboxes(const std::string& sandboxes_dir) {
  std::set<std::string> live;
  const std::string needle = "AGORA_SANDBOX=";
  for (pid_t pid : ProcessesWithEnvironment("AGORA_SANDBOX", sandboxes_dir + "/")) {
    ProcessStat stat;
    if (!ReadProcessStat(pid, &stat) || stat.state == 'Z') continue;
    auto environ = ReadFile(absl::StrCat("/proc/", pid, "/environ"));
    if (!environ.ok()) continue;
    for (size_t pos = 0; pos < environ->size();) {
      size_t end = environ->find('\0', pos);
      if (end == std::string::npos) end = environ->size();
      absl::string_view entry = absl::string_view(*environ).substr(pos, end - pos);
      if (absl::StartsWith(entry, needle)) live.insert(std::string(entry.substr(needle.size())));
      pos = end + 1;
    }
  }
  return live;
}

}  // namespace

absl::Status WriteFinishedMarker(const std::string& sandbox, absl::Time finished) {
  if (!IsDirectory(sandbox))
    return absl::NotFoundError(absl::StrCat("sandbox ", sandbox, " does not exist"));
  const std::string path = sandbox + kFinishedMarker;
  std::string text =
      absl::StrCat(absl::FormatTime(absl::RFC3339_full, finished, absl::UTCTimeZone()), "\n");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  ssize_t written = ::write(fd, text.data(), text.size());
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (written != static_cast<ssize_t>(text.size())) return Errno("write", path);
  return absl::OkStatus();
}

std::optional<absl::Time> ReadFinishedMarker(const std::string& sandbox) {
  auto text = ReadFile(sandbox + kFinishedMarker);
  if (!text.ok()) return std::nullopt;
  absl::Time finished;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, absl::StripAsciiWhitespace(*text), &finished, &error))
    return std::nullopt;
  return finished;
}

std::string RunSandboxPath(const std::string& executor_dir, const std::string& run_id) {
  return absl::StrCat(executor_dir, "/", run_id);
}

std::string LatestRunPath(const std::string& executor_dir) { return executor_dir + "/latest"; }

absl::Status PrepareSandbox(const std::string& sandbox) {
  absl::Status made = MakeDirs(sandbox);
  if (!made.ok()) made = MakeDirs(sandbox);
  if (!made.ok()) return made;
  const std::string executor_dir = Parent(sandbox);
  for (const std::string& marker : {sandbox + kFinishedMarker, executor_dir + kFinishedMarker}) {
    if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return Errno("unlink", marker);
  }
  // Replaced in one rename: readers never see it missing.
  const std::string latest = LatestRunPath(executor_dir);
  const std::string temporary = latest + ".new";
  ::unlink(temporary.c_str());
  if (::symlink(Basename(sandbox).c_str(), temporary.c_str()) != 0)
    return Errno("symlink", temporary);
  if (::rename(temporary.c_str(), latest.c_str()) != 0) return Errno("rename", latest);
  return absl::OkStatus();
}

uint64_t DiskBytes(const std::string& path) {
  uint64_t bytes = 0;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (::lstat(it->path().c_str(), &st) == 0) bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return bytes;
}

absl::StatusOr<DiskSpace> StatDisk(const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) return Errno("statvfs", path);
  DiskSpace space;
  space.free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  space.total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  return space;
}

std::vector<ScannedSandbox> ScanSandboxes(const std::string& sandboxes_dir) {
  std::vector<ScannedSandbox> found;
  std::set<std::string> live = LiveSandboxes(sandboxes_dir);
  for (const std::string& framework_id : Subdirectories(sandboxes_dir)) {
    const std::string framework_dir = absl::StrCat(sandboxes_dir, "/", framework_id);
    for (const std::string& executor_id : Subdirectories(framework_dir)) {
      const std::string executor_dir = absl::StrCat(framework_dir, "/", executor_id);
      std::vector<std::string> paths;
      if (IsOldLayoutSandbox(executor_dir)) paths.push_back(executor_dir);
      for (const std::string& run_id : Subdirectories(executor_dir))
        paths.push_back(RunSandboxPath(executor_dir, run_id));
      for (std::string& path : paths) {
        ScannedSandbox sandbox;
        sandbox.framework_id = framework_id;
        sandbox.executor_id = executor_id;
        sandbox.path = std::move(path);
        sandbox.finished = ReadFinishedMarker(sandbox.path);
        // An old-layout sandbox's size includes its runs (an estimate).
        sandbox.bytes = DiskBytes(sandbox.path);
        sandbox.live = live.count(sandbox.path) != 0;
        found.push_back(std::move(sandbox));
      }
    }
  }
  return found;
}

absl::Status RemoveFinishedSandbox(const std::string& sandboxes_dir, const std::string& sandbox,
                                   absl::Time finished) {
  if (!IsDirectory(sandbox))
    return absl::NotFoundError(absl::StrCat("sandbox ", sandbox, " is already gone"));
  std::optional<absl::Time> marked = ReadFinishedMarker(sandbox);
  if (!marked || *marked != finished) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox ", sandbox, " is in use again (its finished marker changed)"));
  }
  std::error_code error;
  std::filesystem::remove_all(sandbox, error);
  if (error)
    return absl::InternalError(absl::StrCat("cannot remove ", sandbox, ": ", error.message()));
  const std::string latest = LatestRunPath(Parent(sandbox));
  char target[4096];
  ssize_t length = ::readlink(latest.c_str(), target, sizeof(target) - 1);
  if (length > 0 && std::string(target, length) == Basename(sandbox)) ::unlink(latest.c_str());
  // Each succeeds only once the executor's last run, then the framework's
  // last executor, is gone.
  for (std::string dir = Parent(sandbox);
       absl::StartsWith(dir, sandboxes_dir + "/") && ::rmdir(dir.c_str()) == 0; dir = Parent(dir)) {
  }
  return absl::OkStatus();
}

}  // namespace agora::agent
