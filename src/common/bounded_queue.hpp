// BoundedQueue: a loop-owned FIFO of outbound messages with a hard bound.
//
// Every stream Agora writes to (scheduler events, agent messages, operator
// watch events) queues through one of these. A stream allows one write in
// flight; the rest wait here. When a consumer is too slow and the queue is
// full, Push() fails and the owner disconnects the consumer with an error
// instead of growing memory without limit.
//
// Not thread-safe: one loop, or a StreamWriteQueue under its mutex, owns it.
#ifndef AGORA_COMMON_BOUNDED_QUEUE_HPP_
#define AGORA_COMMON_BOUNDED_QUEUE_HPP_

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace agora {

template <typename T>
class BoundedQueue {
 public:
  // `capacity` > 0: the most messages that may wait (the one in flight not
  // included).
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // Appends `item`; false (and `item` dropped) when the queue is full.
  bool Push(T item) {
    if (items_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    items_.push_back(std::move(item));
    return true;
  }

  // Removes and returns the oldest item, if any.
  std::optional<T> Pop() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // The oldest item; the queue must not be empty.
  T& front() { return items_.front(); }

  void Clear() { items_.clear(); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }
  // How many pushes were refused because the queue was full.
  size_t dropped() const { return dropped_; }

 private:
  size_t capacity_;
  size_t dropped_ = 0;
  std::deque<T> items_;
};

}  // namespace agora

#endif  // AGORA_COMMON_BOUNDED_QUEUE_HPP_
