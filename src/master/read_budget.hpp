// ReadBudget: how many inbound messages all of a service's streams together
// may have posted to the loop and not yet handled.
//
// Each agent stream reads ahead of the loop (agent_channel.cpp); without a
// shared bound, 1,000 streams x their own read-ahead could put tens of
// thousands of messages in the loop's queue, and every other call (a
// scheduler's Accept, a health probe) would wait behind them. With it, the
// loop's queue holds about `limit` agent messages at most; a stream that
// finds the budget spent parks a resume callback and stops reading until a
// handled message returns a unit.
//
// Thread-safe. Resume callbacks run outside the budget's lock, on the thread
// that returned the unit (the loop); one that reports it did not resume (the
// stream is gone, closing, or paused for its own reasons) hands the wake-up
// on to the next parked callback, so a parked stream is never forgotten
// while units are free.
#ifndef AGORA_MASTER_READ_BUDGET_HPP_
#define AGORA_MASTER_READ_BUDGET_HPP_

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace agora::master {

class ReadBudget {
 public:
  // Returns true if it started a read (the wake-up was used).
  using Resume = std::function<bool()>;

  explicit ReadBudget(size_t limit) : limit_(limit) {}

  // A message was posted to the loop.
  void Take() {
    std::lock_guard<std::mutex> lock(mu_);
    ++taken_;
  }

  // True if the caller may start another read now; otherwise `resume` is
  // parked and called once a unit is free.
  bool MayRead(Resume resume) {
    std::lock_guard<std::mutex> lock(mu_);
    if (taken_ < limit_) return true;
    parked_.push_back(std::move(resume));
    return false;
  }

  // A posted message was handled: wakes parked streams while units are free
  // until one of them resumes.
  void Return() {
    std::unique_lock<std::mutex> lock(mu_);
    --taken_;
    while (taken_ < limit_ && !parked_.empty()) {
      Resume resume = std::move(parked_.front());
      parked_.pop_front();
      lock.unlock();
      if (resume()) return;
      lock.lock();
    }
  }

  size_t taken() const {
    std::lock_guard<std::mutex> lock(mu_);
    return taken_;
  }
  size_t parked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return parked_.size();
  }

 private:
  const size_t limit_;
  mutable std::mutex mu_;
  size_t taken_ = 0;
  std::deque<Resume> parked_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_READ_BUDGET_HPP_
