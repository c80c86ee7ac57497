// QueryPool: the threads that turn state snapshots into operator responses
// and serialize them (operator_service.cpp), so that neither work runs on
// the master's loop. Owned by OperatorService; Post() is thread-safe; the
// destructor runs what is queued, then joins (the gRPC server is shut down
// and waited for before, so no call is left unanswered).
#ifndef AGORA_MASTER_QUERY_POOL_HPP_
#define AGORA_MASTER_QUERY_POOL_HPP_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace agora::master {

class QueryPool {
 public:
  explicit QueryPool(size_t threads);
  ~QueryPool();
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  // Runs `work` on one of the pool's threads, in FIFO order of start.
  void Post(std::function<void()> work);

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_QUERY_POOL_HPP_
