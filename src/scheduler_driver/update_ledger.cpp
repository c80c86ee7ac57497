#include "scheduler_driver/update_ledger.hpp"

namespace agora {

UpdateLedger::Entry& UpdateLedger::Remember(const std::string& uuid) {
  auto [it, inserted] = entries_.try_emplace(uuid);
  if (inserted) {
    order_.push_back(uuid);
    while (order_.size() > capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    // The newest entry is never evicted (capacity_ >= 1).
  }
  return entries_.find(uuid)->second;
}

UpdateLedger::Decision UpdateLedger::OnUpdate(const std::string& uuid,
                                              const std::string& stream_id) {
  Decision decision;
  if (uuid.empty()) {  // Master-generated (reconciliation, agent lost): no ack.
    decision.deliver = true;
    return decision;
  }
  auto it = entries_.find(uuid);
  if (it == entries_.end()) {
    Remember(uuid);
    decision.deliver = true;
    return decision;
  }
  const Entry& entry = it->second;
  decision.acknowledge = entry.scheduler_acked && !(entry.acked && entry.ack_stream == stream_id);
  return decision;
}

bool UpdateLedger::OnAcknowledge(const std::string& uuid, const std::string& stream_id) {
  if (uuid.empty()) return false;
  Entry& entry = Remember(uuid);
  if (entry.acked && entry.ack_stream == stream_id) return false;
  entry.scheduler_acked = true;
  entry.acked = true;
  entry.ack_stream = stream_id;
  return true;
}

void UpdateLedger::ForgetAcknowledge(const std::string& uuid, const std::string& stream_id) {
  auto it = entries_.find(uuid);
  if (it == entries_.end() || it->second.ack_stream != stream_id) return;
  it->second.acked = false;
  it->second.ack_stream.clear();
}

}  // namespace agora
