#include "shim/shim_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

namespace agora::shim {
namespace {

std::string ErrnoText(const std::string& what, int error_number) {
  return what + ": " + std::strerror(error_number);
}

}  // namespace

bool ReadProcessStamp(pid_t pid, ProcessStamp* stamp, std::string* error) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = ErrnoText(path, errno);
    return false;
  }
  char buffer[1024];
  ssize_t n;
  do {
    n = read(fd, buffer, sizeof(buffer) - 1);
  } while (n < 0 && errno == EINTR);
  int read_errno = errno;
  close(fd);
  if (n < 0) {
    *error = ErrnoText(path, read_errno);
    return false;
  }
  buffer[n] = '\0';
  // The command name (field 2) is in parentheses and may hold spaces or
  // parentheses itself: fields 3.. start after the last ')'.
  char* cursor = std::strrchr(buffer, ')');
  for (int field = 2; cursor != nullptr && field < 22; ++field) {
    cursor = std::strchr(cursor + 1, ' ');
  }
  if (cursor == nullptr) {
    *error = path + ": no field 22 (start time)";
    return false;
  }
  char* end = nullptr;
  errno = 0;
  unsigned long long start_time = std::strtoull(cursor + 1, &end, 10);
  if (errno != 0 || end == cursor + 1) {
    *error = path + ": field 22 (start time) is not a number";
    return false;
  }
  stamp->pid = pid;
  stamp->start_time = start_time;
  return true;
}

StatusWriter::~StatusWriter() {
  if (fd_ >= 0) close(fd_);
}

bool StatusWriter::Write(const std::string& contents, std::string* error) {
  if (fd_ < 0) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      *error = ErrnoText("cannot create " + path_, errno);
      return false;
    }
  }
  bool extends = contents.compare(0, written_.size(), written_) == 0;
  std::string_view more = extends ? std::string_view(contents).substr(written_.size()) : contents;
  off_t offset = extends ? static_cast<off_t>(written_.size()) : 0;
  if (!extends && ftruncate(fd_, 0) != 0) {
    *error = ErrnoText("cannot truncate " + path_, errno);
    return false;
  }
  while (!more.empty()) {
    ssize_t n = pwrite(fd_, more.data(), more.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = ErrnoText("cannot write " + path_, errno);
      return false;
    }
    more.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  written_ = contents;
  return true;
}

int64_t NowUnixMs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace agora::shim
