// MasterInfo as JSON: the payload of a master's election znode, readable by
// any ZooKeeper tool (proto3 JSON with the proto field names).
#ifndef AGORA_COMMON_MASTER_INFO_JSON_HPP_
#define AGORA_COMMON_MASTER_INFO_JSON_HPP_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agora/v1/master.pb.h"

namespace agora {

std::string MasterInfoToJson(const v1::MasterInfo& info);
// INVALID_ARGUMENT naming what is wrong (not JSON, no valid address).
absl::StatusOr<v1::MasterInfo> MasterInfoFromJson(absl::string_view json);

}  // namespace agora

#endif  // AGORA_COMMON_MASTER_INFO_JSON_HPP_
