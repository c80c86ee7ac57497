#include "agent/reaper.hpp"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "agent/process_tree.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// The fallback's poll period: only pids without a pidfd are polled.
constexpr int kPollMillis = 10;
constexpr int kMaxEvents = 256;

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

Reaper::Reaper(ExitFn on_exit) : Reaper(std::move(on_exit), Options{}) {}

Reaper::Reaper(ExitFn on_exit, Options options) : on_exit_(std::move(on_exit)), options_(options) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ >= 0) wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  if (epoll_fd_ < 0 || wake_fd_ < 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    // Out of descriptors at start-up: poll every watched pid instead.
    LOG(ERROR) << "Reaper cannot use epoll (" << strerror(errno) << "): polling every "
               << kPollMillis << " ms";
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    wake_fd_ = epoll_fd_ = -1;
    logged_fallback_ = true;
  }
  thread_ = std::thread([this] { Run(); });
}

Reaper::~Reaper() {
  Stop();
  for (const auto& [pidfd, pid] : pidfds_) ::close(pidfd);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Reaper::Watch(pid_t pid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Watched twice before it is reported: reported once.
    if (stop_ || !watched_.insert(pid).second) return;
    pending_.push_back(pid);
  }
  Wake();
}

void Reaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Reaper::Wake() {
  if (wake_fd_ < 0) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
    return;
  }
  uint64_t one = 1;
  // EAGAIN (counter saturated) still leaves the eventfd readable.
  ssize_t rc = ::write(wake_fd_, &one, sizeof(one));
  (void)rc;
}

void Reaper::Run() {
  pthread_setname_np(pthread_self(), "agent-reaper");
  epoll_event events[kMaxEvents];
  while (true) {
    std::vector<std::pair<pid_t, int>> exited;
    std::vector<pid_t> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      pending.swap(pending_);
    }
    for (pid_t pid : pending) StartWatching(pid, &exited);
    PollSlowList(&exited);
    // Report before blocking so that a zombie watched late is not held back.
    Report(exited);
    if (!exited.empty()) continue;

    if (epoll_fd_ < 0) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(kPollMillis),
                   [this] { return stop_ || !pending_.empty(); });
      continue;
    }
    int timeout = poll_list_.empty() ? -1 : kPollMillis;
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, timeout);
    if (n < 0) {
      PCHECK(errno == EINTR) << "epoll_wait";
      continue;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count = 0;
        ssize_t rc = ::read(wake_fd_, &count, sizeof(count));
        (void)rc;  // EAGAIN: another wake-up already drained it.
      } else {
        OnPidfdReadable(fd, &exited);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    Report(exited);
  }
}

void Reaper::Report(const std::vector<std::pair<pid_t, int>>& exited) {
  if (exited.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [pid, status] : exited) watched_.erase(pid);
  }
  for (const auto& [pid, status] : exited) on_exit_(pid, status);
}

void Reaper::StartWatching(pid_t pid, std::vector<std::pair<pid_t, int>>* exited) {
  if (!options_.use_pidfd || epoll_fd_ < 0) {
    poll_list_.insert(pid);
    return;
  }
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0 && errno == ESRCH) {
    // Neither alive nor an unreaped child of ours (pidfd_open works on a
    // zombie child): it is gone already.
    VLOG(1) << "Watched process already gone pid=" << pid;
    exited->emplace_back(pid, 0);
    return;
  }
  if (pidfd < 0) {
    if (!logged_fallback_) {
      LOG(WARNING) << "pidfd_open failed (" << strerror(errno) << ") pid=" << pid
                   << ": polling such processes every " << kPollMillis
                   << " ms instead (logged once)";
      logged_fallback_ = true;
    }
    poll_list_.insert(pid);
    return;
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = pidfd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pidfd, &event) != 0) {
    if (!logged_fallback_) {
      LOG(WARNING) << "epoll_ctl(pidfd) failed (" << strerror(errno) << ") pid=" << pid
                   << ": polling such processes every " << kPollMillis
                   << " ms instead (logged once)";
      logged_fallback_ = true;
    }
    ::close(pidfd);
    poll_list_.insert(pid);
    return;
  }
  pidfds_[pidfd] = pid;
}

void Reaper::OnPidfdReadable(int pidfd, std::vector<std::pair<pid_t, int>>* exited) {
  auto it = pidfds_.find(pidfd);
  if (it == pidfds_.end()) return;
  pid_t pid = it->second;
  pidfds_.erase(it);
  // Closing the pidfd also removes it from the epoll set.
  ::close(pidfd);
  int status = 0;
  pid_t rc = ::waitpid(pid, &status, WNOHANG);
  if (rc == pid) {
    exited->emplace_back(pid, status);
  } else if (rc < 0 && errno == ECHILD) {
    exited->emplace_back(pid, 0);  // Not our child: no status to collect.
  } else {
    // Exited but not yet waitable (should not happen): the poll list will
    // reap it shortly rather than spinning on a level-triggered pidfd.
    poll_list_.insert(pid);
  }
}

void Reaper::PollSlowList(std::vector<std::pair<pid_t, int>>* exited) {
  for (auto it = poll_list_.begin(); it != poll_list_.end();) {
    int status = 0;
    pid_t rc = ::waitpid(*it, &status, WNOHANG);
    // A pid that is not our child is watched through /proc until it
    // disappears (or is a zombie awaiting its parent).
    bool gone = rc == *it || (rc < 0 && errno == ECHILD && ProcessStartTicks(*it) == 0);
    if (gone) {
      exited->emplace_back(*it, rc == *it ? status : 0);
      it = poll_list_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace agora::agent
