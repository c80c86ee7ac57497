// How much loop work an agent message is, and cutting a large status update
// batch into slices the loop handles one at a time.
//
// The agent channel (agent_channel.cpp) charges the shared ReadBudget
// EntriesOf(message) per message, and posts a STATUS_UPDATES batch of more
// than kSliceEntries updates as several messages of at most kSliceEntries
// each, in order: the loop's bulk lane runs each slice as one closure, so no
// other work waits behind a whole 512-update batch. Handling the slices one
// after the other is what handling the batch does (each entry is handled as
// one STATUS_UPDATE). A batch the master refuses as too large
// (ValidateLinkBatchSize) stays whole, so it is refused as before.
#ifndef AGORA_MASTER_AGENT_SLICES_HPP_
#define AGORA_MASTER_AGENT_SLICES_HPP_

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "agora/internal/agent_master.pb.h"
#include "common/link_batches.hpp"

namespace agora::master {

// Status updates of one slice at most.
inline constexpr int kSliceEntries = 64;

// Units of loop work: the updates of a STATUS_UPDATES batch, else 1.
inline size_t EntriesOf(const internal::AgentMessage& message) {
  if (message.type() != internal::AgentMessage::STATUS_UPDATES) return 1;
  return static_cast<size_t>(std::max(message.status_updates_size(), 1));
}

// `message` itself if it is not a STATUS_UPDATES batch of more than
// `max_entries` (and at most kMaxLinkBatchEntries) updates; else the batch
// cut in order into messages of at most `max_entries` updates, the first
// being `message` with its other fields.
inline std::vector<internal::AgentMessage> SliceStatusUpdates(internal::AgentMessage message,
                                                              int max_entries = kSliceEntries) {
  std::vector<internal::AgentMessage> slices;
  const int size = message.status_updates_size();
  if (message.type() != internal::AgentMessage::STATUS_UPDATES || size <= max_entries ||
      size > kMaxLinkBatchEntries || max_entries <= 0) {
    slices.push_back(std::move(message));
    return slices;
  }
  slices.reserve((size + max_entries - 1) / max_entries);
  slices.emplace_back();  // The first slice: `message` once trimmed.
  for (int begin = max_entries; begin < size; begin += max_entries) {
    internal::AgentMessage& slice = slices.emplace_back();
    slice.set_type(internal::AgentMessage::STATUS_UPDATES);
    const int end = std::min(size, begin + max_entries);
    for (int i = begin; i < end; ++i) {
      slice.add_status_updates()->Swap(message.mutable_status_updates(i));
    }
  }
  message.mutable_status_updates()->DeleteSubrange(max_entries, size - max_entries);
  slices.front() = std::move(message);
  return slices;
}

}  // namespace agora::master

#endif  // AGORA_MASTER_AGENT_SLICES_HPP_
