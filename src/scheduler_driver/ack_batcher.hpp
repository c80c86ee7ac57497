// AckBatcher: coalesces a scheduler's acknowledgements into few Acknowledge
// calls.
//
// At most one Acknowledge call is in flight. An acknowledgement queued while
// none is goes out at once (a lone ack never waits for a timer); those queued
// while one is in flight leave together, in order, in the next call once it
// is answered, at most `max_per_call` per call. A call carries one stream's
// acknowledgements (its header names the stream): queued acks of a stream
// that is no longer the driver's are dropped (the agent re-sends those
// updates on the new stream, where they are acknowledged again). Streams are
// named by the driver's numbers (one per subscription stream id), so an ack
// carries no copy of the stream id.
//
// The batch of the call in flight stays in the batcher until the next one is
// taken (the driver reads it to retry a failed call); its storage is reused,
// so a busy driver's acks cost no allocation here beyond their own strings.
//
// Pure: no I/O, no clock, no threads; the driver uses it on its loop. What is
// retried after a failed call is the driver's business (UpdateLedger).
#ifndef AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_
#define AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace agora {

class AckBatcher {
 public:
  struct Ack {
    std::string agent_id;
    std::string task_id;
    std::string uuid;
    uint64_t stream = 0;  // Number of the stream the acknowledged update arrived on.
    int attempt = 1;      // 1 for the first send, then retries.
  };

  explicit AckBatcher(size_t max_per_call = 1000)
      : max_per_call_(max_per_call ? max_per_call : 1) {}

  void Add(Ack&& ack) { queued_.push_back(std::move(ack)); }

  // The acknowledgements to send now on `stream`: null while a call is in
  // flight or nothing of that stream is queued. Otherwise the oldest (up to
  // max_per_call) acks of `stream`, which stay valid (as last_batch()) until
  // the next batch is taken; a call counts as in flight until OnCallDone().
  // Queued acks of other streams are dropped.
  const std::vector<Ack>* NextBatch(uint64_t stream);

  // The call in flight was answered (whatever the outcome).
  void OnCallDone() { in_flight_ = false; }

  // The batch NextBatch returned last (empty before the first).
  const std::vector<Ack>& last_batch() const { return batch_; }

  // Forgets the queued acks (not the call in flight): the driver stopped or
  // lost its stream.
  void Clear() { queued_.clear(); }

  bool in_flight() const { return in_flight_; }
  size_t queued() const { return queued_.size(); }

 private:
  const size_t max_per_call_;
  std::deque<Ack> queued_;
  std::vector<Ack> batch_;  // The last batch taken (the call in flight's).
  bool in_flight_ = false;
};

}  // namespace agora

#endif  // AGORA_SCHEDULER_DRIVER_ACK_BATCHER_HPP_
