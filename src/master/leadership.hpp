// Leadership: a replicated master's life in the ZooKeeper election.
//
// It runs the LeaderContender and fills the CoreSlot the services read:
// once elected it loads the zk registry (fenced by its own election znode),
// builds a fresh MasterCore from it (agents wait to re-register, frameworks
// to re-subscribe, exactly as after a standalone restart) and installs it;
// when it stops leading it drops that core (every stream closes) and the
// contender contends again with a new session. A registry write that fails
// makes the core step down; Leadership turns that into an abdication, so a
// master never goes on with state it could not persist, and never exits.
//
// While no core serves, every call is refused with UNAVAILABLE plus a
// LeaderRedirect naming the leader (when another master leads).
//
// Loop thread only (construction included).
#ifndef AGORA_MASTER_LEADERSHIP_HPP_
#define AGORA_MASTER_LEADERSHIP_HPP_

#include <functional>
#include <memory>
#include <string>

#include "master/core_slot.hpp"
#include "master/leader_contender.hpp"
#include "master/registry.hpp"

namespace agora::master {

class ZkRegistry;

class Leadership {
 public:
  // Builds a core (not yet recovered) on `registry`.
  using CoreFactory = std::function<std::unique_ptr<MasterCore>(std::unique_ptr<Registry>)>;

  Leadership(EventLoop* loop, LeaderContender::Options options, CoreFactory factory);
  ~Leadership();

  // Contends as `self`.
  void Start(v1::MasterInfo self) { contender_.Start(std::move(self)); }
  // Drops the core and leaves the election (another master takes over at
  // once).
  void Stop();

  CoreSlot* slot() { return &slot_; }

 private:
  void OnElected(ZkClient* zk, const std::string& member_path);
  void OnLoaded(uint64_t term, ZkClient* zk, const std::string& member_path,
                absl::StatusOr<internal::Registry> registry);
  void OnDeposed(const absl::Status& why);
  absl::Status CheckServing() const;
  std::string ElectionMetrics() const;

  EventLoop* loop_;
  std::string root_;
  CoreFactory factory_;
  LeaderContender contender_;
  CoreSlot slot_;
  // Counts elections; a load or step-down of an earlier term is ignored.
  uint64_t term_ = 0;
  ZkRegistry* registry_ = nullptr;  // Owned by the installed core.
  absl::Time elected_at_ = absl::InfinitePast();
  uint64_t step_downs_ = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_LEADERSHIP_HPP_
