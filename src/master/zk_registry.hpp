// ZkRegistry: the master's Registry kept in ZooKeeper (--registry=zk), one
// znode per record so a change writes only what it touches.
//
// Layout under R = zk_layout::RegistryPath(root) ("/agora/registry"); every
// value is binary protobuf; <name> is the id or role percent-encoded
// (EscapeZnodeName: every byte outside [A-Za-z0-9_-] becomes %XX, so roles
// with '/' and names like "." stay one znode):
//
//   R/agents/<agent id>           internal::AgentRecord
//   R/frameworks/<framework id>   internal::FrameworkRecord
//   R/quotas/<role>               v1::QuotaConfig
//   R/weights/<role>              v1::WeightInfo
//   R/epoch                       internal::Registry with only `epoch` set
//   R/removed_frameworks          internal::Registry with only
//                                 `removed_frameworks` set (the bounded list)
//
// Fencing: every write is one ZooKeeper multi whose first op checks that
// the writer's own election znode (`fence_path`, ephemeral) still exists at
// version 0. A deposed master (its session expired, its znode gone) can
// therefore never write, even if it has not noticed yet. (The election
// code must never rewrite its znode's data: that would bump the version.)
//
// Batching: while a multi is in flight, Apply() calls queue; the next multi
// carries all of them (in order) up to ~512 KiB of payload, split between
// Apply() calls, never inside one. Each Apply's callback runs once its multi
// committed.
//
// Failures: connection loss and operation timeouts are ambiguous (the multi
// may have committed), so the registry waits until the session is connected
// again, re-reads which touched znodes exist, rebuilds the ops from the
// desired content (creates that happened become sets, deletes that happened
// are dropped) and sends again, still fenced. A fenced write, an expired
// session or any other error fails the batch and every later Apply(): the
// master must step down.
//
// Owner: the elected master (MasterCore); loop thread only. The ZkClient
// must outlive the registry; callbacks still pending when the registry is
// destroyed are dropped.
#ifndef AGORA_MASTER_ZK_REGISTRY_HPP_
#define AGORA_MASTER_ZK_REGISTRY_HPP_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/zk_client.hpp"
#include "master/registry.hpp"

namespace agora::master {

// The znode names of the layout above.
namespace zk_registry_layout {
inline constexpr absl::string_view kAgents = "agents";
inline constexpr absl::string_view kFrameworks = "frameworks";
inline constexpr absl::string_view kQuotas = "quotas";
inline constexpr absl::string_view kWeights = "weights";
inline constexpr absl::string_view kEpoch = "epoch";
inline constexpr absl::string_view kRemovedFrameworks = "removed_frameworks";
}  // namespace zk_registry_layout

// Percent-encodes every byte outside [A-Za-z0-9_-] ("a/b" -> "a%2Fb").
std::string EscapeZnodeName(absl::string_view name);
// The inverse; INVALID_ARGUMENT for a malformed escape.
absl::StatusOr<std::string> UnescapeZnodeName(absl::string_view name);

// The registry's znodes as read, before parsing: `dir` is
// RegistryPath(root); `records` the (znode name, bytes) of each record
// directory (kAgents, ...), any order; `epoch` and `removed` the singletons.
struct ZkRegistryRaw {
  std::string dir;
  std::map<absl::string_view, std::vector<std::pair<std::string, std::string>>> records;
  std::string epoch;
  std::string removed;
};

// Parses `raw` into a registry, records sorted by id or role; DATA_LOSS
// naming the znode for a record that does not parse or holds another id
// than its name.
absl::StatusOr<internal::Registry> ParseZkRegistry(ZkRegistryRaw raw);

class ZkRegistry : public Registry {
 public:
  using LoadDone = std::function<void(absl::StatusOr<internal::Registry>)>;

  // Creates the layout's directories (and empty epoch / removed_frameworks
  // znodes) if missing, then reads every record with all reads in flight at
  // once. `done` runs on `zk`'s loop with the registry, records sorted by id
  // or role; DATA_LOSS naming the znode for a record that does not parse or
  // holds another id than its name; the ZooKeeper error otherwise.
  static void Load(ZkClient* zk, std::string root, LoadDone done);

  // `loaded` is what Load() returned; `fence_path` is this master's own
  // election znode. `zk` must outlive the registry.
  ZkRegistry(EventLoop* loop, ZkClient* zk, std::string root, std::string fence_path,
             internal::Registry loaded);
  ~ZkRegistry() override;

  // Returns the preloaded registry at once.
  absl::StatusOr<internal::Registry> Recover() override;
  void Apply(std::vector<internal::Operation> operations, Callback done) override;
  const internal::Registry& state() const override { return state_.registry(); }

  // Tells the registry its session is connected again: a write waiting to be
  // retried goes now instead of at its next poll.
  void OnSessionConnected();

  // Multis sent so far, retries included (tests: batching).
  uint64_t multis_sent() const { return multis_sent_; }

 private:
  // One Apply(): the znodes it touches with their content after it
  // (nullopt: absent), and its callback.
  struct Write {
    std::map<std::string, std::optional<std::string>> znodes;
    size_t bytes = 0;
    Callback done;
  };

  // Which record an operation touches: a kind (a layout name) and an id.
  using Key = std::pair<absl::string_view, std::string>;
  std::string PathOf(const Key& key) const;
  std::optional<std::string> Content(const Key& key) const;
  void SendNext();
  void Send();
  void OnMultiDone(absl::Status status);
  void ScheduleRetry();
  void Retry();
  void Fail(absl::Status status);
  void Finish(std::vector<Callback> callbacks, const absl::Status& status);

  EventLoop* loop_;
  ZkClient* zk_;
  std::string dir_;         // RegistryPath(root).
  std::string fence_path_;  // The writer's election znode.
  IndexedRegistry state_;
  std::set<std::string> existing_;  // Record znodes known to exist.

  std::deque<Write> queued_;                                     // Not yet sent.
  std::map<std::string, std::optional<std::string>> in_flight_;  // Desired content.
  std::vector<Callback> in_flight_callbacks_;
  bool sending_ = false;  // A batch is in flight or waiting to be retried.
  TimerId retry_timer_ = 0;
  absl::Duration retry_delay_;
  std::optional<absl::Status> failed_;
  uint64_t multis_sent_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agora::master

#endif  // AGORA_MASTER_ZK_REGISTRY_HPP_
