// The text of a master's election znode: its v1::MasterInfo as proto3 JSON
// with the proto field names ({"id": ..., "address": "host:port",
// "http_address": ..., ...}), so any ZooKeeper tool shows who leads. The
// master writes it (MasterInfoToJson); detectors read it (MasterInfoFromJson).
// See zk_layout.hpp for where the znodes live. Pure functions.
#ifndef AGORA_COMMON_MASTER_INFO_JSON_HPP_
#define AGORA_COMMON_MASTER_INFO_JSON_HPP_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agora/v1/master.pb.h"

namespace agora {

// One line of JSON with the proto field names; fields at their default
// value are left out.
std::string MasterInfoToJson(const v1::MasterInfo& info);

// Parses what MasterInfoToJson wrote (unknown fields are ignored, so a
// newer master's znode still reads). INVALID_ARGUMENT naming what is wrong:
// not JSON / not a MasterInfo, or no valid `address` (host:port).
absl::StatusOr<v1::MasterInfo> MasterInfoFromJson(absl::string_view json);

}  // namespace agora

#endif  // AGORA_COMMON_MASTER_INFO_JSON_HPP_
