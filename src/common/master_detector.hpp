// MasterDetector: tells agents, scheduler drivers and the CLI where the
// leading master is.
//
// Three kinds, chosen by the spec string given to Create():
//   "host:port"               a fixed address (standalone master)
//   "h1:p1,h2:p2,h3:p3"       a list of masters: CurrentLeader() names them
//                             in turn (each call after the first moves to
//                             the next), so a client that could not reach
//                             one tries the next; a non-leading master's
//                             LeaderRedirect then takes it to the leader
//   "zk://h1:2181,h2/path"    the election under <path> in ZooKeeper (see
//                             zk_layout.hpp and zk_master_detector.hpp): the
//                             lowest election member with a valid MasterInfo
//                             leads; followed as it changes
// Clients also follow the LeaderRedirect detail that a non-leading master
// attaches to its UNAVAILABLE replies (see grpc_status.hpp).
//
// Thread-safe: CurrentLeader() and CurrentLeaderInfo() never block on I/O.
// Destroying a detector stops its thread (if any) and returns promptly; no
// on-change callback runs after the destructor returns.
#ifndef AGORA_COMMON_MASTER_DETECTOR_HPP_
#define AGORA_COMMON_MASTER_DETECTOR_HPP_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agora/v1/master.pb.h"

namespace agora {

class MasterDetector {
 public:
  virtual ~MasterDetector() = default;

  // The current leader's "host:port"; UNAVAILABLE (saying why) while none
  // is known.
  virtual absl::StatusOr<std::string> CurrentLeader() = 0;

  // The leader's full MasterInfo as it announced it in ZooKeeper; nullopt
  // while unknown and always for the fixed and list kinds.
  virtual std::optional<v1::MasterInfo> CurrentLeaderInfo() { return std::nullopt; }

  // `fn` runs (on the detector's own thread) each time the detected leader
  // changes, including to "none". The fixed and list kinds never call it.
  // Set it once, before relying on changes; it replaces any earlier one.
  virtual void SetOnChange(std::function<void()> fn) { (void)fn; }

  // A short description for logs, e.g. "master at 127.0.0.1:5050".
  virtual std::string Describe() const = 0;

  // Parses `spec` (see above). INVALID_ARGUMENT names the field (`master`),
  // the bad entry and the reason. A zk:// spec starts a ZooKeeper session in
  // the background and returns at once.
  static absl::StatusOr<std::unique_ptr<MasterDetector>> Create(absl::string_view spec);

  // Validates `spec` as Create() would, without starting anything. `field`
  // names the flag or variable in errors (e.g. "--master").
  static absl::Status Validate(absl::string_view field, absl::string_view spec);
};

// Validates a "host:port" address: non-empty host, port in [1, 65535].
absl::Status ValidateHostPort(absl::string_view field, absl::string_view address);

}  // namespace agora

#endif  // AGORA_COMMON_MASTER_DETECTOR_HPP_
