#include "shim/shim_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace agora::shim {
namespace {

std::string ErrnoText(const std::string& what, int error_number) {
  return what + ": " + std::strerror(error_number);
}

bool WriteAll(int fd, const std::string& contents) {
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
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

bool WriteFileAtomically(const std::string& path, const std::string& contents, std::string* error) {
  std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoText("cannot create " + temp, errno);
    return false;
  }
  if (!WriteAll(fd, contents)) {
    *error = ErrnoText("cannot write " + temp, errno);
    close(fd);
    unlink(temp.c_str());
    return false;
  }
  if (close(fd) != 0) {
    *error = ErrnoText("cannot write " + temp, errno);
    unlink(temp.c_str());
    return false;
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    *error = ErrnoText("cannot rename " + temp + " to " + path, errno);
    unlink(temp.c_str());
    return false;
  }
  return true;
}

int64_t NowUnixMs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace agora::shim
