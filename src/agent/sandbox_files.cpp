#include "agent/sandbox_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/validation.hpp"

namespace agora::agent {
namespace {

// realpath(3) of `path`, or the errno that stopped it.
absl::StatusOr<std::string> RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&::free)> resolved(::realpath(path.c_str(), nullptr), &::free);
  if (resolved == nullptr) return absl::ErrnoToStatus(errno, path);
  return std::string(resolved.get());
}

double MtimeSeconds(const struct stat& st) {
  return static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
}

}  // namespace

absl::Status ValidateSandboxPath(const std::string& path) {
  if (!path.empty() && path.front() == '/') {
    return InvalidField(
        "path", absl::StrCat("'", path, "' is absolute; give a path relative to the sandbox"));
  }
  if (path.find('\0') != std::string::npos) return InvalidField("path", "contains a NUL byte");
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (component == "..") {
      return InvalidField("path", absl::StrCat("'", path,
                                               "' has a '..' component; paths stay inside the "
                                               "sandbox"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveInSandbox(const std::string& sandbox, const std::string& path) {
  if (absl::Status valid = ValidateSandboxPath(path); !valid.ok()) return valid;
  absl::StatusOr<std::string> root = RealPath(sandbox);
  if (!root.ok()) {
    return absl::NotFoundError(
        absl::StrCat("the sandbox ", sandbox, " no longer exists (", root.status().message(),
                     "; finished sandboxes are garbage collected after --gc_delay)"));
  }
  if (path.empty()) return *root;
  auto inside = [&root](const std::string& real) {
    return real == *root || real.rfind(*root + "/", 0) == 0;
  };
  absl::StatusOr<std::string> resolved = RealPath(absl::StrCat(*root, "/", path));
  if (!resolved.ok()) {
    if (absl::IsNotFound(resolved.status())) {
      // Whether a file outside exists is none of the caller's business:
      // the longest prefix that exists decides between "outside" and "not
      // found".
      std::string prefix = path;
      while (!prefix.empty()) {
        size_t slash = prefix.rfind('/');
        prefix.resize(slash == std::string::npos ? 0 : slash);
        absl::StatusOr<std::string> real = RealPath(absl::StrCat(*root, "/", prefix));
        if (!real.ok()) continue;
        if (!inside(*real)) break;
        return FieldError(absl::StatusCode::kNotFound, "path",
                          absl::StrCat("no file '", path, "' in the sandbox"));
      }
      if (prefix.empty()) {
        return FieldError(absl::StatusCode::kNotFound, "path",
                          absl::StrCat("no file '", path, "' in the sandbox"));
      }
      return InvalidField("path", absl::StrCat("'", path, "' resolves outside the sandbox"));
    }
    return FieldError(absl::StatusCode::kFailedPrecondition, "path",
                      absl::StrCat("cannot resolve '", path, "': ", resolved.status().message()));
  }
  // A symlink (the sandbox belongs to the task) may point anywhere: what
  // counts is where the path really is.
  if (!inside(*resolved)) {
    return InvalidField("path", absl::StrCat("'", path, "' resolves outside the sandbox"));
  }
  return resolved;
}

namespace {

// Opens `path` inside `sandbox` (see ResolveInSandbox). The task owns its
// sandbox and may swap a directory for a symlink between the check and the
// open: what counts is where the opened descriptor really is.
absl::StatusOr<int> OpenInSandbox(const std::string& sandbox, const std::string& path) {
  absl::StatusOr<std::string> resolved = ResolveInSandbox(sandbox, path);
  if (!resolved.ok()) return resolved.status();
  int fd = ::open(resolved->c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "path",
                      absl::StrCat("cannot open '", path, "': ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> root = RealPath(sandbox);
  absl::StatusOr<std::string> opened = RealPath(absl::StrCat("/proc/self/fd/", fd));
  if (!root.ok() || !opened.ok() || (*opened != *root && opened->rfind(*root + "/", 0) != 0)) {
    ::close(fd);
    return InvalidField("path", absl::StrCat("'", path, "' resolves outside the sandbox"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<v1::ReadFileResponse> ReadSandboxFile(const std::string& sandbox,
                                                     const std::string& path, int64_t offset,
                                                     uint64_t length) {
  if (path.empty()) return InvalidField("path", "must name a file in the sandbox");
  absl::StatusOr<int> opened = OpenInSandbox(sandbox, path);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  struct stat st = {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidField("path", absl::StrCat("'", path, "' is not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t start = 0;
  if (offset < 0) {
    uint64_t back = offset == INT64_MIN ? size : static_cast<uint64_t>(-offset);
    start = back >= size ? 0 : size - back;
  } else {
    start = std::min(static_cast<uint64_t>(offset), size);
  }
  uint64_t want = length == 0 ? kMaxReadLength : std::min(length, kMaxReadLength);
  want = std::min(want, size - start);
  v1::ReadFileResponse response;
  std::string data(want, '\0');
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, data.data() + got, want - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return FieldError(absl::StatusCode::kFailedPrecondition, "path",
                        absl::StrCat("cannot read '", path, "': ", std::strerror(error)));
    }
    if (n == 0) break;  // Truncated meanwhile.
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  response.set_data(std::move(data));
  response.set_offset(start);
  response.set_size(size);
  return response;
}

absl::StatusOr<v1::ListFilesResponse> ListSandboxDirectory(const std::string& sandbox,
                                                           const std::string& path) {
  absl::StatusOr<int> opened = OpenInSandbox(sandbox, path);
  if (!opened.ok()) return opened.status();
  v1::ListFilesResponse response;
  auto add = [&response](const std::string& relative, const struct stat& st) {
    v1::FileInfo* file = response.add_files();
    file->set_path(relative);
    file->set_is_directory(S_ISDIR(st.st_mode));
    file->set_size(S_ISDIR(st.st_mode) ? 0 : static_cast<uint64_t>(st.st_size));
    file->set_mtime(MtimeSeconds(st));
  };
  struct stat st = {};
  if (::fstat(*opened, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (st.st_mode != 0) add(path, st);
    ::close(*opened);
    return response;
  }
  DIR* dir = ::fdopendir(*opened);  // Owns the descriptor from here.
  if (dir == nullptr) {
    int error = errno;
    ::close(*opened);
    return FieldError(absl::StatusCode::kFailedPrecondition, "path",
                      absl::StrCat("cannot list '", path, "': ", std::strerror(error)));
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  const std::string prefix = path.empty() || path.back() == '/' ? path : path + "/";
  for (const std::string& name : names) {
    // Relative to the opened directory, and a symlink is listed as itself:
    // never followed out of the sandbox.
    struct stat entry = {};
    if (::fstatat(::dirfd(dir), name.c_str(), &entry, AT_SYMLINK_NOFOLLOW) == 0)
      add(prefix + name, entry);
  }
  ::closedir(dir);
  return response;
}

}  // namespace agora::agent
