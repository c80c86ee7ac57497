// CoreSlot: which MasterCore serves the master's gRPC services and HTTP
// routes right now, and what to answer when none does.
//
// A standalone master installs one core for its whole life. A replicated
// master installs a fresh core each time it is elected and drops it (closing
// every stream) when it stops leading; while it has none, or while its
// leadership cannot be confirmed, calls are refused with the Policy's answer
// (UNAVAILABLE plus a LeaderRedirect naming the leader); while an elected
// master recovers its registry, a stream may instead wait for the core
// (HoldUntilServing). Streams remember
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
#include "master/recovery_hold.hpp"

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
    // Keeps the waiter until the recovering master serves (it then runs
    // with OK) or gives up (with the refusal); false when not recovering or
    // full. Null: never holds.
    std::function<bool(RecoveryHold::Waiter)> hold;
  };

  CoreSlot() = default;
  explicit CoreSlot(Policy policy) : policy_(std::move(policy)) {}

  // The core to serve a new call or stream with; null with `*refusal` set.
  MasterCore* Serving(absl::Status* refusal) const;
  // After Serving refused: keeps `waiter` until a core serves (OK: call
  // Serving again) or the master refuses for good (the refusal), when the
  // master is recovering its registry and room remains; false otherwise
  // (answer with Serving's refusal now).
  bool HoldUntilServing(RecoveryHold::Waiter waiter) const {
    return policy_.hold && policy_.hold(std::move(waiter));
  }
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
