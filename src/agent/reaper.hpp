// Reaper: learns when watched processes exit without blocking the event loop
// and without polling them.
//
// One thread blocks in epoll_wait on a pidfd per watched pid (plus an
// eventfd that wakes it for Watch/Stop). A readable pidfd means the process
// exited: a child of ours is reaped with waitpid and reported with its wait
// status; a process that is not our child (an executor adopted after an
// agent restart) is reported with status 0. Only watched pids are waited for:
// an in-process test may run several agents and other children.
//
// Where pidfd_open fails (ENOSYS on an old kernel, EMFILE when out of file
// descriptors...) the pid goes on a slow poll list instead (waitpid WNOHANG
// for children, /proc for the others), and the reason is logged once. Where
// even epoll cannot be set up, every pid is polled.
//
// `on_exit(pid, wait_status)` runs on the reaper thread, once per watched
// pid; the agent's callback posts to its loop. Watch() and Stop() are
// thread-safe; the destructor stops the thread.
#ifndef AGORA_AGENT_REAPER_HPP_
#define AGORA_AGENT_REAPER_HPP_

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace agora::agent {

class Reaper {
 public:
  using ExitFn = std::function<void(pid_t pid, int wait_status)>;

  struct Options {
    // False: every pid goes on the poll list (tests of the fallback).
    bool use_pidfd = true;
  };

  explicit Reaper(ExitFn on_exit);
  Reaper(ExitFn on_exit, Options options);
  ~Reaper();

  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Reports `pid` once it exits, or at once if it already has (a zombie
  // child is reaped; a pid that no longer exists is reported with status 0).
  // Ignored after Stop(), and for a pid watched and not yet reported.
  void Watch(pid_t pid);
  // Stops the thread (idempotent); watched pids are forgotten, no callback
  // runs after Stop() returns (unless called from the callback itself).
  void Stop();

 private:
  void Run();
  // Reaper thread only.
  void StartWatching(pid_t pid, std::vector<std::pair<pid_t, int>>* exited);
  void OnPidfdReadable(int pidfd, std::vector<std::pair<pid_t, int>>* exited);
  void PollSlowList(std::vector<std::pair<pid_t, int>>* exited);
  void Report(const std::vector<std::pair<pid_t, int>>& exited);
  void Wake();

  const ExitFn on_exit_;
  const Options options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;

  std::mutex mu_;               // Guards pending_, watched_ and stop_.
  std::condition_variable cv_;  // Wakes the thread when epoll is unavailable.
  std::vector<pid_t> pending_;
  std::set<pid_t> watched_;  // Every pid watched and not yet reported.
  bool stop_ = false;

  // Reaper thread only.
  std::map<int, pid_t> pidfds_;  // pidfd -> pid.
  std::set<pid_t> poll_list_;
  bool logged_fallback_ = false;

  std::thread thread_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_REAPER_HPP_
