// MasterDetector: tells agents, scheduler drivers and the CLI where the
// leading master is.
//
// Two kinds, chosen by the spec string given to Create():
//   "host:port"             a fixed address (standalone master)
//   "zk://h1:2181,h2/path"  the leader's election znode in ZooKeeper (the HA
//                           issue adds it; until then Create() refuses it
//                           with UNIMPLEMENTED)
// Clients also follow the LeaderRedirect detail that a non-leading master
// attaches to its UNAVAILABLE replies (see grpc_status.hpp), so a detector
// is consulted only when no master answers.
//
// Thread-safe.
#ifndef AGORA_COMMON_MASTER_DETECTOR_HPP_
#define AGORA_COMMON_MASTER_DETECTOR_HPP_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace agora {

class MasterDetector {
 public:
  virtual ~MasterDetector() = default;

  // The current leader's "host:port"; UNAVAILABLE while none is known.
  virtual absl::StatusOr<std::string> CurrentLeader() = 0;

  // A short description for logs, e.g. "master at 127.0.0.1:5050".
  virtual std::string Describe() const = 0;

  // Parses `spec` (see above). INVALID_ARGUMENT names what is wrong with it.
  static absl::StatusOr<std::unique_ptr<MasterDetector>> Create(absl::string_view spec);
};

// Validates a "host:port" address: non-empty host, port in [1, 65535].
absl::Status ValidateHostPort(absl::string_view field, absl::string_view address);

}  // namespace agora

#endif  // AGORA_COMMON_MASTER_DETECTOR_HPP_
