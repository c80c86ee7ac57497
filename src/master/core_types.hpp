// The records MasterCore keeps per framework, agent and offer. Private to
// the core's .cpp files; loop-owned like the core itself.
#ifndef AGORA_MASTER_CORE_TYPES_HPP_
#define AGORA_MASTER_CORE_TYPES_HPP_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "master/master_core.hpp"

namespace agora::master {

// Seconds since the epoch, the proto timestamp convention.
inline double UnixSeconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

struct MasterCore::Framework {
  v1::FrameworkInfo info;
  std::shared_ptr<FrameworkSink> sink;  // Null while disconnected.
  std::string stream_id;
  uint64_t stream_token = 0;
  bool connected = false;
  // Subscribed (SUBSCRIBED sent) as opposed to waiting for the registry.
  bool subscribed = false;
  // Known to the allocator (added on the first SUBSCRIBED).
  bool in_allocator = false;
  std::set<std::string> suppressed_roles;
  absl::Time registered_time;
  absl::Time reregistered_time;
  absl::Time unregistered_time;
  TimerId heartbeat_timer = 0;
  TimerId failover_timer = 0;
  std::set<std::string> offers;
};

// What an agent's summary depends on besides its tasks and offers. Its info
// only changes on an admission (which also sets the connection, the stream
// and a time) or a recovery (a new Agent), so those stand for it. A field
// that AgentBase (core_state.cpp) reads must be here too.
struct AgentSummaryKey {
  v1::AgentSummary::Status status = v1::AgentSummary::STATUS_UNSPECIFIED;
  Resources total;
  std::string version;
  const void* sink = nullptr;
  uint64_t connection = 0;
  bool reachable = false;
  bool recovered = false;
  absl::Time registered_time;
  absl::Time reregistered_time;
  absl::Time unreachable_time;
};

struct MasterCore::Agent {
  v1::AgentInfo info;
  Resources total;
  std::string version;
  std::shared_ptr<AgentSink> sink;  // Null while disconnected.
  uint64_t connection = 0;
  bool reachable = true;
  int missed_heartbeats = 0;
  TimerId heartbeat_timer = 0;
  absl::Time registered_time;
  absl::Time reregistered_time;
  absl::Time unreachable_time;
  std::set<std::string> offers;
  // Known from the registry only: admitted before this master started and
  // not re-registered since (listed, no connection, not in the allocator).
  bool recovered = false;
  // Known to the allocator (added on the first (re-)registration).
  bool in_allocator = false;
  // Kills of tasks on this agent asked for while it was disconnected or
  // unreachable, keyed by (framework id, task id); sent when it re-registers
  // and still reports the task live.
  std::map<std::pair<std::string, std::string>, internal::MasterMessage> pending_kills;
  // Maintenance (operator calls), as handed to the registry: no offers while
  // deactivated or draining; a draining agent's tasks are killed with at
  // most drain_grace_seconds (0: their kill policies) and, once none is
  // live, it is DRAINED and, with drain_mark_gone, marked gone.
  bool deactivated = false;
  bool draining = false;
  double drain_grace_seconds = 0;
  bool drain_mark_gone = false;
  // MasterCore::AgentBase's last result and the fields it was built from
  // (core_state.cpp): state queries share it instead of rebuilding it.
  std::shared_ptr<const v1::AgentSummary> summary;
  AgentSummaryKey summary_key;
};

struct MasterCore::Offer {
  v1::Offer offer;
  OfferView view;
  TimerId expiry_timer = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_CORE_TYPES_HPP_
