// CoreSlot: which MasterCore serves the master's gRPC services and HTTP
// routes right now, and what to answer when none does.
//
// A standalone master installs one core for its whole life. A replicated
// master installs a fresh core each time it is elected and drops it (closing
// every stream) when it stops leading; while it has none, or while its
// leadership cannot be confirmed, calls are refused with the Policy's answer
// (UNAVAILABLE plus a LeaderRedirect naming the leader). Streams remember
// the generation of the core they were opened on, so a stream of a dropped
// core never reaches its successor.
//
// Loop thread only.
#ifndef AGORA_MASTER_CORE_SLOT_HPP_
#define AGORA_MASTER_CORE_SLOT_HPP_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "agora/v1/master.pb.h"
#include "master/master_core.hpp"

namespace agora::master {

class CoreSlot {
 public:
  // How a replicated master decides; standalone masters leave it empty.
  struct Policy {
    // OK while the installed core may serve; else the refusal to answer.
    std::function<absl::Status()> check_serving;
    // The leader and every contending master, leader first.
    std::function<std::vector<v1::MasterInfo>()> masters;
    // Lines appended to /metrics (election state).
    std::function<std::string()> metrics;
  };

  CoreSlot() = default;
  explicit CoreSlot(Policy policy) : policy_(std::move(policy)) {}

  // The core to serve a new call or stream with; null with `*refusal` set.
  MasterCore* Serving(absl::Status* refusal) const;
  // The installed core if it is still the one of `generation`.
  MasterCore* Of(uint64_t generation) const {
    return generation == generation_ ? core_.get() : nullptr;
  }
  uint64_t generation() const { return generation_; }
  MasterCore* installed() const { return core_.get(); }

  void Install(std::unique_ptr<MasterCore> core);
  // Shuts the installed core down (its streams end) and destroys it.
  void Drop();

  // The masters (leader first); standalone: the installed core's own info.
  std::vector<v1::MasterInfo> Masters() const;
  std::string ElectionMetrics() const { return policy_.metrics ? policy_.metrics() : ""; }
  bool replicated() const { return static_cast<bool>(policy_.check_serving); }

 private:
  Policy policy_;
  std::unique_ptr<MasterCore> core_;
  uint64_t generation_ = 1;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_CORE_SLOT_HPP_
