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

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

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

// The sequence of an election member's name ("member_0000000007" -> 7);
// nullopt for any other child.
inline std::optional<uint64_t> MemberSequence(absl::string_view name) {
  absl::string_view digits = name;
  if (!absl::ConsumePrefix(&digits, kMemberPrefix) || digits.empty()) return std::nullopt;
  uint64_t sequence = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    sequence = sequence * 10 + static_cast<uint64_t>(c - '0');
  }
  return sequence;
}

// The election rule, for masters and detectors alike: the members among
// `children` in order of sequence, lowest (the leader) first; any other
// child is left out.
inline std::vector<std::string> ElectionMembers(const std::vector<std::string>& children) {
  std::vector<std::pair<uint64_t, std::string>> members;
  for (const std::string& child : children) {
    if (std::optional<uint64_t> sequence = MemberSequence(child)) {
      members.emplace_back(*sequence, child);
    }
  }
  std::sort(members.begin(), members.end());
  std::vector<std::string> names;
  for (auto& member : members) names.push_back(std::move(member.second));
  return names;
}

}  // namespace agora::zk_layout

#endif  // AGORA_COMMON_ZK_LAYOUT_HPP_
