// AsioEventLoop: the production EventLoop, one thread running a
// boost::asio::io_context.
//
// Owned by the daemon's main object. Start() spawns the loop thread;
// Stop() ends it and joins (pending posts are dropped). Timers are
// steady_timers keyed by TimerId. Now() reads the wall clock.
#ifndef AGORA_COMMON_ASIO_EVENT_LOOP_HPP_
#define AGORA_COMMON_ASIO_EVENT_LOOP_HPP_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/event_loop.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agora {

class AsioEventLoop : public EventLoop {
 public:
  // `name` labels the thread (visible in top/gdb), at most 15 bytes.
  explicit AsioEventLoop(std::string name);
  ~AsioEventLoop() override;

  AsioEventLoop(const AsioEventLoop&) = delete;
  AsioEventLoop& operator=(const AsioEventLoop&) = delete;

  // Spawns the loop thread. Call once.
  void Start();
  // Stops the loop and joins its thread. Safe to call twice; must not be
  // called from the loop thread.
  void Stop();

  // Runs the loop on the calling thread until Stop() is called from another
  // thread (or from a posted closure via RequestStop()).
  void RunInThisThread();
  // Asks the loop to stop without joining; safe from any thread.
  void RequestStop();

  void Post(std::function<void()> fn) override;
  TimerId RunAfter(absl::Duration delay, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  bool IsInLoopThread() const override;
  absl::Time Now() const override { return absl::Now(); }

  // For components that need Asio directly (the HTTP server). Loop-owned.
  boost::asio::io_context& io_context();

 private:
  struct Timers;

  std::string name_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Timers> timers_;
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_id_{};
  std::atomic<bool> stopped_{false};
};

}  // namespace agora

#endif  // AGORA_COMMON_ASIO_EVENT_LOOP_HPP_
