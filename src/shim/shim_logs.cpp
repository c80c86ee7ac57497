#include "shim/shim_logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace agora::shim {
namespace {

std::string Reason(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

RotatingLog::RotatingLog(std::string path, uint64_t max_size, int max_files, uid_t uid, gid_t gid)
    : path_(std::move(path)), max_size_(max_size), max_files_(max_files), uid_(uid), gid_(gid) {}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) close(fd_);
}

bool RotatingLog::Open(std::string* error) { return OpenFile(0, error); }

bool RotatingLog::OpenFile(int extra_flags, std::string* error) {
  if (fd_ >= 0) close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags, 0644);
  if (fd_ < 0) {
    *error = Reason("cannot open log file " + path_);
    return false;
  }
  struct stat info {};
  size_ = fstat(fd_, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
  if (uid_ != static_cast<uid_t>(-1) && fchown(fd_, uid_, gid_) != 0) {
    *error = Reason("cannot give log file " + path_ + " to uid " + std::to_string(uid_));
    return false;
  }
  if (mirror_fd_ >= 0) dup2(fd_, mirror_fd_);
  return true;
}

bool RotatingLog::Rotate(std::string* error) {
  if (max_files_ > 1) {
    // stdout.(N-2) -> stdout.(N-1) first, so each rename overwrites the
    // file that is one step too old.
    for (int i = max_files_ - 1; i >= 2; --i) {
      std::string from = path_ + "." + std::to_string(i - 1);
      std::string to = path_ + "." + std::to_string(i);
      if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        *error = Reason("cannot rotate log file " + from + " to " + to);
        return false;
      }
    }
    std::string first = path_ + ".1";
    if (rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT) {
      *error = Reason("cannot rotate log file " + path_ + " to " + first);
      return false;
    }
  }
  return OpenFile(O_TRUNC, error);
}

bool RotatingLog::WriteAll(const char* data, size_t size, std::string* error) {
  while (size > 0) {
    ssize_t n = write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = Reason("cannot write log file " + path_);
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  return true;
}

bool RotatingLog::Write(const char* data, size_t size, std::string* error) {
  if (fd_ < 0) {
    *error = "log file " + path_ + " is not open";
    return false;
  }
  if (max_size_ == 0) return WriteAll(data, size, error);  // no cap (not used by the shim)
  while (size > 0) {
    uint64_t room = size_ < max_size_ ? max_size_ - size_ : 0;
    if (room == 0) {
      if (!Rotate(error)) return false;
      continue;
    }
    if (size <= room) return WriteAll(data, size, error);
    // Too much for this file: end it after the last whole line that fits,
    // else fill it.
    size_t take = static_cast<size_t>(room);
    const void* newline = memrchr(data, '\n', take);
    if (newline != nullptr) take = static_cast<const char*>(newline) - data + 1;
    if (!WriteAll(data, take, error)) return false;
    data += take;
    size -= take;
    if (!Rotate(error)) return false;
  }
  return true;
}

LogCopier::~LogCopier() {
  for (const Stream& stream : streams_) {
    if (stream.fd >= 0) close(stream.fd);
  }
}

void LogCopier::Add(int pipe_fd, RotatingLog* log) {
  fcntl(pipe_fd, F_SETFL, fcntl(pipe_fd, F_GETFL) | O_NONBLOCK);
  streams_.push_back(Stream{pipe_fd, log});
}

std::vector<int> LogCopier::OpenPipes() const {
  std::vector<int> fds;
  for (const Stream& stream : streams_) {
    if (stream.fd >= 0) fds.push_back(stream.fd);
  }
  return fds;
}

ssize_t LogCopier::ReadOnce(Stream& stream, bool* open) {
  *open = true;
  ssize_t n = 0;
  do {
    n = read(stream.fd, buffer_.data(), buffer_.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return 0;
  if (n <= 0) {
    // EOF: every writer is gone. A read error cannot be retried usefully.
    close(stream.fd);
    stream.fd = -1;
    *open = false;
    return 0;
  }
  std::string error;
  if (!stream.log->Write(buffer_.data(), static_cast<size_t>(n), &error) && first_error_.empty()) {
    first_error_ = error;
  }
  return n;
}

void LogCopier::Pump(int pipe_fd) {
  for (Stream& stream : streams_) {
    bool open = true;
    if (stream.fd == pipe_fd) ReadOnce(stream, &open);
  }
}

void LogCopier::DrainAfterExit() {
  for (Stream& stream : streams_) {
    if (stream.fd < 0) continue;
    int capacity = fcntl(stream.fd, F_GETPIPE_SZ);
    uint64_t limit = capacity > 0 ? static_cast<uint64_t>(capacity) : 1u << 20;
    uint64_t copied = 0;
    bool open = true;
    while (open && copied < limit) {
      ssize_t n = ReadOnce(stream, &open);
      if (n == 0) break;  // empty (EAGAIN) or EOF
      copied += static_cast<uint64_t>(n);
    }
  }
}

}  // namespace agora::shim
