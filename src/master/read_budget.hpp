// ReadBudget: how many entries (units of loop work: one per status update
// of a STATUS_UPDATES batch, one per other message) all of a service's
// streams together may have posted to the loop and not yet handled.
//
// Each agent stream reads ahead of the loop (agent_channel.cpp); without a
// shared bound, 1,000 streams x their own read-ahead could put tens of
// thousands of messages in the loop's queue. Counting entries rather than
// messages keeps the bound meaningful since a message may batch up to 512
// updates: the loop's queue holds about `limit` agent entries (plus at most
// one message per stream whose read was under way). A stream that finds the
// budget spent parks a resume callback and stops reading until handled
// entries are returned.
//
// Thread-safe. Resume callbacks run outside the budget's lock, on the thread
// that returned the entries (the loop). Returning n entries wakes up to n
// parked streams while entries are free (one message per freed entry at
// most, so the queue stays near `limit`); a callback that reports it did
// not resume (the stream is gone, closing, or paused for its own reasons)
// hands its wake-up on to the next parked one. Once nothing is taken at all
// (no later return is coming) every parked stream is woken, so a parked
// stream is never forgotten while entries are free.
#ifndef AGORA_MASTER_READ_BUDGET_HPP_
#define AGORA_MASTER_READ_BUDGET_HPP_

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

#include "agora/internal/agent_master.pb.h"

namespace agora::master {

// Units of loop work in an agent message: the updates of a STATUS_UPDATES
// batch (a batch is handled as that many STATUS_UPDATEs), else 1.
inline size_t EntriesOf(const internal::AgentMessage& message) {
  if (message.type() != internal::AgentMessage::STATUS_UPDATES) return 1;
  return message.status_updates_size() > 0 ? static_cast<size_t>(message.status_updates_size()) : 1;
}

class ReadBudget {
 public:
  // Returns true if it started a read (the wake-up was used).
  using Resume = std::function<bool()>;

  explicit ReadBudget(size_t limit) : limit_(limit) {}

  // A message of `entries` entries was posted to the loop.
  void Take(size_t entries = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    taken_ += entries;
  }

  // True if the caller may start another read now; otherwise `resume` is
  // parked and called once a unit is free.
  bool MayRead(Resume resume) {
    std::lock_guard<std::mutex> lock(mu_);
    if (taken_ < limit_) return true;
    parked_.push_back(std::move(resume));
    return false;
  }

  // A posted message of `entries` entries was handled: wakes parked streams
  // while entries are free, up to `entries` of them that resume (all of
  // them once nothing is taken).
  void Return(size_t entries = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    taken_ -= entries;
    size_t wake_ups = entries;
    while (taken_ < limit_ && !parked_.empty() && (wake_ups > 0 || taken_ == 0)) {
      Resume resume = std::move(parked_.front());
      parked_.pop_front();
      lock.unlock();
      const bool resumed = resume();
      lock.lock();
      if (resumed && wake_ups > 0) --wake_ups;
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
