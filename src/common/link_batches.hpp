// Batches on the agent <-> master link (proto/agora/internal/agent_master.proto):
// the merge hooks the link's StreamWriteQueues use to coalesce queued
// STATUS_UPDATE (agent -> master) and ACKNOWLEDGE (master -> agent) messages
// into STATUS_UPDATES / ACKNOWLEDGEMENTS, and the receivers' size check.
//
// Bounds: a batch holds at most kMaxLinkBatchEntries entries, and only
// entries of at most kMaxBatchedEntryBytes join one (a larger entry goes out
// alone), so a batch stays under 1 MiB, far below any stream's message
// limit. A merge only moves messages (no serialization): it runs under the
// write queue's lock on a transport thread.
#ifndef AGORA_COMMON_LINK_BATCHES_HPP_
#define AGORA_COMMON_LINK_BATCHES_HPP_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agora/internal/agent_master.pb.h"

namespace agora {

inline constexpr int kMaxLinkBatchEntries = 512;
inline constexpr size_t kMaxBatchedEntryBytes = 2048;

// StreamWriteQueue merge hooks. Merges `next` into `batch` when both are
// (batches of) the mergeable type and the bounds allow; `batch` becomes the
// batch type on its first merge. False: both untouched.
bool MergeStatusUpdate(internal::AgentMessage& batch, internal::AgentMessage& next);
bool MergeAcknowledgement(internal::MasterMessage& batch, internal::MasterMessage& next);

// A received batch of `size` entries in repeated field `field`: OK for 1 to
// kMaxLinkBatchEntries, else INVALID_ARGUMENT naming the field.
absl::Status ValidateLinkBatchSize(absl::string_view field, int size);

}  // namespace agora

#endif  // AGORA_COMMON_LINK_BATCHES_HPP_
