#include "scheduler_driver/update_ledger.hpp"

namespace agora {

UpdateLedger::Entry& UpdateLedger::Remember(const std::string& uuid, bool* added) {
  auto [it, inserted] = entries_.try_emplace(uuid);
  *added = inserted;
  if (inserted) {
    order_.push_back(&it->first);
    // The newest entry is never evicted (capacity_ >= 1), so `it` stays valid.
    while (order_.size() > capacity_) {
      const std::string* oldest = order_.front();
      order_.pop_front();
      entries_.erase(*oldest);
    }
  }
  return it->second;
}

uint32_t UpdateLedger::StreamNumber(const std::string& stream_id) {
  if (last_stream_number_ != 0 && stream_id == last_stream_) return last_stream_number_;
  auto [it, inserted] = streams_.try_emplace(stream_id, 0);
  if (inserted) it->second = static_cast<uint32_t>(streams_.size());
  last_stream_ = stream_id;
  last_stream_number_ = it->second;
  return last_stream_number_;
}

UpdateLedger::Decision UpdateLedger::OnUpdate(const std::string& uuid,
                                              const std::string& stream_id) {
  Decision decision;
  if (uuid.empty()) {  // Master-generated (reconciliation, agent lost): no ack.
    decision.deliver = true;
    return decision;
  }
  bool added = false;
  const Entry& entry = Remember(uuid, &added);
  if (added) {
    decision.deliver = true;
    return decision;
  }
  decision.acknowledge =
      entry.scheduler_acked && !(entry.acked && entry.ack_stream == StreamNumber(stream_id));
  return decision;
}

bool UpdateLedger::OnAcknowledge(const std::string& uuid, const std::string& stream_id) {
  if (uuid.empty()) return false;
  bool added = false;
  Entry& entry = Remember(uuid, &added);
  const uint32_t stream = StreamNumber(stream_id);
  if (entry.acked && entry.ack_stream == stream) return false;
  entry.scheduler_acked = true;
  entry.acked = true;
  entry.ack_stream = stream;
  return true;
}

void UpdateLedger::ForgetAcknowledge(const std::string& uuid, const std::string& stream_id) {
  auto it = entries_.find(uuid);
  if (it == entries_.end() || !it->second.acked ||
      it->second.ack_stream != StreamNumber(stream_id)) {
    return;
  }
  it->second.acked = false;
  it->second.ack_stream = 0;
}

}  // namespace agora
