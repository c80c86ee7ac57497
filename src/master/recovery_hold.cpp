#include "master/recovery_hold.hpp"

#include <utility>

namespace agora::master {

bool RecoveryHold::Hold(absl::Time now, Waiter waiter) {
  if (held_.size() >= capacity_) {
    ++overflowed_;
    return false;
  }
  held_.push_back(Held{now + bound_, std::move(waiter)});
  return true;
}

void RecoveryHold::Release(const absl::Status& status) {
  // Swapped out first: a waiter may hold itself again.
  std::deque<Held> released;
  released.swap(held_);
  for (Held& held : released) held.waiter(status);
}

void RecoveryHold::Expire(absl::Time now, const absl::Status& refusal) {
  std::deque<Held> expired;
  while (!held_.empty() && held_.front().deadline <= now) {
    expired.push_back(std::move(held_.front()));
    held_.pop_front();
  }
  expired_ += expired.size();
  for (Held& held : expired) held.waiter(refusal);
}

}  // namespace agora::master
