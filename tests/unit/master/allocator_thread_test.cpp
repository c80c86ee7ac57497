// Allocation cycles off the loop (AllocatorThread): the loop keeps serving
// scheduler and agent calls while a cycle runs, and decisions made against
// a view that went stale meanwhile are dropped (agent or framework removed)
// or returned to the allocator (framework disconnected), never offered
// twice nor leaked. A gate in the wrapped allocation holds a cycle that
// decided something, after deciding, until the test opens it (cycles that
// decide nothing pass, so stray cycles never take the held one's place);
// the test thread is the loop.
#include "master/allocator_thread.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

// Holds cycles while closed. Thread-safe.
class Gate {
 public:
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = false;
    changed_.notify_all();
  }
  // Allocator thread: counts the arrival, then waits while closed.
  void Hold() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !closed_; });
  }
  int held() {
    std::lock_guard<std::mutex> lock(mutex_);
    return held_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool closed_ = false;
  int held_ = 0;
};

// The DRF allocation, with every cycle passing the gate after deciding.
class GatedAllocation : public Allocation {
 public:
  GatedAllocation(std::unique_ptr<Allocation> inner, std::shared_ptr<Gate> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}

  absl::Status AddAgent(const std::string& id, const Resources& total,
                        const std::vector<ResourceUse>& used) override {
    return inner_->AddAgent(id, total, used);
  }
  absl::Status RemoveAgent(const std::string& id) override { return inner_->RemoveAgent(id); }
  absl::Status SetAgentActive(const std::string& id, bool active) override {
    return inner_->SetAgentActive(id, active);
  }
  absl::Status AddFramework(const std::string& id, const std::vector<std::string>& roles,
                            const std::set<std::string>& suppressed) override {
    return inner_->AddFramework(id, roles, suppressed);
  }
  absl::Status UpdateFramework(const std::string& id, const std::vector<std::string>& roles,
                               const std::set<std::string>& suppressed) override {
    return inner_->UpdateFramework(id, roles, suppressed);
  }
  absl::Status RemoveFramework(const std::string& id) override {
    return inner_->RemoveFramework(id);
  }
  absl::Status SetFrameworkActive(const std::string& id, bool active) override {
    return inner_->SetFrameworkActive(id, active);
  }
  absl::Status Suppress(const std::string& id, const std::set<std::string>& roles) override {
    return inner_->Suppress(id, roles);
  }
  absl::Status Revive(const std::string& id, const std::set<std::string>& roles) override {
    return inner_->Revive(id, roles);
  }
  absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const Resources& resources,
                       std::optional<absl::Duration> refuse, absl::Time now) override {
    return inner_->Recover(framework_id, agent_id, role, resources, refuse, now);
  }
  absl::Status UpdateQuota(const std::string& role, const Resources& guarantee,
                           const Resources& limit) override {
    return inner_->UpdateQuota(role, guarantee, limit);
  }
  absl::Status UpdateWeights(const std::map<std::string, double>& weights) override {
    return inner_->UpdateWeights(weights);
  }
  std::vector<OfferDecision> Allocate(absl::Time now) override {
    auto decisions = inner_->Allocate(now);
    if (!decisions.empty()) gate_->Hold();
    return decisions;
  }
  std::map<std::string, double> DominantShares() const override { return inner_->DominantShares(); }

 private:
  std::unique_ptr<Allocation> inner_;
  std::shared_ptr<Gate> gate_;
};

const char kAgent[] = "cpus:4;mem:4096";

// A harness master whose cycles run on the allocator thread through the gate.
class AllocatorThreadTest : public ::testing::Test {
 protected:
  AllocatorThreadTest() {
    MasterOptions options = MasterHarness::DefaultOptions();
    options.allocation_thread = true;
    h_ = std::make_unique<MasterHarness>(options, [this, options] {
      return std::make_unique<GatedAllocation>(
          NewDrfAllocation(options.default_refuse, options.max_refuse), gate_);
    });
  }
  // A held cycle would keep the allocator thread (and the core's
  // destruction) waiting.
  ~AllocatorThreadTest() override { gate_->Open(); }

  // The offers `scheduler` received so far.
  static std::vector<v1::Offer> Offers(const MasterHarness::Scheduler& scheduler) {
    std::vector<v1::Offer> offers;
    for (const auto& event : scheduler.sink->events) {
      if (event.type() != v1::Event::OFFERS) continue;
      for (const auto& offer : event.offers().offers()) offers.push_back(offer);
    }
    return offers;
  }

  // Runs the loop (a cycle asked for meanwhile starts once the one in
  // flight is back) until `n` cycles have been held in all.
  bool WaitHeld(int n) {
    return h_->loop().RunUntil([&] { return gate_->held() >= n; });
  }

