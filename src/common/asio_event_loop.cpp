#include "common/asio_event_loop.hpp"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>

#include "glog/logging.h"

namespace agora {

RealClock* RealClock::Get() {
  static RealClock clock;
  return &clock;
}

// Timers live here so the header needs no Asio includes. Loop-owned.
struct AsioEventLoop::Timers {
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::optional<WorkGuard> work;
  TimerId next_id = 1;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> live;
};

// The lag histogram: written by the probe on the loop, read by stats().
struct AsioEventLoop::Probe {
  mutable std::mutex mutex;
  Histogram lag_seconds = Histogram::LatencySeconds();
};

// The bulk lane: filled by PostBulk on any thread, drained on the loop.
struct AsioEventLoop::BulkLane {
  std::mutex mutex;
  std::deque<std::function<void()>> queue;  // Guarded by mutex.
  bool drain_posted = false;                // Guarded by mutex.
};

AsioEventLoop::AsioEventLoop(std::string name, absl::Duration probe_interval)
    : name_(std::move(name)),
      io_(std::make_unique<boost::asio::io_context>(1)),
      timers_(std::make_unique<Timers>()),
      probe_interval_(probe_interval),
      probe_(std::make_unique<Probe>()),
      bulk_(std::make_unique<BulkLane>()) {
  timers_->work.emplace(io_->get_executor());
}

AsioEventLoop::~AsioEventLoop() {
  if (thread_.joinable()) Stop();
}

void AsioEventLoop::Start() {
  CHECK(!thread_.joinable()) << "event loop " << name_ << " started twice";
  thread_ = std::thread([this] { RunInThisThread(); });
}

void AsioEventLoop::RunInThisThread() {
  loop_thread_id_ = std::this_thread::get_id();
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  ScheduleProbe();  // On this thread, now the loop's: RunAfter is allowed.
  io_->run();
  // Timers must die on the thread that owned them, before the context.
  timers_->live.clear();
  loop_thread_id_ = std::thread::id();
}

void AsioEventLoop::RequestStop() {
  stopped_ = true;
  io_->stop();
}

void AsioEventLoop::Stop() {
  CHECK(!IsInLoopThread()) << "Stop() called from the loop thread";
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

void AsioEventLoop::Post(std::function<void()> fn) {
  if (stopped_) return;
  posted_.fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(*io_, [this, fn = std::move(fn)] {
    // Only the loop thread writes run_: a plain store, no locked operation.
    run_.store(run_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    fn();
  });
}

void AsioEventLoop::PostBulk(std::function<void()> fn) {
  if (stopped_) return;
  posted_.fetch_add(1, std::memory_order_relaxed);
  bool post_drain = false;
  {
    std::lock_guard<std::mutex> lock(bulk_->mutex);
    bulk_->queue.push_back(std::move(fn));
    post_drain = !bulk_->drain_posted;
    bulk_->drain_posted = true;
  }
  if (post_drain) boost::asio::post(*io_, [this] { DrainBulk(); });
}

void AsioEventLoop::DrainBulk() {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(kBulkSlice);
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(bulk_->mutex);
      if (bulk_->queue.empty()) {
        bulk_->drain_posted = false;
        return;
      }
      fn = std::move(bulk_->queue.front());
      bulk_->queue.pop_front();
    }
    run_.store(run_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    fn();
    if (stopped_) return;
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  // The slice is spent: let what was posted meanwhile run first.
  boost::asio::post(*io_, [this] { DrainBulk(); });
}

void AsioEventLoop::ScheduleProbe() {
  RunAfter(probe_interval_, [this] {
    auto posted = std::chrono::steady_clock::now();
    Post([this, posted] {
      double lag = std::chrono::duration<double>(std::chrono::steady_clock::now() - posted).count();
      {
        std::lock_guard<std::mutex> lock(probe_->mutex);
        probe_->lag_seconds.Observe(lag);
      }
      ScheduleProbe();
    });
  });
}

AsioEventLoop::Stats AsioEventLoop::stats() const {
  Stats stats;
  // run_ first: every closure counted in run_ was counted in posted_ before,
  // so the difference is never negative.
  const uint64_t run = run_.load(std::memory_order_relaxed);
  stats.posted_total = posted_.load(std::memory_order_relaxed);
  stats.queue_depth = std::max<int64_t>(0, static_cast<int64_t>(stats.posted_total - run));
  {
    std::lock_guard<std::mutex> lock(bulk_->mutex);
    stats.bulk_depth = static_cast<int64_t>(bulk_->queue.size());
  }
  std::lock_guard<std::mutex> lock(probe_->mutex);
  stats.lag_seconds = probe_->lag_seconds;
  return stats;
}

TimerId AsioEventLoop::RunAfter(absl::Duration delay, std::function<void()> fn) {
  DCHECK(IsInLoopThread() || loop_thread_id_.load() == std::thread::id());
  TimerId id = timers_->next_id++;
  auto timer = std::make_unique<boost::asio::steady_timer>(*io_);
  timer->expires_after(absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration())));
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    // Cancelled; or expired with this handler already queued when Cancel()
    // ran (asio then reports success), which Cancel() marks by erasing the
    // id: a cancelled timer never runs.
    if (ec || timers_->live.erase(id) == 0) return;
    fn();
  });
  timers_->live.emplace(id, std::move(timer));
  return id;
}

void AsioEventLoop::Cancel(TimerId id) {
  auto it = timers_->live.find(id);
  if (it == timers_->live.end()) return;
  it->second->cancel();
  timers_->live.erase(it);
}

bool AsioEventLoop::IsInLoopThread() const {
  return loop_thread_id_.load() == std::this_thread::get_id();
}

boost::asio::io_context& AsioEventLoop::io_context() { return *io_; }

}  // namespace agora
