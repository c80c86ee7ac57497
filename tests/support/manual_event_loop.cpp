#include "tests/support/manual_event_loop.hpp"

#include <chrono>
#include <thread>

namespace agora::testing {

ManualEventLoop::ManualEventLoop(absl::Time start) : now_(start) {}

void ManualEventLoop::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  posted_.push_back(std::move(fn));
}

TimerId ManualEventLoop::RunAfter(absl::Duration delay, std::function<void()> fn) {
  TimerId id = next_id_++;
  absl::Time deadline = now_ + std::max(delay, absl::ZeroDuration());
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  deadlines_.emplace(id, deadline);
  return id;
}

void ManualEventLoop::Cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase({it->second, id});
  deadlines_.erase(it);
}

bool ManualEventLoop::IsInLoopThread() const { return std::this_thread::get_id() == owner_; }

absl::Time ManualEventLoop::Now() const { return now_; }

bool ManualEventLoop::RunOne() {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!posted_.empty()) {
      fn = std::move(posted_.front());
      posted_.pop_front();
    }
  }
  if (!fn && !timers_.empty() && timers_.begin()->first.first <= now_) {
    auto it = timers_.begin();
    deadlines_.erase(it->first.second);
    fn = std::move(it->second);
    timers_.erase(it);
  }
  if (!fn) return false;
  fn();
  return true;
}

size_t ManualEventLoop::RunUntilIdle() {
  size_t ran = 0;
  while (RunOne()) ++ran;
  return ran;
}

void ManualEventLoop::AdvanceTime(absl::Duration delta) {
  absl::Time target = now_ + delta;
  RunUntilIdle();
  while (!timers_.empty() && timers_.begin()->first.first <= target) {
    now_ = std::max(now_, timers_.begin()->first.first);
    RunUntilIdle();
  }
  now_ = target;
  RunUntilIdle();
}

bool ManualEventLoop::RunUntil(const std::function<bool()>& condition,
                               absl::Duration real_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(real_timeout);
  while (true) {
    RunUntilIdle();
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // Posts arrive from other threads.
  }
}

}  // namespace agora::testing
