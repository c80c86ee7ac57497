// AckBatcher: coalesces a scheduler's acknowledgements into few Acknowledge
// calls.
//
// At most one Acknowledge call is in flight. An acknowledgement queued while
// none is goes out at once (a lone ack never waits for a timer); those queued
// while one is in flight leave together, in order, in the next call once it
// is answered, at most `max_per_call` per call. A call carries one stream's
// acknowledgements (its header names the stream): queued acks of a stream
// that is no longer the driver's are dropped (the agent re-sends those
// updates on the new stream, where they are acknowledged again).
//
// Pure: no I/O, no clock, no threads; the driver uses it on its loop. What is
// retried after a failed call is the driver's business (UpdateLedger).
#ifndef AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_
#define AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace agora {

class AckBatcher {
 public:
  struct Ack {
    std::string agent_id;
    std::string task_id;
    std::string uuid;
    std::string stream_id;  // Stream the acknowledged update arrived on.
    int attempt = 1;        // 1 for the first send, then retries.
  };

  explicit AckBatcher(size_t max_per_call = 1000)
      : max_per_call_(max_per_call ? max_per_call : 1) {}

  void Add(Ack ack) { queued_.push_back(std::move(ack)); }

  // The acknowledgements to send now on `stream_id`: nullopt while a call is
  // in flight or nothing of that stream is queued. Otherwise the oldest (up
  // to max_per_call) acks of `stream_id`, and a call counts as in flight
  // until OnCallDone(). Queued acks of other streams are dropped.
  std::optional<std::vector<Ack>> NextBatch(const std::string& stream_id);

  // The call in flight was answered (whatever the outcome).
  void OnCallDone() { in_flight_ = false; }

  // Forgets the queued acks (not the call in flight): the driver stopped or
  // lost its stream.
  void Clear() { queued_.clear(); }

  bool in_flight() const { return in_flight_; }
  size_t queued() const { return queued_.size(); }

 private:
  const size_t max_per_call_;
  std::deque<Ack> queued_;
  bool in_flight_ = false;
};

}  // namespace agora

#endif  // AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_
