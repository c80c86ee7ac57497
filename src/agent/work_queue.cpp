#include "agent/work_queue.hpp"

#include <pthread.h>

#include <algorithm>

namespace agora::agent {

WorkQueue::WorkQueue(std::string name) : name_(std::move(name)) {
  thread_ = std::thread([this] { Run(); });
}

WorkQueue::~WorkQueue() { Stop(); }

bool WorkQueue::Post(std::function<void()> work) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return false;
  queue_.push_back(std::move(work));
  cv_.notify_one();
  return true;
}

void WorkQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void WorkQueue::Run() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // Stopped and drained.
    auto work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    lock.lock();
  }
}

WorkPool::WorkPool(const std::string& name, size_t threads) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
    queues_.push_back(std::make_unique<WorkQueue>(name + "-" + std::to_string(i)));
}

bool WorkPool::Post(const std::string& key, std::function<void()> work) {
  return queues_[std::hash<std::string>()(key) % queues_.size()]->Post(std::move(work));
}

void WorkPool::Stop() {
  for (auto& queue : queues_) queue->Stop();
}

}  // namespace agora::agent
