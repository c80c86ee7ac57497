// StreamWriteQueue<T, Status>: the outbound side of one stream, shared by the
// loop that produces messages and the transport threads that complete writes.
//
// Why: a stream whose next write waited for its loop to see the previous
// write's completion moved one message per loop round trip (7-15 ms on a
// busy master, see docs/benchmarks.md "Stream pacing"). Here the completion
// (OnWriteDone, on a gRPC thread) starts the next queued write itself; the
// loop is needed only to queue messages and to hear that the stream ended.
//
// Contract:
// - One write is in flight at a time; up to `capacity` further messages wait.
//   Send() on a full queue drops everything queued, refuses the message
//   (kOverflow) and finishes the stream with `overflow_status`.
// - Finish(status) takes effect once every queued message was written (or
//   dropped because the peer is gone); a write failure or Cancel() drops what
//   waits. `finish` then runs exactly once, with the first status given (or
//   "write failed" / the cancel status), and no write starts after it.
// - `start_write(message)` and `finish(status)` run on the calling thread,
//   outside the lock; `*message` stays valid until the next OnWriteDone().
//   No write starts after Abort() (for client streams, which never finish).
// - Coalescing (optional `merge`): when a write completion starts the next
//   write, `merge(batch, next)` is offered the messages queued right behind
//   it, oldest first, and stops at the first it refuses; what it accepted
//   leaves the queue, merged into the one written. The first message of a
//   burst is written at once (Send() never merges); only what queued while a
//   write was in flight is merged, so nothing waits to fill a batch, and a
//   refused message is never passed, so the order is kept. The hook bounds
//   a batch by refusing. The queue's bound counts queued messages as sent.
//
// Threads: every method is thread-safe (one small mutex, held only for queue
// bookkeeping). Pure: no gRPC, so tests drive it with plain functions.
#ifndef AGORA_COMMON_STREAM_WRITE_QUEUE_HPP_
#define AGORA_COMMON_STREAM_WRITE_QUEUE_HPP_

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "common/bounded_queue.hpp"

namespace agora {

template <typename T, typename Status>
class StreamWriteQueue {
 public:
  using StartWriteFn = std::function<void(const T* message)>;
  using FinishFn = std::function<void(const Status& status)>;
  // Merges `next` into `batch` and returns true, or returns false and
  // leaves both as they were. Runs under the queue's lock: keep it cheap
  // (moves, no serialization).
  using MergeFn = std::function<bool(T& batch, T& next)>;

  enum class SendResult {
    kAccepted,  // Written now or queued.
    kClosing,   // Finish(), Cancel() or Abort() came first; message dropped.
    kOverflow,  // The queue was full: the stream finishes with overflow_status.
  };

  // `write_failed` and `cancelled` are the statuses used when a write fails
  // or the peer goes away before Finish(). `finish` may be empty (client
  // streams end by cancellation, not by a status).
  // `merge` may be empty: every message is written as it was sent.
  StreamWriteQueue(size_t capacity, StartWriteFn start_write, FinishFn finish,
                   Status overflow_status, Status write_failed, Status cancelled,
                   MergeFn merge = nullptr)
      : queue_(capacity),
        start_write_(std::move(start_write)),
        finish_(std::move(finish)),
        merge_(std::move(merge)),
        overflow_status_(std::move(overflow_status)),
        write_failed_(std::move(write_failed)),
        cancelled_status_(std::move(cancelled)) {}

  StreamWriteQueue(const StreamWriteQueue&) = delete;
  StreamWriteQueue& operator=(const StreamWriteQueue&) = delete;

  SendResult Send(T message) {
    std::unique_lock<std::mutex> lock(mu_);
    if (ClosingLocked()) return SendResult::kClosing;
    if (in_flight_) {
      if (queue_.Push(std::move(message))) return SendResult::kAccepted;
      queue_.Clear();
      pending_finish_ = overflow_status_;
      return SendResult::kOverflow;  // The write in flight finishes it.
    }
    in_flight_ = std::move(message);
    lock.unlock();
    start_write_(&*in_flight_);
    return SendResult::kAccepted;
  }

