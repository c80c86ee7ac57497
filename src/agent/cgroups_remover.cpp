#include "agent/cgroups_remover.hpp"

#include <pthread.h>

#include <vector>

#include "absl/time/clock.h"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// How long a pass waits before it tries the busy cgroups again.
constexpr absl::Duration kBusyRetry = absl::Milliseconds(20);

std::chrono::nanoseconds ToChrono(absl::Duration duration) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(duration));
}

}  // namespace

CgroupsRemover::CgroupsRemover(const CgroupsIsolator* isolator, absl::Duration delay,
                               absl::Duration busy_timeout)
    : isolator_(isolator), delay_(delay), busy_timeout_(busy_timeout) {
  if (CgroupsPool* pool = isolator_->pool(); pool != nullptr) {
    refill_ = true;  // Fill the pool at start.
    // Runs under the pool's lock (see CgroupsPool::SetWaker); takes only mu_.
    pool->SetWaker([this] {
      std::lock_guard<std::mutex> lock(mu_);
      refill_ = true;
      cv_.notify_one();
    });
  }
  thread_ = std::thread([this] { Run(); });
}

CgroupsRemover::~CgroupsRemover() { Stop(); }

bool CgroupsRemover::Remove(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return false;
  pending_.emplace(container_id, absl::Now());
  cv_.notify_one();
  return true;
}

void CgroupsRemover::Stop() {
  // Once this returns no launch wakes this object any more.
  if (CgroupsPool* pool = isolator_->pool(); pool != nullptr) pool->SetWaker({});
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

size_t CgroupsRemover::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

uint64_t CgroupsRemover::removed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return removed_;
}

void CgroupsRemover::FillPool() {
  CgroupsPool* pool = isolator_->pool();
  if (pool == nullptr) return;
  // Full at start; later only up to half with new cgroups: ended
  // containers, recycled, fill the rest (a recycle is cheaper than an rmdir
  // now and a mkdir later).
  size_t target = filled_ ? (pool->capacity() + 1) / 2 : pool->capacity();
  filled_ = true;
  while (pool->ready() < target) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (!isolator_->FillPool()) return;
  }
}

void CgroupsRemover::Run() {
  pthread_setname_np(pthread_self(), "agent-cgroups");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || refill_ || !pending_.empty(); });
    if (stop_) return;
    // Let the batch fill: the tasks of a burst end together. A pool running
    // low cannot wait: its ended containers are recycled now.
    if (!refill_) cv_.wait_for(lock, ToChrono(delay_), [this] { return stop_ || refill_; });
    if (stop_) return;
    refill_ = false;
    std::vector<std::pair<std::string, absl::Time>> batch(pending_.begin(), pending_.end());
    lock.unlock();
    std::vector<std::string> done;
    uint64_t removed_now = 0;
    bool busy = false;
    for (const auto& [container_id, queued] : batch) {
      absl::Status removed = isolator_->Release(container_id);
      if (absl::IsUnavailable(removed) && absl::Now() - queued < busy_timeout_) {
        busy = true;  // Tried again on the next pass.
        continue;
      }
      if (removed.ok()) {
        removed_now++;
      } else {
        LOG(WARNING) << "container_id=" << container_id << ": " << removed
                     << "; left for the agent's next start";
      }
      done.push_back(container_id);
    }
    FillPool();
    lock.lock();
    for (const std::string& container_id : done) pending_.erase(container_id);
    removed_ += removed_now;
    if (busy) cv_.wait_for(lock, ToChrono(kBusyRetry), [this] { return stop_; });
  }
}

}  // namespace agora::agent
