// ManualEventLoop: an EventLoop for unit tests whose time moves only when
// the test says so.
//
// Nothing runs until the test calls RunUntilIdle() or AdvanceTime(); both run
// on the calling thread, which counts as the loop thread. Post() is
// thread-safe so code under test may post from helper threads.
#ifndef AGORA_TESTS_SUPPORT_MANUAL_EVENT_LOOP_HPP_
#define AGORA_TESTS_SUPPORT_MANUAL_EVENT_LOOP_HPP_

#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "common/event_loop.hpp"

namespace agora::testing {

class ManualEventLoop : public EventLoop {
 public:
  // Time starts at `start` (a fixed, arbitrary instant by default).
  explicit ManualEventLoop(absl::Time start = absl::FromUnixSeconds(1'700'000'000));

  void Post(std::function<void()> fn) override;
  TimerId RunAfter(absl::Duration delay, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  bool IsInLoopThread() const override;
  absl::Time Now() const override;

  // Runs posted closures and due timers until none is left. Returns how
  // many closures ran.
  size_t RunUntilIdle();

  // Moves time forward by `delta`, firing timers in deadline order (each at
  // its own deadline), running posted work in between.
  void AdvanceTime(absl::Duration delta);

  // Runs posted work until `condition` holds, for up to `real_timeout` of
  // real time: for code whose completions arrive from other threads (gRPC)
  // while the manual clock stands still. False on timeout.
  bool RunUntil(const std::function<bool()>& condition,
                absl::Duration real_timeout = absl::Seconds(10));

  // Timers still pending.
  size_t pending_timers() const { return timers_.size(); }

 private:
  // Runs one posted closure or one due timer; false if there was none.
  bool RunOne();

  mutable std::mutex mutex_;  // Guards posted_ only.
  std::deque<std::function<void()>> posted_;
  absl::Time now_;
  TimerId next_id_ = 1;
  // (deadline, id) -> closure; the id breaks ties in scheduling order.
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, absl::Time> deadlines_;
  std::thread::id owner_ = std::this_thread::get_id();
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_MANUAL_EVENT_LOOP_HPP_
