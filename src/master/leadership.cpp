#include "master/leadership.hpp"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.hpp"
#include "common/metrics.hpp"
#include "glog/logging.h"
#include "master/zk_registry.hpp"
#include "master/zk_registry_mirror.hpp"

namespace agora::master {
namespace {

// A master whose registry cannot be loaded waits this long before it
// contends again (the next master tries meanwhile).
constexpr absl::Duration kLoadFailureBackoff = absl::Seconds(5);
// After a step-down (a registry write failed), before contending again.
constexpr absl::Duration kStepDownBackoff = absl::Seconds(1);
// Streams held while the registry loads: at most this many (a fleet of
// 10,000 agents fits several times over)...
constexpr size_t kMaxHeld = 50000;
// ... each for at most this long, then refused like an unheld one. Below
// the agents' silence limit (3 missed 5 s heartbeats), above the load of
// 10,000 agents (~2 s).
constexpr absl::Duration kHoldBound = absl::Seconds(10);
// A standby whose registry mirror failed (e.g. no registry yet) starts a new
// one after this long.
constexpr absl::Duration kMirrorRetry = absl::Seconds(2);

}  // namespace

Leadership::Leadership(EventLoop* loop, LeaderContender::Options options, CoreFactory factory,
                       LoadGate gate)
    : loop_(loop),
      root_(options.root),
      factory_(std::move(factory)),
      gate_(std::move(gate)),
      contender_(loop, std::move(options),
                 LeaderContender::Callbacks{
                     [this](ZkClient* zk, const std::string& path) { OnElected(zk, path); },
                     [this](const absl::Status& why) { OnDeposed(why); },
                     [this] {
                       if (registry_ != nullptr) registry_->OnSessionConnected();
                     },
                     [this](ZkClient* zk) { StartMirror(zk); }, [this] { MaybeServe(); }}),
      slot_(CoreSlot::Policy{
          [this] { return CheckServing(); }, [this] { return contender_.members(); },
          [this] { return ElectionMetrics(); },
          [this](RecoveryHold::Waiter waiter) { return Hold(std::move(waiter)); }}),
      hold_(kMaxHeld, kHoldBound) {}

Leadership::~Leadership() { Stop(); }

void Leadership::Stop() {
  loop_->Cancel(mirror_timer_);
  mirror_timer_ = 0;
  contender_.Stop();
  slot_.Drop();
  registry_ = nullptr;
  mirror_.reset();
  ReleaseHeld(absl::UnavailableError("the master is stopping"));
}

void Leadership::StartMirror(ZkClient* zk) {
  mirror_ = std::make_unique<ZkRegistryMirror>(zk, root_);
  mirror_session_ = contender_.session();
  mirror_zk_ = zk;
  if (mirror_timer_ == 0) {
    mirror_timer_ = loop_->RunAfter(kMirrorRetry, [this] { CheckMirror(); });
  }
}

void Leadership::CheckMirror() {
  mirror_timer_ = 0;
  // Only a standby mirrors, and only on its current session.
  if (contender_.leading() || mirror_session_ != contender_.session()) return;
  if (mirror_ == nullptr || mirror_->failed()) {
    StartMirror(mirror_zk_);
    return;
  }
  mirror_timer_ = loop_->RunAfter(kMirrorRetry, [this] { CheckMirror(); });
}

void Leadership::OnElected(ZkClient* zk, const std::string& member_path) {
  const uint64_t term = ++term_;
  elected_at_ = loop_->Now();
  served_ = false;
  if (gate_) {
    gate_([this, term, zk, member_path] {
      loop_->Post([this, term, zk, member_path] {
        if (term == term_ && contender_.leading()) StartLoad(term, zk, member_path);
      });
    });
    return;
  }
  StartLoad(term, zk, member_path);
}

void Leadership::StartLoad(uint64_t term, ZkClient* zk, const std::string& member_path) {
  auto done = [this, term, zk, member_path](absl::StatusOr<internal::Registry> registry) {
    OnLoaded(term, zk, member_path, std::move(registry));
  };
  if (mirror_ == nullptr || mirror_session_ != contender_.session()) {
    LOG(INFO) << "Elected: loading the registry from ZooKeeper";
    ZkRegistry::Load(zk, root_, std::move(done));
    return;
  }
  LOG(INFO) << "Elected: recovering from the registry mirrored while standing by (records="
            << mirror_->records() << ", reads in flight=" << mirror_->pending() << ")";
  mirror_->Snapshot([this, term, zk, done](absl::StatusOr<internal::Registry> registry) {
    if (registry.ok()) {
      done(std::move(registry));
      return;
    }
    LOG(INFO) << "The registry mirror is unusable (" << registry.status()
              << "); loading the registry from ZooKeeper";
    // From the loop: the mirror is still answering.
    loop_->Post([this, term, zk, done] {
      if (term == term_ && contender_.leading()) ZkRegistry::Load(zk, root_, done);
    });
  });
}

void Leadership::OnLoaded(uint64_t term, ZkClient* zk, const std::string& member_path,
                          absl::StatusOr<internal::Registry> loaded) {
  if (term != term_ || !contender_.leading()) return;
  // The leader's own ZkRegistry is the state from now on. (From the loop:
  // the mirror may be answering this very call.)
  loop_->Post([this, term] {
    if (term == term_) mirror_.reset();
  });
  if (!loaded.ok()) {
    LOG(ERROR) << "Cannot load the registry: " << loaded.status() << "; giving up leadership for "
               << absl::FormatDuration(kLoadFailureBackoff);
    // Before abdicating (which refuses them too, less clearly).
    ReleaseHeld(absl::UnavailableError(
        absl::StrCat("elected leader could not load the registry: ", loaded.status().ToString(),
                     "; it gave up leadership, retry with the next leader")));
    contender_.Abdicate(loaded.status(), kLoadFailureBackoff);
    return;
  }
  auto registry = std::make_unique<ZkRegistry>(loop_, zk, root_, member_path, std::move(*loaded));
  ZkRegistry* raw = registry.get();
  std::unique_ptr<MasterCore> core = factory_(std::move(registry));
  core->set_on_step_down([this, term](const absl::Status& status) {
    // Runs inside the core: abdicate (which drops the core) from the loop.
    loop_->Post([this, term, status] {
      if (term != term_ || !contender_.leading()) return;
      ++step_downs_;
      contender_.Abdicate(status, kStepDownBackoff);
    });
  });
  if (absl::Status status = core->Recover(); !status.ok()) {
    LOG(ERROR) << "Cannot recover from the registry: " << status;
    ReleaseHeld(absl::UnavailableError(
        absl::StrCat("elected leader could not recover from the registry: ", status.ToString(),
                     "; it gave up leadership, retry with the next leader")));
    contender_.Abdicate(status, kLoadFailureBackoff);
    return;
  }
  registry_ = raw;
  slot_.Install(std::move(core));
  slot_.installed()->Start();
  LOG(INFO) << "Leading: serving after " << absl::FormatDuration(loop_->Now() - elected_at_)
            << " of registry recovery; " << hold_.size() << " streams held meanwhile";
  MaybeServe();
}

void Leadership::MaybeServe() {
  if (served_ || slot_.installed() == nullptr || !CheckServing().ok()) return;
  served_ = true;
  if (hold_.size() > 0) LOG(INFO) << "Handing over " << hold_.size() << " held streams";
  ReleaseHeld(absl::OkStatus());
}

void Leadership::OnDeposed(const absl::Status& why) {
  LOG(WARNING) << "Stepping down as leader: " << why.message()
               << "; dropping the in-memory state and contending again";
  ++term_;
  served_ = false;
  registry_ = nullptr;
  mirror_.reset();  // Of the session that ends now.
  slot_.Drop();
  ReleaseHeld(
      absl::UnavailableError(absl::StrCat("the elected master stopped leading: ", why.message())));
}

absl::Status Leadership::CheckServing() const {
  if (!contender_.leading()) {
    std::optional<v1::MasterInfo> leader = contender_.leader();
    return leader ? NotLeaderError(leader->address(), leader->id()) : NotLeaderError("", "");
  }
  if (absl::Status status = contender_.CheckServing(); !status.ok()) return status;
  if (slot_.installed() == nullptr) {
    return absl::UnavailableError("elected leader; recovering the registry");
  }
  return absl::OkStatus();
}

bool Leadership::Hold(RecoveryHold::Waiter waiter) {
  // Only while elected and not yet serving (recovering, or its first lease
  // confirmation, a ZooKeeper round trip after the election, still due):
  // any other refusal (not the leader, a serving leader's lease lost) is
  // answered at once.
  if (!contender_.leading() || served_) return false;
  if (!hold_.Hold(loop_->Now(), std::move(waiter))) {
    LOG_EVERY_N(WARNING, 1000) << "Already holding " << hold_.size()
                               << " streams while recovering the registry; refusing more";
    return false;
  }
  ArmHoldTimer();
  return true;
}

void Leadership::ArmHoldTimer() {
  if (hold_timer_ != 0 || hold_.size() == 0) return;
  hold_timer_ = loop_->RunAfter(hold_.next_deadline() - loop_->Now(), [this] {
    hold_timer_ = 0;
    absl::Status refusal = CheckServing();
    if (refusal.ok()) refusal = absl::UnavailableError("elected leader; recovering the registry");
    hold_.Expire(loop_->Now(), absl::UnavailableError(absl::StrCat(
                                   refusal.message(), " (held ",
                                   absl::FormatDuration(hold_.bound()), " without serving)")));
    ArmHoldTimer();
  });
}

void Leadership::ReleaseHeld(const absl::Status& status) {
  if (hold_timer_ != 0) loop_->Cancel(hold_timer_);
  hold_timer_ = 0;
  hold_.Release(status);
}

std::string Leadership::ElectionMetrics() const {
  MetricsText out;
  out.Gauge("agora_master_elected", "1 while this master leads the election.",
            contender_.leading() ? 1 : 0);
  out.Gauge("agora_master_serving",
            "1 while this master serves as leader (elected, recovered, ZooKeeper lease live).",
            CheckServing().ok() ? 1 : 0);
  out.Counter("agora_master_elections_won_total", "Times this master was elected.",
              contender_.elections_won());
  out.Counter("agora_master_zookeeper_sessions_total", "ZooKeeper sessions this master started.",
              contender_.sessions_started());
  out.Counter("agora_master_step_downs_total",
              "Times this master gave up leadership because a registry write failed.", step_downs_);
  out.Gauge("agora_master_recovery_held_streams",
            "Agent streams held while this master, elected, recovers its registry.", hold_.size());
  out.Counter("agora_master_recovery_hold_refused_total",
              "Held streams refused because the hold was full or its bound passed.",
              hold_.overflowed() + hold_.expired());
  out.Gauge("agora_master_contenders", "Masters contending in the election, as last seen.",
            contender_.members().size());
  return out.text();
}

}  // namespace agora::master
