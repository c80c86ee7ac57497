// WorkDirLock: one daemon per work directory.
//
// Acquire() takes an exclusive flock(2) on `<dir>/<name>` and writes the
// holder's pid into it. A second daemon pointed at the same directory gets
// FAILED_PRECONDITION naming the lock file and the pid of the holder, so an
// operator sees at once which process to stop. The lock is released by the
// kernel when the process exits (also on kill -9), so a stale file never
// blocks a restart. The descriptor is close-on-exec: children (executors,
// tasks) never inherit the lock.
#ifndef AGORA_COMMON_WORK_DIR_LOCK_HPP_
#define AGORA_COMMON_WORK_DIR_LOCK_HPP_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace agora {

class WorkDirLock {
 public:
  // Locks `dir`/`name` (the directory must exist). `what` names the daemon
  // kind in the error ("agent", "master").
  static absl::StatusOr<std::unique_ptr<WorkDirLock>> Acquire(const std::string& dir,
                                                              const std::string& name,
                                                              const std::string& what);
  ~WorkDirLock();

  WorkDirLock(const WorkDirLock&) = delete;
  WorkDirLock& operator=(const WorkDirLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  WorkDirLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace agora

#endif  // AGORA_COMMON_WORK_DIR_LOCK_HPP_
