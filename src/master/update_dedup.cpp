#include "master/update_dedup.hpp"

#include <cstdint>
#include <cstring>

namespace agora::master {

UpdateDedup::Decision UpdateDedup::OnAgentUpdate(const std::string& framework_id,
                                                 const std::string& task_id,
                                                 const std::string& uuid,
                                                 uint64_t live_stream) const {
  if (uuid.empty()) return Decision::kForward;
  auto it = records_.find(TaskKeyRef(framework_id, task_id));
  if (it == records_.end()) return Decision::kForward;
  const Record& record = it->second;
  if (AckedContains(record, uuid)) return Decision::kReacknowledge;
  if (live_stream != 0 && record.forwarded_uuid == uuid && record.forwarded_stream == live_stream) {
    return Decision::kDrop;
  }
  return Decision::kForward;
}

void UpdateDedup::OnForwarded(const std::string& framework_id, const std::string& task_id,
                              const std::string& uuid, uint64_t stream) {
  if (uuid.empty()) return;
  Record& record = Touch(framework_id, task_id);
  record.forwarded_uuid = uuid;
  record.forwarded_stream = stream;
}

bool UpdateDedup::OnAcknowledged(const std::string& framework_id, const std::string& task_id,
                                 const std::string& uuid) {
  Record& record = Touch(framework_id, task_id);
  if (AckedContains(record, uuid)) return false;
  AckedPush(&record, uuid);
  return true;
}

namespace {

constexpr size_t kLengthBytes = sizeof(uint32_t);

uint32_t LengthAt(const std::string& list, size_t at) {
  uint32_t length;
  std::memcpy(&length, list.data() + at, kLengthBytes);
  return length;
}

}  // namespace

bool UpdateDedup::AckedContains(const Record& record, const std::string& uuid) {
  const std::string& list = record.acked;
  for (size_t at = 0; at < list.size();) {
    const uint32_t length = LengthAt(list, at);
    at += kLengthBytes;
    if (length == uuid.size() && std::memcmp(list.data() + at, uuid.data(), length) == 0)
      return true;
    at += length;
  }
  return false;
}

void UpdateDedup::AckedPush(Record* record, const std::string& uuid) {
  std::string& list = record->acked;
  if (record->acked_count >= kMaxAckedPerTask) {
    list.erase(0, kLengthBytes + LengthAt(list, 0));  // The oldest.
    --record->acked_count;
  }
  // Room for a task's usual two (RUNNING, FINISHED) at once.
  if (list.empty()) list.reserve(2 * (kLengthBytes + uuid.size()));
  const uint32_t length = static_cast<uint32_t>(uuid.size());
  list.append(reinterpret_cast<const char*>(&length), kLengthBytes);
  list.append(uuid);
  ++record->acked_count;
}

void UpdateDedup::ForgetFramework(const std::string& framework_id) {
  // O(records); frameworks are removed rarely.
  std::vector<Record*> doomed;
  for (auto& [key, record] : records_) {
    if (key.first == framework_id) doomed.push_back(&record);
  }
  for (Record* record : doomed) Erase(record);
}

UpdateDedup::Record& UpdateDedup::Touch(const std::string& framework_id,
                                        const std::string& task_id) {
  auto it = records_.find(TaskKeyRef(framework_id, task_id));
  if (it == records_.end()) {
    it = records_.emplace(TaskKey(framework_id, task_id), Record()).first;
    it->second.key = &it->first;
  } else {
    Unlink(&it->second);
  }
  Record* record = &it->second;
  // Newest last.
  record->older = newest_;
  record->newer = nullptr;
  if (newest_ != nullptr) newest_->newer = record;
  newest_ = record;
  if (oldest_ == nullptr) oldest_ = record;
  while (records_.size() > max_tasks_ && oldest_ != record) Erase(oldest_);
  return *record;
}

void UpdateDedup::Unlink(Record* record) {
  (record->older != nullptr ? record->older->newer : oldest_) = record->newer;
  (record->newer != nullptr ? record->newer->older : newest_) = record->older;
  record->older = record->newer = nullptr;
}

void UpdateDedup::Erase(Record* record) {
  Unlink(record);
  records_.erase(records_.find(*record->key));
}

}  // namespace agora::master
