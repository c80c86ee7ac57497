// MasterCore lifecycle, allocation and offers.
#include <time.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "master/allocator_thread.hpp"
#include "master/core_types.hpp"

namespace agora::master {
namespace {

// CPU time of the calling thread: what the loop itself spent, whatever the
// machine's load (wall time also counts the waits for a core).
absl::Duration ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

}  // namespace

MasterCore::MasterCore(EventLoop* loop, MasterOptions options, std::string master_id,
                       std::string master_address, std::unique_ptr<Registry> registry,
                       std::unique_ptr<Allocation> allocation)
    : loop_(loop),
      options_(std::move(options)),
      master_id_(std::move(master_id)),
      master_address_(std::move(master_address)),
      start_time_(loop->Now()),
      registry_(std::move(registry)),
      allocation_(std::move(allocation)),
      tasks_(static_cast<size_t>(options_.max_completed_tasks_per_framework)),
      watchers_(loop, options_.framework_heartbeat_interval) {
  if (options_.allocation_thread) {
    // The allocator's failures reach the loop later, as the same broken
    // invariants CheckAllocation counts.
    auto thread = std::make_unique<AllocatorThread>(
        loop_, std::move(allocation_), [this](const absl::Status& status, const std::string& call) {
          CheckAllocation(status, call);
        });
    allocator_thread_ = thread.get();
    allocation_ = std::move(thread);
  }
  tasks_.set_observer(
      [this](const v1::Task& task, const v1::TaskStatus* status) { PublishTask(task, status); });
}

MasterCore::~MasterCore() = default;

void MasterCore::Shutdown() {
  DCHECK(loop_->IsInLoopThread());
  if (shut_down_) return;
  shut_down_ = true;
  loop_->Cancel(sweep_timer_);
  loop_->Cancel(reregister_timer_);
  loop_->Cancel(unreachable_timer_);
  for (auto& [id, offer] : offers_) loop_->Cancel(offer->expiry_timer);
  for (auto& [id, framework] : frameworks_) {
    loop_->Cancel(framework->heartbeat_timer);
    loop_->Cancel(framework->failover_timer);
    if (framework->sink) framework->sink->Close(absl::UnavailableError("master shutting down"));
    framework->sink.reset();
  }
  for (auto& [id, agent] : agents_) loop_->Cancel(agent->heartbeat_timer);
  for (auto& [connection, sink] : connections_) {
    sink->Close(absl::UnavailableError("master shutting down"));
  }
  connections_.clear();
  watchers_.CloseAll(
      absl::UnavailableError("the master stopped serving (stepped down or shut "
                             "down); watch the leader again"));
}

void MasterCore::CountMessage(absl::string_view kind) {
  auto it = counters_.messages.find(kind);
  if (it == counters_.messages.end()) it = counters_.messages.emplace(std::string(kind), 0).first;
  ++it->second;
}

// ---------------------------------------------------------------------------
// Allocation: prompt after every change (coalesced through one posted run),
// plus a periodic sweep for expired filters. The run, the cycle's decisions
// and their slices go to the loop's bulk lane (EventLoop::PostBulk), behind
// the agent updates and scheduler calls queued before them: changes made
// meanwhile coalesce into that one run, as in one FIFO queue. (On the
// ordinary lane a cycle would start after every few updates: many small
// offers, many small accepts, more loop work per task.)

void MasterCore::RequestAllocation() {
  if (allocation_pending_ || shut_down_) return;
  allocation_pending_ = true;
  std::weak_ptr<const bool> alive = alive_;
  loop_->PostBulk([this, alive] {
    if (!alive.expired()) RunAllocation();
  });
}

void MasterCore::ScheduleSweep() {
  sweep_timer_ = loop_->RunAfter(options_.allocation_interval, [this] {
    if (shut_down_) return;
    RequestAllocation();
    ScheduleSweep();
  });
}

void MasterCore::RunAllocation() {
  allocation_pending_ = false;
  if (shut_down_) return;
  if (allocator_thread_ != nullptr) {
    // One cycle in flight at a time: requests made meanwhile coalesce into
    // one more cycle once its decisions are in.
    if (cycle_in_flight_) {
      cycle_again_ = true;
      return;
    }
    cycle_in_flight_ = true;
    allocator_thread_->StartCycle(loop_->Now(), [this](AllocatorThread::Cycle cycle) {
      OnAllocationCycle(std::move(cycle));
    });
    return;
  }
  const absl::Duration loop_cpu = ThreadCpuTime();
  auto started = std::chrono::steady_clock::now();
  std::vector<OfferDecision> decisions = allocation_->Allocate(loop_->Now());
  ObserveAllocationCycle(absl::FromChrono(std::chrono::steady_clock::now() - started));
  SendOffers(decisions, 0, decisions.size(), nullptr);
  counters_.allocation_loop_seconds.Observe(absl::ToDoubleSeconds(ThreadCpuTime() - loop_cpu));
}

void MasterCore::OnAllocationCycle(AllocatorThread::Cycle cycle) {
  if (shut_down_) return;
  ObserveAllocationCycle(cycle.duration);
  ApplyAllocationCycle(std::make_shared<const AllocatorThread::Cycle>(std::move(cycle)), 0);
}

void MasterCore::ApplyAllocationCycle(std::shared_ptr<const AllocatorThread::Cycle> cycle,
                                      size_t begin) {
  if (shut_down_) return;
  const absl::Duration loop_cpu = ThreadCpuTime();
  // A cycle over a large fleet decides thousands of offers: turning them
  // into offers a slice per loop turn lets the calls queued meanwhile in.
  // Each slice checks its decisions against the view of its own turn.
  constexpr size_t kDecisionsPerTurn = 64;
  const size_t end = std::min(begin + kDecisionsPerTurn, cycle->decisions.size());
  SendOffers(cycle->decisions, begin, end, cycle.get());
  counters_.allocation_loop_seconds.Observe(absl::ToDoubleSeconds(ThreadCpuTime() - loop_cpu));
  if (end < cycle->decisions.size()) {
    std::weak_ptr<const bool> alive = alive_;
    loop_->PostBulk([this, alive, cycle = std::move(cycle), end] {
      if (!alive.expired()) ApplyAllocationCycle(cycle, end);
    });
    return;
  }
  cycle_in_flight_ = false;
  if (cycle_again_) {
    cycle_again_ = false;
    RequestAllocation();
  }
}

void MasterCore::ObserveAllocationCycle(absl::Duration duration) {
  const double seconds = absl::ToDoubleSeconds(duration);
  counters_.allocation_seconds.Observe(seconds);
  counters_.allocation_seconds_last = seconds;
}

bool MasterCore::Offerable(const OfferDecision& decision) const {
  auto framework = frameworks_.find(decision.framework_id);
  if (framework == frameworks_.end() || !framework->second->connected ||
      framework->second->suppressed_roles.count(decision.role) > 0) {
    return false;
  }
  auto agent = agents_.find(decision.agent_id);
  return agent != agents_.end() && agent->second->sink && agent->second->reachable &&
         !agent->second->deactivated && !agent->second->draining;
}

void MasterCore::SendOffers(const std::vector<OfferDecision>& decisions, size_t begin, size_t end,
                            const AllocatorThread::Cycle* cycle) {
  std::map<std::string, v1::Event> events;  // By framework id.
  const absl::Time now = loop_->Now();
  for (size_t i = begin; i < end; ++i) {
    const OfferDecision& decision = decisions[i];
    // Decided off the loop against a view that may be stale: the agent or
    // framework was removed since (the allocator freed the decision with
    // it), or it can no longer be offered (the allocator still books it).
    if (cycle != nullptr && !allocator_thread_->Booked(decision, *cycle)) {
      ++counters_.allocation_decisions_dropped;
      continue;
    }
    if (!Offerable(decision)) {
      // Raced with a disconnect, a deactivation or a suppression: give the
      // resources straight back.
      ++counters_.allocation_decisions_returned;
      CheckAllocation(allocation_->Recover(decision.framework_id, decision.agent_id, decision.role,
                                           decision.resources, std::nullopt, now),
                      "Recover (offer raced with a disconnect)");
      continue;
    }
    auto framework = frameworks_.find(decision.framework_id);
    auto agent = agents_.find(decision.agent_id);
    auto offer = std::make_unique<Offer>();
    const std::string id = ids_->Next("offer");
    v1::Offer& proto = offer->offer;
    proto.mutable_id()->set_value(id);
    proto.mutable_framework_id()->set_value(decision.framework_id);
    proto.mutable_agent_id()->set_value(decision.agent_id);
    proto.set_hostname(agent->second->info.hostname());
    proto.set_allocation_role(decision.role);
    *proto.mutable_resources() = decision.resources.ToProto();
    *proto.mutable_attributes() = agent->second->info.attributes();
    *proto.mutable_domain() = agent->second->info.domain();
    for (const auto& executor : tasks_.LiveExecutorsOn(decision.agent_id, decision.framework_id))
      proto.add_executor_ids()->set_value(executor);
    if (options_.offer_timeout > absl::ZeroDuration()) {
      proto.set_expire_time(UnixSeconds(now + options_.offer_timeout));
      offer->expiry_timer = loop_->RunAfter(options_.offer_timeout, [this, id] {
        VLOG(1) << "Offer expired offer_id=" << id;
        RemoveOffer(id, /*rescind=*/true, std::nullopt);
        RequestAllocation();
      });
    }
    offer->view =
        OfferView{decision.framework_id, decision.agent_id, decision.resources, decision.role};
    framework->second->offers.insert(id);
    agent->second->offers.insert(id);
    v1::Event& event = events[decision.framework_id];
    event.set_type(v1::Event::OFFERS);
    *event.mutable_offers()->add_offers() = proto;
    offers_.emplace(id, std::move(offer));
    ++counters_.offers_sent;
  }
  for (auto& [framework_id, event] : events) SendToFramework(framework_id, std::move(event));
}

void MasterCore::RemoveOffer(const std::string& offer_id, bool rescind,
                             std::optional<absl::Duration> refuse) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) return;
  std::unique_ptr<Offer> offer = std::move(it->second);
  offers_.erase(it);
  loop_->Cancel(offer->expiry_timer);
  const OfferView& view = offer->view;
  if (auto framework = frameworks_.find(view.framework_id); framework != frameworks_.end()) {
    framework->second->offers.erase(offer_id);
  }
  if (auto agent = agents_.find(view.agent_id); agent != agents_.end()) {
    agent->second->offers.erase(offer_id);
  }
  CheckAllocation(allocation_->Recover(view.framework_id, view.agent_id, view.role, view.resources,
                                       refuse, loop_->Now()),
                  rescind ? "Recover (rescinded offer)" : "Recover (declined offer)");
  if (rescind) {
    ++counters_.offers_rescinded;
    v1::Event event;
    event.set_type(v1::Event::RESCIND);
    event.mutable_rescind()->mutable_offer_id()->set_value(offer_id);
    SendToFramework(view.framework_id, std::move(event));
  }
}

