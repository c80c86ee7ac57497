#include "common/link_batches.hpp"

#include "absl/strings/str_cat.h"

namespace agora {

using internal::AgentMessage;
using internal::MasterMessage;

bool MergeStatusUpdate(AgentMessage& batch, AgentMessage& next) {
  if (next.type() != AgentMessage::STATUS_UPDATE) return false;
  if (batch.type() == AgentMessage::STATUS_UPDATE) {
    if (batch.status_update().ByteSizeLong() > kMaxBatchedEntryBytes) return false;
  } else if (batch.type() != AgentMessage::STATUS_UPDATES ||
             batch.status_updates_size() >= kMaxLinkBatchEntries) {
    return false;
  }
  if (next.status_update().ByteSizeLong() > kMaxBatchedEntryBytes) return false;
  if (batch.type() == AgentMessage::STATUS_UPDATE) {
    batch.set_type(AgentMessage::STATUS_UPDATES);
    batch.mutable_status_updates()->Add()->Swap(batch.mutable_status_update());
    batch.clear_status_update();
  }
  batch.mutable_status_updates()->Add()->Swap(next.mutable_status_update());
  return true;
}

bool MergeAcknowledgement(MasterMessage& batch, MasterMessage& next) {
  if (next.type() != MasterMessage::ACKNOWLEDGE) return false;
  if (batch.type() == MasterMessage::ACKNOWLEDGE) {
    if (batch.acknowledge().ByteSizeLong() > kMaxBatchedEntryBytes) return false;
  } else if (batch.type() != MasterMessage::ACKNOWLEDGEMENTS ||
             batch.acknowledgements_size() >= kMaxLinkBatchEntries) {
    return false;
  }
  if (next.acknowledge().ByteSizeLong() > kMaxBatchedEntryBytes) return false;
  if (batch.type() == MasterMessage::ACKNOWLEDGE) {
    batch.set_type(MasterMessage::ACKNOWLEDGEMENTS);
    batch.mutable_acknowledgements()->Add()->Swap(batch.mutable_acknowledge());
    batch.clear_acknowledge();
  }
  batch.mutable_acknowledgements()->Add()->Swap(next.mutable_acknowledge());
  return true;
}

absl::Status ValidateLinkBatchSize(absl::string_view field, int size) {
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  if (size > kMaxLinkBatchEntries) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", size, " entries; at most ",
                                                   kMaxLinkBatchEntries, " are allowed"));
  }
  return absl::OkStatus();
}

}  // namespace agora
