#include "master/update_dedup.hpp"

#include <algorithm>

namespace agora::master {

UpdateDedup::Decision UpdateDedup::OnAgentUpdate(const std::string& framework_id,
                                                 const std::string& task_id,
                                                 const std::string& uuid,
                                                 uint64_t live_stream) const {
  if (uuid.empty()) return Decision::kForward;
  auto it = records_.find(Key{framework_id, task_id});
  if (it == records_.end()) return Decision::kForward;
  const Record& record = it->second;
  if (std::find(record.acked.begin(), record.acked.end(), uuid) != record.acked.end()) {
    return Decision::kReacknowledge;
  }
  if (live_stream != 0 && record.forwarded_uuid == uuid && record.forwarded_stream == live_stream) {
    return Decision::kDrop;
  }
  return Decision::kForward;
}

void UpdateDedup::OnForwarded(const std::string& framework_id, const std::string& task_id,
                              const std::string& uuid, uint64_t stream) {
  if (uuid.empty()) return;
  Record& record = Touch(Key{framework_id, task_id});
  record.forwarded_uuid = uuid;
  record.forwarded_stream = stream;
}

bool UpdateDedup::OnAcknowledged(const std::string& framework_id, const std::string& task_id,
                                 const std::string& uuid) {
  Record& record = Touch(Key{framework_id, task_id});
  if (std::find(record.acked.begin(), record.acked.end(), uuid) != record.acked.end()) {
    return false;
  }
  record.acked.push_back(uuid);
  while (record.acked.size() > kMaxAckedPerTask) record.acked.pop_front();
  return true;
}

void UpdateDedup::ForgetFramework(const std::string& framework_id) {
  auto it = records_.lower_bound(Key{framework_id, ""});
  while (it != records_.end() && it->first.first == framework_id) {
    order_.erase(it->second.age);
    it = records_.erase(it);
  }
}

UpdateDedup::Record& UpdateDedup::Touch(const Key& key) {
  auto [it, inserted] = records_.try_emplace(key);
  if (!inserted) order_.erase(it->second.age);
  order_.push_back(key);
  it->second.age = std::prev(order_.end());
  while (records_.size() > max_tasks_) {
    records_.erase(order_.front());
    order_.pop_front();
  }
  return records_.at(key);
}

}  // namespace agora::master
