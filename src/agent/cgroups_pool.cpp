#include "agent/cgroups_pool.hpp"

#include <utility>

#include "agent/cgroup_owners.hpp"

namespace agora::agent {

bool CgroupsPool::IsEntryName(const std::string& name) { return IsCgroupPoolEntry(name); }

std::optional<std::string> CgroupsPool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ready_.empty()) {
    missed_++;
    if (wake_) wake_();
    return std::nullopt;
  }
  // Last in, first out: the most recently recycled entry is the warmest.
  std::string name = std::move(ready_.back());
  ready_.pop_back();
  taken_++;
  if (ready_.size() <= capacity_ / 2 && wake_) wake_();
  return name;
}

std::string CgroupsPool::NewName() {
  std::lock_guard<std::mutex> lock(mu_);
  return "pool-" + std::to_string(next_++);
}

void CgroupsPool::Put(std::string name) {
  std::lock_guard<std::mutex> lock(mu_);
  ready_.push_back(std::move(name));
}

bool CgroupsPool::HasRoom() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size() < capacity_;
}

size_t CgroupsPool::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

uint64_t CgroupsPool::taken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return taken_;
}

uint64_t CgroupsPool::recycled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recycled_;
}

uint64_t CgroupsPool::missed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return missed_;
}

void CgroupsPool::CountRecycled() {
  std::lock_guard<std::mutex> lock(mu_);
  recycled_++;
}

std::vector<std::string> CgroupsPool::TakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(ready_, {});
}

void CgroupsPool::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

}  // namespace agora::agent
