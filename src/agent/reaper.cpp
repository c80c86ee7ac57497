#include "agent/reaper.hpp"

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

#include <chrono>
#include <vector>

#include "agent/process_tree.hpp"

namespace agora::agent {

Reaper::Reaper(ExitFn on_exit) : on_exit_(std::move(on_exit)) {
  thread_ = std::thread([this] { Run(); });
}

Reaper::~Reaper() { Stop(); }

void Reaper::Watch(pid_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  pids_.insert(pid);
  cv_.notify_all();
}

void Reaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Reaper::Run() {
  pthread_setname_np(pthread_self(), "agent-reaper");
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::vector<std::pair<pid_t, int>> exited;
    for (auto it = pids_.begin(); it != pids_.end();) {
      int status = 0;
      pid_t rc = ::waitpid(*it, &status, WNOHANG);
      // A pid that is not our child (an executor adopted after an agent
      // restart) is watched through /proc until it disappears.
      bool gone = rc == *it || (rc < 0 && errno == ECHILD && ProcessStartTicks(*it) == 0);
      if (gone) {
        exited.emplace_back(*it, rc == *it ? status : 0);
        it = pids_.erase(it);
      } else {
        ++it;
      }
    }
    if (!exited.empty()) {
      lock.unlock();
      for (const auto& [pid, status] : exited) on_exit_(pid, status);
      lock.lock();
      continue;
    }
    // Children exit rarely; a short poll keeps exit latency low without a
    // process-wide SIGCHLD handler (the agent is embeddable).
    cv_.wait_for(lock, std::chrono::milliseconds(pids_.empty() ? 500 : 10));
  }
}

}  // namespace agora::agent
