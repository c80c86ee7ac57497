// Reaper: waits for the agent's child processes without blocking the event
// loop.
//
// One thread polls waitpid(pid, WNOHANG) for the watched pids (only those:
// an in-process test may run several agents and other children; pids that
// are not our children are watched through /proc) and calls
// `on_exit(pid, wait_status)` from that thread; the agent's callback posts
// to its loop. Watch() is thread-safe. The destructor stops the thread.
#ifndef AGORA_AGENT_REAPER_HPP_
#define AGORA_AGENT_REAPER_HPP_

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace agora::agent {

class Reaper {
 public:
  using ExitFn = std::function<void(pid_t pid, int wait_status)>;
  explicit Reaper(ExitFn on_exit);
  ~Reaper();

  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  void Watch(pid_t pid);
  // Stops the thread (idempotent); watched pids are forgotten.
  void Stop();

 private:
  void Run();

  ExitFn on_exit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<pid_t> pids_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_REAPER_HPP_
