#include "master/query_pool.hpp"

#include <pthread.h>

namespace agora::master {

QueryPool::QueryPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

QueryPool::~QueryPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void QueryPool::Post(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
}

void QueryPool::Run() {
  // Named apart from the loop ("agora-loop") and gRPC's threads, for top,
  // perf --per-thread and gdb.
  pthread_setname_np(pthread_self(), "agora-query");
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // Stopping with nothing left.
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    work = nullptr;  // Released off the lock: it may free a large snapshot.
    lock.lock();
  }
}

}  // namespace agora::master
