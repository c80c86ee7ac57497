// RecoveryHold: calls and streams that reached an elected master while it
// was still recovering its registry, kept until it serves.
//
// A master refusing them would send its whole fleet into backoff at the very
// moment it is about to serve (agents back off exponentially, so their
// retries spread seconds past the moment the core is installed). Instead the
// master holds each one here and hands it over once the core is installed
// (Release with OK), or refuses it with the reason (Release with the error:
// recovery failed, leadership lost). Bounded in both ways: at most
// `capacity` waiters (Hold returns false beyond, and the caller refuses at
// once), and each for at most `bound` (Expire refuses the older ones with
// the refusal the caller passes, the same UNAVAILABLE an unheld call gets).
//
// Pure: time is passed in; the owner (Leadership) runs Expire from a timer
// at next_deadline(). Loop thread only. A waiter runs exactly once; it may
// call Hold again (it is then kept for the next Release).
#ifndef AGORA_MASTER_RECOVERY_HOLD_HPP_
#define AGORA_MASTER_RECOVERY_HOLD_HPP_

#include <cstddef>
#include <deque>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace agora::master {

class RecoveryHold {
 public:
  // OK: a core serves now, retry the call; else the refusal to answer with.
  using Waiter = std::function<void(const absl::Status&)>;

  RecoveryHold(size_t capacity, absl::Duration bound) : capacity_(capacity), bound_(bound) {}

  // Keeps `waiter` until now + bound; false (waiter dropped unrun) when
  // `capacity` waiters are held already.
  bool Hold(absl::Time now, Waiter waiter);
  // Runs every held waiter with `status`, oldest first, and forgets them.
  void Release(const absl::Status& status);
  // Runs, with `refusal`, every waiter whose deadline is at or before `now`.
  void Expire(absl::Time now, const absl::Status& refusal);

  // The earliest deadline held; InfiniteFuture when empty.
  absl::Time next_deadline() const {
    return held_.empty() ? absl::InfiniteFuture() : held_.front().deadline;
  }
  size_t size() const { return held_.size(); }
  absl::Duration bound() const { return bound_; }
  // Waiters refused because the hold was full or their bound passed.
  uint64_t overflowed() const { return overflowed_; }
  uint64_t expired() const { return expired_; }

 private:
  struct Held {
    absl::Time deadline;
    Waiter waiter;
  };

  const size_t capacity_;
  const absl::Duration bound_;
  std::deque<Held> held_;  // By deadline: the bound is the same for all.
  uint64_t overflowed_ = 0;
  uint64_t expired_ = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_RECOVERY_HOLD_HPP_
