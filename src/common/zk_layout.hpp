// Where Agora keeps its state in ZooKeeper, under the path of the --zk URL
// (for zk://h1:2181,h2:2181/agora the root is /agora):
//
//   <root>/election/member_0000000007   one ephemeral sequential znode per
//                                       contending master; the lowest
//                                       sequence leads. Data: the master's
//                                       v1::MasterInfo as proto3 JSON with
//                                       the proto field names (id, address,
//                                       http_address, hostname, version, ...)
//                                       so any ZooKeeper tool can read who
//                                       leads.
//   <root>/registry/...                 the zk registry backend's records
//                                       (see master/zk_registry.hpp).
#ifndef AGORA_COMMON_ZK_LAYOUT_HPP_
#define AGORA_COMMON_ZK_LAYOUT_HPP_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace agora::zk_layout {

inline constexpr absl::string_view kElectionDir = "election";
inline constexpr absl::string_view kMemberPrefix = "member_";
inline constexpr absl::string_view kRegistryDir = "registry";

// "<root>/election" (root "/" gives "/election").
inline std::string ElectionPath(absl::string_view root) {
  return absl::StrCat(root == "/" ? "" : root, "/", kElectionDir);
}
inline std::string RegistryPath(absl::string_view root) {
  return absl::StrCat(root == "/" ? "" : root, "/", kRegistryDir);
}

}  // namespace agora::zk_layout

#endif  // AGORA_COMMON_ZK_LAYOUT_HPP_