  // Runs the loop until `scheduler` holds `n` offers in all.
  bool WaitForOffers(const MasterHarness::Scheduler& scheduler, size_t n) {
    return h_->loop().RunUntil([&] { return Offers(scheduler).size() >= n; });
  }

  // Runs the loop until a cycle started after every offer so far was sent
  // has come back (cycles run one at a time), so a double offer would show.
  void Settle() {
    const uint64_t cycles = Counters().allocation_seconds.count();
    h_->Advance(absl::Seconds(1));  // The sweep requests a cycle.
    ASSERT_TRUE(
        h_->loop().RunUntil([&] { return Counters().allocation_seconds.count() > cycles; }));
  }

  MasterCounters Counters() { return h_->core().Metrics().counters; }

  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::unique_ptr<MasterHarness> h_;
};

TEST_F(AllocatorThreadTest, SchedulerAcceptIsAnsweredWhileACycleIsHeld) {
  auto scheduler = h_->Subscribe(MasterHarness::FrameworkInfo("f1"));
  auto a1 = h_->RegisterAgent("host-1", kAgent);
  ASSERT_TRUE(WaitForOffers(scheduler, 1));

  // The next cycle (for a new agent) decides and then waits at the gate.
  gate_->Close();
  const int held = gate_->held();
  auto a2 = h_->RegisterAgent("host-2", kAgent);
  ASSERT_TRUE(WaitHeld(held + 1));

  // The loop serves the scheduler meanwhile: the launch reaches the agent.
  h_->Launch(scheduler, a1, "t1");
  EXPECT_EQ(a1.sink->Count(internal::MasterMessage::RUN_TASKS), 1);
  ASSERT_TRUE(h_->Reconcile(scheduler, "t1", a1.agent_id).ok());
  EXPECT_EQ(scheduler.sink->Updates().size(), 1u);
  EXPECT_EQ(gate_->held(), held + 1);
  EXPECT_EQ(Offers(scheduler).size(), 1u) << "the held cycle's offer came early";

  gate_->Open();
  ASSERT_TRUE(WaitForOffers(scheduler, 2));
  EXPECT_EQ(Offers(scheduler)[1].agent_id().value(), a2.agent_id);
  EXPECT_EQ(Counters().allocation_invariant_violations, 0u);
}

TEST_F(AllocatorThreadTest, DecisionForAnAgentReregisteredDuringACycleIsDroppedNotLeaked) {
  auto scheduler = h_->Subscribe(MasterHarness::FrameworkInfo("f1"));
  gate_->Close();
  const int held = gate_->held();
  auto a1 = h_->RegisterAgent("host-1", kAgent);
  ASSERT_TRUE(WaitHeld(held + 1));  // Decided: all of a1 to f1.

  // The agent's connection breaks and it re-registers: the allocator
  // forgets the agent (and the held decision) and learns it again.
  h_->Disconnect(a1);
  auto back = h_->Reregister(a1.info, {});
  ASSERT_EQ(back.sink->Count(internal::MasterMessage::REREGISTERED), 1);

  gate_->Open();
  ASSERT_TRUE(WaitForOffers(scheduler, 1));
  Settle();
  // One offer of the whole agent, from the cycle after the re-registration.
  std::vector<v1::Offer> offers = Offers(scheduler);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(*Resources::FromProto(offers[0].resources()), *Resources::Parse(kAgent));
  EXPECT_EQ(Counters().allocation_decisions_dropped, 1u);
  EXPECT_EQ(Counters().allocation_invariant_violations, 0u);
}

TEST_F(AllocatorThreadTest, DecisionForAnAgentMarkedGoneDuringACycleIsDropped) {
  auto scheduler = h_->Subscribe(MasterHarness::FrameworkInfo("f1"));
  gate_->Close();
  const int held = gate_->held();
  auto a1 = h_->RegisterAgent("host-1", kAgent);
  ASSERT_TRUE(WaitHeld(held + 1));

  absl::Status gone = absl::UnknownError("not answered");
  h_->core().MarkAgentGone(a1.agent_id, [&gone](absl::Status status) { gone = status; });
  h_->loop().RunUntilIdle();
  ASSERT_TRUE(gone.ok()) << gone;

  gate_->Open();
  ASSERT_TRUE(h_->loop().RunUntil([&] { return Counters().allocation_decisions_dropped == 1; }));
  auto a2 = h_->RegisterAgent("host-2", kAgent);
  ASSERT_TRUE(WaitForOffers(scheduler, 1));
  Settle();
  std::vector<v1::Offer> offers = Offers(scheduler);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id().value(), a2.agent_id);
  EXPECT_EQ(Counters().allocation_invariant_violations, 0u);
}