void MasterCore::RescindOffersOfAgent(const std::string& agent_id) {
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return;
  std::set<std::string> offers = agent->second->offers;
  for (const auto& id : offers) RemoveOffer(id, /*rescind=*/true, std::nullopt);
}

void MasterCore::RescindOffersOfFramework(const std::string& framework_id) {
  auto framework = frameworks_.find(framework_id);
  if (framework == frameworks_.end()) return;
  std::set<std::string> offers = framework->second->offers;
  for (const auto& id : offers) RemoveOffer(id, /*rescind=*/true, std::nullopt);
}

absl::Duration MasterCore::RefuseDuration(const v1::Filters& filters) const {
  if (filters.refuse_seconds() <= 0) return options_.default_refuse;
  return std::min(absl::Seconds(filters.refuse_seconds()), options_.max_refuse);
}

void MasterCore::RecoverTaskResources(const v1::Task& task) {
  auto resources = Resources::FromProto(task.resources());
  if (!resources.ok()) return;
  CheckAllocation(allocation_->Recover(task.framework_id().value(), task.agent_id().value(),
                                       TaskRole(task), *resources, std::nullopt, loop_->Now()),
                  "Recover (terminal task)");
  RequestAllocation();
}

bool MasterCore::CheckAllocation(const absl::Status& status, absl::string_view call) {
  if (status.ok()) return true;
  ++counters_.allocation_invariant_violations;
  LOG(DFATAL) << "Allocation invariant violated: " << call << ": " << status
              << " (the master's and the allocator's accounting disagree)";
  return false;
}