  // Send() for callers that only ask "queued or not": true when accepted,
  // false when closing; on overflow (the stream is then finished with
  // `overflow_status`) runs `on_overflow` (to log, or to cancel a client
  // stream) and returns false.
  template <typename OnOverflow>
  bool SendOr(T message, OnOverflow&& on_overflow) {
    switch (Send(std::move(message))) {
      case SendResult::kAccepted:
        return true;
      case SendResult::kClosing:
        return false;
      case SendResult::kOverflow:
        on_overflow();
        return false;
    }
    return false;
  }

  // Finishes with `status` after the queued messages. False (and `status`
  // ignored) when the stream is already closing.
  bool Finish(Status status) {
    std::unique_lock<std::mutex> lock(mu_);
    if (ClosingLocked()) return false;
    pending_finish_ = std::move(status);
    MaybeFinishLocked(lock);
    return true;
  }

  // The peer went away: drop what waits and finish (with the pending status,
  // else `cancelled`) once no write is in flight.
  void Cancel() {
    std::unique_lock<std::mutex> lock(mu_);
    cancelled_ = true;
    queue_.Clear();
    if (!pending_finish_) pending_finish_ = cancelled_status_;
    MaybeFinishLocked(lock);
  }

  // Stops for good without finishing: drops what waits, starts no write.
  void Abort() {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    queue_.Clear();
  }

  // The write in flight completed (`ok` false: it failed, the stream is
  // broken). Starts the next queued write or finishes.
  void OnWriteDone(bool ok) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!ok) {
      queue_.Clear();
      if (!pending_finish_) pending_finish_ = write_failed_;
    }
    std::optional<T> next;
    if (!cancelled_ && !aborted_) next = queue_.Pop();
    if (!next) {
      in_flight_.reset();
      MaybeFinishLocked(lock);
      return;
    }
    if (merge_) {
      while (!queue_.empty() && merge_(*next, queue_.front())) {
        queue_.Pop();
        ++merged_;
      }
    }
    in_flight_ = std::move(next);
    ++chained_writes_;
    lock.unlock();
    start_write_(&*in_flight_);
  }

  // True once Finish() was called (or implied by overflow, a failed write,
  // Cancel() or Abort()).
  bool closing() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ClosingLocked();
  }
  // Messages waiting behind the one in flight.
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }
  bool writing() const {
    std::lock_guard<std::mutex> lock(mu_);
    return in_flight_.has_value();
  }
  // Writes started by a write completion rather than by Send().
  size_t chained_writes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return chained_writes_;
  }
  // Messages merged into another one's write (so never written alone).
  size_t merged() const {
    std::lock_guard<std::mutex> lock(mu_);
    return merged_;
  }

 private:
  bool ClosingLocked() const { return pending_finish_.has_value() || cancelled_ || aborted_; }

  void MaybeFinishLocked(std::unique_lock<std::mutex>& lock) {
    if (!pending_finish_ || in_flight_ || finish_called_ || aborted_ || !queue_.empty()) return;
    finish_called_ = true;
    Status status = *pending_finish_;
    lock.unlock();
    if (finish_) finish_(status);
  }

  mutable std::mutex mu_;
  BoundedQueue<T> queue_;
  // The message being written; owned by whoever started its write until
  // OnWriteDone().
  std::optional<T> in_flight_;
  std::optional<Status> pending_finish_;
  bool finish_called_ = false;
  bool cancelled_ = false;
  bool aborted_ = false;
  size_t chained_writes_ = 0;
  size_t merged_ = 0;

  const StartWriteFn start_write_;
  const FinishFn finish_;
  const MergeFn merge_;
  const Status overflow_status_;
  const Status write_failed_;
  const Status cancelled_status_;
};

}  // namespace agora

#endif  // AGORA_COMMON_STREAM_WRITE_QUEUE_HPP_