TEST_F(AllocatorThreadTest, DecisionForAFrameworkRemovedDuringACycleIsDroppedNotLeaked) {
  auto a1 = h_->RegisterAgent("host-1", kAgent);
  gate_->Close();
  const int held = gate_->held();
  auto f1 = h_->Subscribe(MasterHarness::FrameworkInfo("f1"));
  ASSERT_TRUE(WaitHeld(held + 1));  // Decided: all of a1 to f1.

  ASSERT_TRUE(h_->Teardown(f1).ok());
  auto f2 = h_->Subscribe(MasterHarness::FrameworkInfo("f2"));

  gate_->Open();
  ASSERT_TRUE(WaitForOffers(f2, 1));
  Settle();
  EXPECT_TRUE(Offers(f1).empty());
  std::vector<v1::Offer> offers = Offers(f2);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id().value(), a1.agent_id);
  EXPECT_EQ(*Resources::FromProto(offers[0].resources()), *Resources::Parse(kAgent));
  EXPECT_EQ(Counters().allocation_decisions_dropped, 1u);
  EXPECT_EQ(Counters().allocation_invariant_violations, 0u);
}

TEST_F(AllocatorThreadTest, DecisionForAFrameworkDisconnectedDuringACycleIsReturned) {
  v1::FrameworkInfo info = MasterHarness::FrameworkInfo("f1", /*failover_timeout=*/3600);
  auto a1 = h_->RegisterAgent("host-1", kAgent);
  gate_->Close();
  const int held = gate_->held();
  auto f1 = h_->Subscribe(info);
  ASSERT_TRUE(WaitHeld(held + 1));

  h_->Disconnect(f1);
  gate_->Open();
  ASSERT_TRUE(h_->loop().RunUntil([&] { return Counters().allocation_decisions_returned == 1; }));
  EXPECT_TRUE(Offers(f1).empty());

  // Back, it is offered the whole agent again: the allocator got it back.
  auto again = h_->Resubscribe(f1.framework_id, "f1");
  ASSERT_TRUE(WaitForOffers(again, 1));
  Settle();
  std::vector<v1::Offer> offers = Offers(again);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id().value(), a1.agent_id);
  EXPECT_EQ(*Resources::FromProto(offers[0].resources()), *Resources::Parse(kAgent));
  EXPECT_EQ(Counters().allocation_invariant_violations, 0u);
}

// The thread on its own: calls run in order (with the next cycle), failures
// reach the loop with the call's name, and Booked() tells removed agents
// apart.
TEST(AllocatorThreadUnitTest, FailuresReachTheLoopAndBookedSeesRemovals) {
  testing::ManualEventLoop loop;
  std::vector<std::pair<absl::Status, std::string>> errors;
  AllocatorThread thread(&loop, NewDrfAllocation(absl::Seconds(5), absl::Hours(24)),
                         [&errors](const absl::Status& status, const std::string& call) {
                           errors.emplace_back(status, call);
                         });
  EXPECT_TRUE(thread.RemoveAgent("nowhere").ok());  // Queued: answered later.
  bool cycled = false;                              // Calls run when a cycle is queued.
  thread.StartCycle(loop.Now(), [&cycled](AllocatorThread::Cycle) { cycled = true; });
  ASSERT_TRUE(loop.RunUntil([&] { return cycled && !errors.empty(); }));
  EXPECT_EQ(errors[0].first.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(errors[0].second, "RemoveAgent");

  const Resources total = *Resources::Parse(kAgent);
  ASSERT_TRUE(thread.AddAgent("a1", total, {}).ok());
  ASSERT_TRUE(thread.AddFramework("f1", {"*"}, {}).ok());
  std::optional<AllocatorThread::Cycle> cycle;
  thread.StartCycle(loop.Now(), [&cycle](AllocatorThread::Cycle done) { cycle = std::move(done); });
  ASSERT_TRUE(loop.RunUntil([&] { return cycle.has_value(); }));
  ASSERT_EQ(cycle->decisions.size(), 1u);
  EXPECT_EQ(cycle->decisions[0].resources, total);
  EXPECT_TRUE(thread.Booked(cycle->decisions[0], *cycle));
  EXPECT_GT(thread.DominantShares().at("f1"), 0);

  ASSERT_TRUE(thread.RemoveAgent("a1").ok());
  EXPECT_FALSE(thread.Booked(cycle->decisions[0], *cycle));
  ASSERT_TRUE(thread.AddAgent("a1", total, {}).ok());
  EXPECT_FALSE(thread.Booked(cycle->decisions[0], *cycle)) << "added again after the cycle";
  // The synchronous cycle sees the new agent whole.
  auto decisions = thread.Allocate(loop.Now());
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].resources, total);
  loop.RunUntilIdle();
  EXPECT_EQ(errors.size(), 1u);
}

}  // namespace
}  // namespace agora::master
