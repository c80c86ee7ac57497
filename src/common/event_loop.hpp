// EventLoop: the single thread that owns a daemon's state.
//
// Every daemon (master, agent, drivers) keeps its mutable state on one loop.
// gRPC reactors, ZooKeeper callbacks and the blocking-work pool never touch
// that state: they copy what arrived into a value and Post() a closure.
// Timers and the current time also come from the loop, so tests can swap the
// real Asio loop (AsioEventLoop) for a manual one that advances time on
// demand (tests/support/manual_event_loop.hpp).
#ifndef AGORA_COMMON_EVENT_LOOP_HPP_
#define AGORA_COMMON_EVENT_LOOP_HPP_

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace agora {

// Reads the time. One seam for all clock reads so tests control time.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time; used for timestamps, deadlines and timers alike.
  virtual absl::Time Now() const = 0;
};

// The system clock.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static RealClock* Get();
};

// Identifies a scheduled timer; 0 is never a valid id.
using TimerId = uint64_t;

class EventLoop : public Clock {
 public:
  // Runs `fn` on the loop thread, after everything posted before it.
  // Thread-safe; callable from any thread. Closures posted after the loop has
  // stopped are destroyed without running.
  virtual void Post(std::function<void()> fn) = 0;

  // Runs `fn` on the loop after everything posted with PostBulk() before it.
  // For bulk work (agents' messages, scheduler calls of live frameworks):
  // the loop runs bulk closures in short slices with the rest of its work in
  // between, so a Post() or timer made while bulk work is queued may run
  // before it. Order holds within each lane only. Thread-safe. The default
  // (loops without a second lane, e.g. the manual loop) is Post().
  virtual void PostBulk(std::function<void()> fn) { Post(std::move(fn)); }

  // Runs `fn` on the loop once `delay` has passed (a non-positive delay means
  // "as soon as possible, after already-posted work"). Loop thread only.
  virtual TimerId RunAfter(absl::Duration delay, std::function<void()> fn) = 0;

  // Cancels a timer that has not fired yet; a no-op for fired, cancelled or
  // unknown ids. Loop thread only.
  virtual void Cancel(TimerId id) = 0;

  // True when called from the loop's thread. Handlers start with
  // DCHECK(loop->IsInLoopThread()).
  virtual bool IsInLoopThread() const = 0;
};

}  // namespace agora

#endif  // AGORA_COMMON_EVENT_LOOP_HPP_
