// MasterCore: recovery from the registry (agents waiting to re-register,
// frameworks waiting to re-subscribe), the re-registration window, and
// durability: every registry write goes through Persist(), and a failed
// write steps the master down.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {

absl::Status MasterCore::Recover() {
  auto recovered = registry_->Recover();
  if (!recovered.ok()) return recovered.status();
  const internal::Registry& registry = *recovered;
  // Start() persists the bump to this epoch before anything using these ids
  // can be committed (registry writes commit in order).
  ids_ = std::make_unique<IdGenerator>(absl::StrCat(registry.epoch() + 1));
  recovery_time_ = loop_->Now();
  for (const auto& record : registry.agents()) {
    const std::string& id = record.info().id().value();
    if (record.status() == internal::AgentRecord::GONE) {
      gone_agents_.insert(id);
      continue;
    }
    auto agent = std::make_unique<Agent>();
    agent->info = record.info();
    RecoverMaintenance(record, agent.get());
    if (auto total = Resources::FromProto(record.info().resources()); total.ok()) {
      agent->total = *total;
    }
    if (record.status() == internal::AgentRecord::UNREACHABLE) {
      agent->reachable = false;
      agent->unreachable_time = absl::FromUnixSeconds(0) + absl::Seconds(record.status_time());
    } else {
      agent->recovered = true;
      ++recovering_agents_;
      ++recovered_agents_total_;
    }
    agents_[id] = std::move(agent);
  }
  for (const auto& record : registry.frameworks()) {
    const std::string& id = record.info().id().value();
    auto framework = std::make_unique<Framework>();
    framework->info = record.info();
    framework->registered_time = absl::FromUnixSeconds(0) + absl::Seconds(record.registered_time());
    // Connected when the previous master died: its timeout counts from now.
    framework->unregistered_time =
        record.disconnected_time() > 0
            ? absl::FromUnixSeconds(0) + absl::Seconds(record.disconnected_time())
            : recovery_time_;
    frameworks_[id] = std::move(framework);
  }
  for (const auto& id : registry.removed_frameworks()) removed_frameworks_.insert(id.value());
  RecoverPolicy(registry);
  LOG(INFO) << "Recovered from the registry: " << recovering_agents_ << " agents to re-register, "
            << frameworks_.size() << " frameworks to re-subscribe, " << gone_agents_.size()
            << " gone agents";
  return absl::OkStatus();
}

void MasterCore::Start() {
  DCHECK(loop_->IsInLoopThread());
  if (started_ || shut_down_) return;
  started_ = true;
  std::vector<internal::Operation> operations(1);
  operations[0].set_type(internal::Operation::BUMP_EPOCH);
  const absl::Time now = loop_->Now();
  for (auto& [id, framework] : frameworks_) {
    if (framework->connected) continue;
    const absl::Duration left = std::max(
        absl::ZeroDuration(), FailoverTimeout(*framework) - (now - framework->unregistered_time));
    ArmFailoverTimer(framework.get(), left);
    // Record when its timeout started, so repeated restarts cannot extend it.
    internal::Operation& op = operations.emplace_back();
    op.set_type(internal::Operation::PUT_FRAMEWORK);
    *op.mutable_framework()->mutable_info() = framework->info;
    op.mutable_framework()->set_registered_time(UnixSeconds(framework->registered_time));
    op.mutable_framework()->set_disconnected_time(UnixSeconds(framework->unregistered_time));
    LOG(INFO) << "Framework framework_id=" << id << " has " << absl::FormatDuration(left)
              << " to re-subscribe before it is removed";
  }
  Persist(std::move(operations), nullptr);
  if (recovering_agents_ > 0) {
    LOG(INFO) << recovering_agents_ << " recovered agents have "
              << absl::FormatDuration(options_.agent_reregister_timeout) << " to re-register";
    reregister_timer_ =
        loop_->RunAfter(options_.agent_reregister_timeout, [this] { OnReregisterTimeout(); });
  }
  ScheduleSweep();
}

void MasterCore::OnReregisterTimeout() {
  if (shut_down_) return;
  for (const auto& [id, agent] : agents_) {
    if (agent->recovered) unreachable_queue_.push_back(id);
  }
  const double limit = options_.recovered_agents_unreachable_limit * recovered_agents_total_;
  if (static_cast<double>(unreachable_queue_.size()) > limit + 1e-9) {
    LOG(ERROR) << unreachable_queue_.size() << " of " << recovered_agents_total_
               << " recovered agents did not re-register within "
               << absl::FormatDuration(options_.agent_reregister_timeout)
               << ": more than --recovered_agents_unreachable_limit="
               << options_.recovered_agents_unreachable_limit
               << " allows; marking none of them unreachable (this master is likelier cut off "
                  "than they are). They stay RECOVERING until they return; mark them gone or "
                  "raise the limit and restart the master to proceed.";
    unreachable_queue_.clear();
    return;
  }
  if (!unreachable_queue_.empty()) {
    LOG(WARNING) << unreachable_queue_.size() << " recovered agents did not re-register within "
                 << absl::FormatDuration(options_.agent_reregister_timeout)
                 << "; marking them unreachable at "
                 << options_.recovered_agents_unreachable_per_second << " per second";
  }
  MarkRecoveredAgentsUnreachable();
}

void MasterCore::MarkRecoveredAgentsUnreachable() {
  unreachable_timer_ = 0;
  if (shut_down_) return;
  int budget = options_.recovered_agents_unreachable_per_second;
  while (budget > 0 && !unreachable_queue_.empty()) {
    const std::string id = unreachable_queue_.front();
    unreachable_queue_.pop_front();
    auto it = agents_.find(id);
    if (it == agents_.end() || !it->second->recovered) continue;  // Came back meanwhile.
    --budget;
    ++counters_.recovered_agents_unreachable;
    LOG(WARNING) << "Recovered agent did not re-register; marking it unreachable agent_id=" << id;
    MarkAgentUnreachable(id);
  }
  if (!unreachable_queue_.empty()) {
    unreachable_timer_ =
        loop_->RunAfter(absl::Seconds(1), [this] { MarkRecoveredAgentsUnreachable(); });
  }
}

void MasterCore::Persist(std::vector<internal::Operation> operations,
                         std::function<void()> committed) {
  if (stepped_down_) return;
  auto started = std::chrono::steady_clock::now();
  registry_->Apply(std::move(operations), [this, started,
                                           committed = std::move(committed)](absl::Status status) {
    counters_.registry_write_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!status.ok()) {
      StepDown(status);
      return;
    }
    if (committed && !stepped_down_ && !shut_down_) committed();
  });
}

void MasterCore::StepDown(const absl::Status& status) {
  DCHECK(loop_->IsInLoopThread());
  if (stepped_down_) return;
  stepped_down_ = true;
  step_down_status_ = status;
  LOG(ERROR) << "Registry write failed; stepping down (this master will not serve without "
                "durable state): "
             << status;
  Shutdown();
  if (on_step_down_) on_step_down_(status);
}

MasterHealth MasterCore::Health() const {
  MasterHealth health;
  if (stepped_down_) {
    health.durable = false;
    health.reason =
        absl::StrCat("stepped down: the registry cannot be written: ", step_down_status_.message());
  } else if (shut_down_) {
    health.durable = false;
    health.reason = "shutting down";
  } else if (!started_) {
    health.reason = "recovering";
  }
  health.ready = started_ && !shut_down_ && !stepped_down_;
  return health;
}

}  // namespace agora::master
