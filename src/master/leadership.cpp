#include "master/leadership.hpp"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.hpp"
#include "common/metrics.hpp"
#include "glog/logging.h"
#include "master/zk_registry.hpp"

namespace agora::master {
namespace {

// A master whose registry cannot be loaded waits this long before it
// contends again (the next master tries meanwhile).
constexpr absl::Duration kLoadFailureBackoff = absl::Seconds(5);
// After a step-down (a registry write failed), before contending again.
constexpr absl::Duration kStepDownBackoff = absl::Seconds(1);

}  // namespace

Leadership::Leadership(EventLoop* loop, LeaderContender::Options options, CoreFactory factory)
    : loop_(loop),
      root_(options.root),
      factory_(std::move(factory)),
      contender_(loop, std::move(options),
                 LeaderContender::Callbacks{
                     [this](ZkClient* zk, const std::string& path) { OnElected(zk, path); },
                     [this](const absl::Status& why) { OnDeposed(why); },
                     [this] {
                       if (registry_ != nullptr) registry_->OnSessionConnected();
                     }}),
      slot_(CoreSlot::Policy{[this] { return CheckServing(); },
                             [this] { return contender_.members(); },
                             [this] { return ElectionMetrics(); }}) {}

Leadership::~Leadership() { Stop(); }

void Leadership::Stop() {
  contender_.Stop();
  slot_.Drop();
  registry_ = nullptr;
}

void Leadership::OnElected(ZkClient* zk, const std::string& member_path) {
  const uint64_t term = ++term_;
  elected_at_ = loop_->Now();
  LOG(INFO) << "Elected: loading the registry from ZooKeeper";
  ZkRegistry::Load(zk, root_,
                   [this, term, zk, member_path](absl::StatusOr<internal::Registry> registry) {
                     OnLoaded(term, zk, member_path, std::move(registry));
                   });
}

void Leadership::OnLoaded(uint64_t term, ZkClient* zk, const std::string& member_path,
                          absl::StatusOr<internal::Registry> loaded) {
  if (term != term_ || !contender_.leading()) return;
  if (!loaded.ok()) {
    LOG(ERROR) << "Cannot load the registry: " << loaded.status() << "; giving up leadership for "
               << absl::FormatDuration(kLoadFailureBackoff);
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
    contender_.Abdicate(status, kLoadFailureBackoff);
    return;
  }
  registry_ = raw;
  slot_.Install(std::move(core));
  slot_.installed()->Start();
  LOG(INFO) << "Leading: serving after " << absl::FormatDuration(loop_->Now() - elected_at_)
            << " of registry recovery";
}

void Leadership::OnDeposed(const absl::Status& why) {
  LOG(WARNING) << "Stepping down as leader: " << why.message()
               << "; dropping the in-memory state and contending again";
  ++term_;
  registry_ = nullptr;
  slot_.Drop();
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
  out.Gauge("agora_master_contenders", "Masters contending in the election, as last seen.",
            contender_.members().size());
  return out.text();
}

}  // namespace agora::master
