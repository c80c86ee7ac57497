// WorkQueue: one thread that runs blocking work (fsync, spawn, checkpoint
// writes) in FIFO order, so the event loop never blocks. Results are posted
// back to the loop by the closures themselves. Post() is thread-safe;
// Stop() runs what is queued, then joins.
#ifndef AGORA_AGENT_WORK_QUEUE_HPP_
#define AGORA_AGENT_WORK_QUEUE_HPP_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agora::agent {

class WorkQueue {
 public:
  explicit WorkQueue(std::string name);
  ~WorkQueue();

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False (and `work` dropped) after Stop().
  bool Post(std::function<void()> work);
  void Stop();

 private:
  void Run();

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// WorkPool: several WorkQueues; work with the same key runs in order on one
// of them, work with different keys may run in parallel (fsyncs of
// different files then overlap and the filesystem batches their commits).
class WorkPool {
 public:
  WorkPool(const std::string& name, size_t threads);

  // False (and `work` dropped) after Stop().
  bool Post(const std::string& key, std::function<void()> work);
  // Runs what is queued everywhere, then joins every thread.
  void Stop();

 private:
  std::vector<std::unique_ptr<WorkQueue>> queues_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_WORK_QUEUE_HPP_
