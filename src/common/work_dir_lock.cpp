#include "common/work_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace agora {

absl::StatusOr<std::unique_ptr<WorkDirLock>> WorkDirLock::Acquire(const std::string& dir,
                                                                  const std::string& name,
                                                                  const std::string& what) {
  const std::string path = absl::StrCat(dir, "/", name);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("work_dir: cannot open lock file ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buffer[32] = {};
    ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
    ::close(fd);
    std::string holder =
        n > 0 ? std::string(absl::StripAsciiWhitespace(absl::string_view(buffer, n))) : "";
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("work_dir: ", dir, " is in use by another ", what,
                       holder.empty() ? "" : absl::StrCat(" (pid ", holder, ")"), "; lock file ",
                       path, ". Stop that process or use another --work_dir"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("work_dir: cannot lock ", path, ": ", std::strerror(error)));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds regardless; the pid is only a hint for operators.
  }
  return std::unique_ptr<WorkDirLock>(new WorkDirLock(path, fd));
}

WorkDirLock::~WorkDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace agora
