// MasterCandidates: the masters the CLI tries, in order, for a --master
// spec (see common/master_detector.hpp): the one host:port, every entry of
// a list, or the leader currently elected in ZooKeeper.
#ifndef AGORA_CLI_MASTER_CANDIDATES_HPP_
#define AGORA_CLI_MASTER_CANDIDATES_HPP_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::cli {

// For zk:// waits up to `timeout` for the detector's first answer;
// UNAVAILABLE "cannot find the leading master in zk://...: <why>" if no
// leader is known by then. INVALID_ARGUMENT for a bad spec.
absl::StatusOr<std::vector<std::string>> MasterCandidates(const std::string& spec,
                                                          absl::Duration timeout);

}  // namespace agora::cli

#endif  // AGORA_CLI_MASTER_CANDIDATES_HPP_
