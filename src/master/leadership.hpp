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
// While standing by, it mirrors the registry (ZkRegistryMirror, refreshed
// on every connection of its session), so once elected it recovers from
// the mirror instead of reading every znode; if the mirror is unusable it
// loads in full. Between
// election and serving (the registry loading), agent streams are held
// instead (RecoveryHold: at most kMaxHeld, each at most kHoldBound) and
// handed to the core as soon as it is installed, so the fleet does not back
// off while the leader loads; if recovery fails or leadership is lost they
// are refused with the reason.
//
// Loop thread only (construction included).
#ifndef AGORA_MASTER_LEADERSHIP_HPP_
#define AGORA_MASTER_LEADERSHIP_HPP_

#include <functional>
#include <memory>
#include <string>

#include "master/core_slot.hpp"
#include "master/leader_contender.hpp"
#include "master/recovery_hold.hpp"
#include "master/registry.hpp"

namespace agora::master {

class ZkRegistry;
class ZkRegistryMirror;

class Leadership {
 public:
  // Builds a core (not yet recovered) on `registry`.
  using CoreFactory = std::function<std::unique_ptr<MasterCore>(std::unique_ptr<Registry>)>;

  // Tests: runs once elected, before the registry load; the load starts
  // when `load` is called (any thread). Null: at once.
  using LoadGate = std::function<void(std::function<void()> load)>;

  Leadership(EventLoop* loop, LeaderContender::Options options, CoreFactory factory,
             LoadGate gate = nullptr);
  ~Leadership();

  // Contends as `self`.
  void Start(v1::MasterInfo self) { contender_.Start(std::move(self)); }
  // Drops the core and leaves the election (another master takes over at
  // once).
  void Stop();

  CoreSlot* slot() { return &slot_; }

 private:
  void OnElected(ZkClient* zk, const std::string& member_path);
  void StartLoad(uint64_t term, ZkClient* zk, const std::string& member_path);
  void OnLoaded(uint64_t term, ZkClient* zk, const std::string& member_path,
                absl::StatusOr<internal::Registry> registry);
  void OnDeposed(const absl::Status& why);
  absl::Status CheckServing() const;
  void StartMirror(ZkClient* zk);
  void CheckMirror();
  bool Hold(RecoveryHold::Waiter waiter);
  void ArmHoldTimer();
  void ReleaseHeld(const absl::Status& status);
  // Once the core is installed and the first lease confirmed: serving;
  // hands the held streams over.
  void MaybeServe();
  std::string ElectionMetrics() const;

  EventLoop* loop_;
  std::string root_;
  CoreFactory factory_;
  LoadGate gate_;
  LeaderContender contender_;
  CoreSlot slot_;
  // Counts elections; a load or step-down of an earlier term is ignored.
  uint64_t term_ = 0;
  ZkRegistry* registry_ = nullptr;  // Owned by the installed core.
  absl::Time elected_at_ = absl::InfinitePast();
  uint64_t step_downs_ = 0;
  // The standby's registry mirror, of contender session mirror_session_.
  std::unique_ptr<ZkRegistryMirror> mirror_;
  uint64_t mirror_session_ = 0;
  ZkClient* mirror_zk_ = nullptr;  // Valid while the session is mirror_session_.
  TimerId mirror_timer_ = 0;
  // Elected and served since (held streams handed over); false while
  // recovering or the first lease is unconfirmed.
  bool served_ = false;
  RecoveryHold hold_;
  TimerId hold_timer_ = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_LEADERSHIP_HPP_
