#include "scheduler_driver/ack_batcher.hpp"

#include <algorithm>

namespace agora {

const std::vector<AckBatcher::Ack>* AckBatcher::NextBatch(uint64_t stream) {
  if (in_flight_) return nullptr;
  queued_.erase(std::remove_if(queued_.begin(), queued_.end(),
                               [&](const Ack& ack) { return ack.stream != stream; }),
                queued_.end());
  if (queued_.empty()) return nullptr;
  const size_t count = std::min(queued_.size(), max_per_call_);
  // clear() keeps the capacity: after the first calls no allocation here.
  batch_.clear();
  for (size_t i = 0; i < count; ++i) {
    batch_.push_back(std::move(queued_.front()));
    queued_.pop_front();
  }
  in_flight_ = true;
  return &batch_;
}

}  // namespace agora
