#include "agent/launch_queue.hpp"

#include <algorithm>

namespace agora::agent {

LaunchQueue::LaunchQueue(size_t max_in_flight, size_t max_queued)
    : max_in_flight_(std::max<size_t>(max_in_flight, 1)), max_queued_(max_queued) {}

LaunchQueue::Admission LaunchQueue::Add(const Id& id) {
  if (queue_.empty() && in_flight_.size() < max_in_flight_) {
    Start(id);
    return Admission::kStartNow;
  }
  if (queue_.size() >= max_queued_) return Admission::kFull;
  queued_index_[id] = queue_.insert(queue_.end(), id);
  return Admission::kQueued;
}

bool LaunchQueue::Cancel(const Id& id) {
  auto it = queued_index_.find(id);
  if (it == queued_index_.end()) return false;
  queue_.erase(it->second);
  queued_index_.erase(it);
  return true;
}

void LaunchQueue::Finished(const Id& id) { in_flight_.erase(id); }

std::vector<LaunchQueue::Id> LaunchQueue::TakeStartable() {
  std::vector<Id> started;
  while (!queue_.empty() && in_flight_.size() < max_in_flight_) {
    Id id = std::move(queue_.front());
    queue_.pop_front();
    queued_index_.erase(id);
    Start(id);
    started.push_back(std::move(id));
  }
  return started;
}

void LaunchQueue::Start(const Id& id) {
  in_flight_.insert(id);
  started_total_++;
  max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight_.size());
}

}  // namespace agora::agent
