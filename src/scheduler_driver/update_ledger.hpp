// UpdateLedger: which status updates a scheduler has already seen, so that
// an update the agent re-sends (its retry overtook a slow acknowledgement,
// or the master restarted before relaying the ack) reaches the Scheduler
// callback at most once, and is acknowledged at most once per subscription
// stream.
//
// Keyed by the update's uuid. Bounded: the oldest entries are forgotten
// first (an update that old re-sent after `capacity` newer ones would be
// delivered again, the at-least-once fallback). Pure: no I/O, no clock, no
// threads; the driver uses it on its loop.
//
// Cost per update: one hash look-up and one key copy (the eviction order
// points at the map's own keys; stream ids are numbered, not copied per
// entry), so a busy scheduler's every update allocates once here.
#ifndef AGORA_SCHEDULER_DRIVER_UPDATE_LEDGER_HPP_
#define AGORA_SCHEDULER_DRIVER_UPDATE_LEDGER_HPP_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace agora {

class UpdateLedger {
 public:
  // What the driver does with an update that arrived on `stream_id`.
  struct Decision {
    bool deliver = false;      // Call Scheduler::statusUpdate.
    bool acknowledge = false;  // Send ACKNOWLEDGE now (already seen and acked).
  };

  explicit UpdateLedger(size_t capacity = 65536) : capacity_(capacity > 0 ? capacity : 1) {}

  // An update with `uuid` arrived on `stream_id`. A first sighting is
  // delivered (the acknowledgement follows the callback as usual). A repeat
  // is not delivered; it is acknowledged again if the scheduler acked it and
  // that ack went to an earlier stream (it may have died with the old
  // master) or failed in transit, never twice on one stream, and never on
  // the scheduler's behalf before it acked.
  Decision OnUpdate(const std::string& uuid, const std::string& stream_id);

  // An ACKNOWLEDGE for `uuid` was sent on `stream_id`. False if it was
  // already sent on that stream (the caller skips the duplicate).
  bool OnAcknowledge(const std::string& uuid, const std::string& stream_id);

  // The ACKNOWLEDGE sent on `stream_id` failed in transit: the uuid counts
  // as not acknowledged on that stream again.
  void ForgetAcknowledge(const std::string& uuid, const std::string& stream_id);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    // The scheduler acknowledged it (whether or not that ack arrived).
    bool scheduler_acked = false;
    bool acked = false;       // An ack is sent (not known lost) on ack_stream.
    uint32_t ack_stream = 0;  // StreamNumber of the latest ack sent; 0: none.
  };
  // The entry of `uuid`, added (and the oldest evicted) if new; `*added`
  // tells which.
  Entry& Remember(const std::string& uuid, bool* added);
  // A number per distinct stream id (1, 2, ...): streams change only on
  // re-subscription, so the last one answers without a look-up.
  uint32_t StreamNumber(const std::string& stream_id);

  size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  // Oldest first, for eviction: the keys of entries_ (a node map's keys
  // stay put until their erase).
  std::deque<const std::string*> order_;
  std::unordered_map<std::string, uint32_t> streams_;
  std::string last_stream_;
  uint32_t last_stream_number_ = 0;
};

}  // namespace agora

#endif  // AGORA_SCHEDULER_DRIVER_UPDATE_LEDGER_HPP_
