// AsioEventLoop: the production EventLoop, one thread running a
// boost::asio::io_context.
//
// Owned by the daemon's main object. Start() spawns the loop thread;
// Stop() ends it and joins (pending posts are dropped). Timers are
// steady_timers keyed by TimerId. Now() reads the wall clock.
//
// Two lanes: Post() and timers go straight to the io_context (FIFO);
// PostBulk() closures wait in a second FIFO that one drain closure on the
// io_context works through for at most kBulkSlice at a time, then re-posts
// itself behind whatever was posted meanwhile. So a cheap call (a health
// probe, a refused scheduler call, a timer) waits for at most one slice of
// bulk work (plus the bulk closure running when the slice ends), not for
// every agent update queued before it.
//
// Measurement (for /metrics): stats() is callable from any thread and
// reports how many posted closures wait to run (an atomic counter kept by
// Post and the wrapper that runs each closure) and the loop's lag: every
// `probe_interval` a timer on the loop posts a probe and records, on the
// loop, how long the probe waited behind the queue. Cost: one relaxed atomic
// increment per Post, one plain store per run closure (loop-written counter
// on its own cache line), and one small closure per probe interval.
#ifndef AGORA_COMMON_ASIO_EVENT_LOOP_HPP_
#define AGORA_COMMON_ASIO_EVENT_LOOP_HPP_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/event_loop.hpp"
#include "common/histogram.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agora {

class AsioEventLoop : public EventLoop {
 public:
  // What stats() reports.
  struct Stats {
    int64_t queue_depth = 0;    // Posted (either lane), not yet run.
    int64_t bulk_depth = 0;     // Of which in the bulk lane.
    uint64_t posted_total = 0;  // Every Post() and PostBulk() since construction.
    // Seconds each lag probe waited between its post and its run.
    Histogram lag_seconds = Histogram::LatencySeconds();
  };

  // `name` labels the thread (visible in top/gdb), at most 15 bytes.
  // `probe_interval` is the period of the lag probe (tests shorten it).
  explicit AsioEventLoop(std::string name, absl::Duration probe_interval = absl::Seconds(1));
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
  void PostBulk(std::function<void()> fn) override;
  TimerId RunAfter(absl::Duration delay, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  bool IsInLoopThread() const override;
  absl::Time Now() const override { return absl::Now(); }

  // For components that need Asio directly (the HTTP server). Loop-owned.
  boost::asio::io_context& io_context();

  // A copy of the measurements; any thread.
  Stats stats() const;

 private:
  struct Timers;
  struct Probe;
  struct BulkLane;

  // Bulk work the loop runs before it lets other posts in again.
  static constexpr absl::Duration kBulkSlice = absl::Microseconds(500);

  // Runs bulk closures for up to kBulkSlice; re-posts itself if some remain.
  // Loop thread.
  void DrainBulk();

  // Arms the next lag probe. Loop thread.
  void ScheduleProbe();

  std::string name_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Timers> timers_;
  std::thread thread_;
  std::atomic<std::thread::id> loop_thread_id_{};
  std::atomic<bool> stopped_{false};
  absl::Duration probe_interval_;
  // Posted and run closures, on separate cache lines so the loop's count
  // does not bounce the posters' line.
  alignas(64) std::atomic<uint64_t> posted_{0};
  alignas(64) std::atomic<uint64_t> run_{0};
  std::unique_ptr<Probe> probe_;
  std::unique_ptr<BulkLane> bulk_;
};

}  // namespace agora

#endif  // AGORA_COMMON_ASIO_EVENT_LOOP_HPP_
