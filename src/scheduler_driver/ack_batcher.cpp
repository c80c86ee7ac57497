#include "scheduler_driver/ack_batcher.hpp"

#include <algorithm>

namespace agora {

std::optional<std::vector<AckBatcher::Ack>> AckBatcher::NextBatch(const std::string& stream_id) {
  if (in_flight_) return std::nullopt;
  queued_.erase(std::remove_if(queued_.begin(), queued_.end(),
                               [&](const Ack& ack) { return ack.stream_id != stream_id; }),
                queued_.end());
  if (queued_.empty()) return std::nullopt;
  size_t count = std::min(queued_.size(), max_per_call_);
  std::vector<Ack> batch(std::make_move_iterator(queued_.begin()),
                         std::make_move_iterator(queued_.begin() + count));
  queued_.erase(queued_.begin(), queued_.begin() + count);
  in_flight_ = true;
  return batch;
}

}  // namespace agora