std::string MasterCore::TaskRole(const v1::Task& task) const {
  if (!task.role().empty()) return task.role();
  auto framework = frameworks_.find(task.framework_id().value());
  if (framework != frameworks_.end() && framework->second->info.roles_size() > 0)
    return framework->second->info.roles(0);
  return "*";
}

// ---------------------------------------------------------------------------
// Outbound helpers.

v1::TaskStatus MasterCore::MasterStatus(const v1::Task& task, v1::TaskState state,
                                        v1::TaskStatus::Reason reason,
                                        const std::string& message) const {
  v1::TaskStatus status;
  FillMasterStatus(task, state, reason, message, &status);
  return status;
}

void MasterCore::FillMasterStatus(const v1::Task& task, v1::TaskState state,
                                  v1::TaskStatus::Reason reason, const std::string& message,
                                  v1::TaskStatus* status) const {
  *status->mutable_task_id() = task.task_id();
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_MASTER);
  status->set_reason(reason);
  status->set_message(message);
  *status->mutable_agent_id() = task.agent_id();
  *status->mutable_executor_id() = task.executor_id();
  status->set_timestamp(UnixSeconds(loop_->Now()));
}

void MasterCore::SendToFramework(const std::string& framework_id, v1::Event event) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || !it->second->sink || !it->second->subscribed) return;
  if (!it->second->sink->Send(std::move(event))) {
    LOG(WARNING) << "Could not deliver an event to framework_id=" << framework_id;
  }
}

void MasterCore::SendUpdate(const std::string& framework_id, const v1::TaskStatus& status) {
  v1::Event event;
  event.set_type(v1::Event::UPDATE);
  *event.mutable_update()->mutable_status() = status;
  SendToFramework(framework_id, std::move(event));
}

bool MasterCore::SendToAgent(const std::string& agent_id, internal::MasterMessage message) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second->sink) return false;
  return it->second->sink->Send(std::move(message));
}

}  // namespace agora::master
