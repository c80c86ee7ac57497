// Quota (guarantee, limit, headroom), reservations, filters, suppress and
// revive, agent and framework lifecycle.

#include "allocator/allocator.hpp"
#include "allocator_test_util.hpp"

namespace agora::allocator {
namespace {

using testing::Agent;
using testing::Framework;
using testing::R;
using testing::SumBy;
using testing::T;

class PolicyTest : public ::testing::Test {
 protected:
  void AddAgents(int count, absl::string_view resources) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(allocator_.AddAgent(Agent("a" + std::to_string(i), resources)).ok());
    }
  }
  Allocator allocator_;
};

TEST_F(PolicyTest, GuaranteeIsMetBeforeFairSharing) {
  AddAgents(2, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.UpdateQuota("q", R("cpus:6"), Resources()).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("other", {"other"})).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("quota", {"q"})).ok());

  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  std::map<std::string, double> cpus = SumBy(offers, "cpus");
  EXPECT_EQ(cpus["quota"], 6);
  EXPECT_EQ(cpus["other"], 2);
}

TEST_F(PolicyTest, HeadroomIsHeldForUnmetGuarantees) {
  AddAgents(2, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.UpdateQuota("q", R("cpus:4"), Resources()).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("other", {"other"})).ok());

  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  EXPECT_EQ(SumBy(offers, "cpus")["other"], 4);
  EXPECT_EQ(allocator_.Metrics().required_headroom, R("cpus:4"));

  ASSERT_TRUE(allocator_.AddFramework(Framework("quota", {"q"})).ok());
  offers = allocator_.Allocate(T(0));
  EXPECT_EQ(SumBy(offers, "cpus")["quota"], 4);
  EXPECT_TRUE(allocator_.Metrics().required_headroom.empty());
}

TEST_F(PolicyTest, LimitIsNeverExceeded) {
  AddAgents(3, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.UpdateQuota("l", Resources(), R("cpus:3")).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("f", {"l"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  EXPECT_EQ(SumBy(offers, "cpus")["f"], 3);
  EXPECT_EQ(allocator_.Metrics().roles["l"].quota_consumed.cpus(), 3);
}

TEST_F(PolicyTest, LimitOfAParentRoleCapsItsChildren) {
  AddAgents(2, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.UpdateQuota("eng", Resources(), R("cpus:5")).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("a", {"eng/a"})).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("b", {"eng/b"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  std::map<std::string, double> cpus = SumBy(offers, "cpus");
  EXPECT_EQ(cpus["a"] + cpus["b"], 5);
}

TEST_F(PolicyTest, RoleAtItsLimitStillGetsItsReservations) {
  ASSERT_TRUE(allocator_.AddAgent(Agent("a", "cpus(l):2;cpus:4;mem:8")).ok());
  ASSERT_TRUE(allocator_.UpdateQuota("l", Resources(), R("cpus:1")).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("f", {"l"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources.ReservedFor("l"), R("cpus(l):2"));
  EXPECT_EQ(offers[0].resources.Unreserved().cpus(), 0);
}

TEST_F(PolicyTest, QuotaRejectsInvalidInput) {
  absl::Status s = allocator_.UpdateQuota("q", R("cpus:4"), R("cpus:2"));
  EXPECT_EQ(s.message(), "guarantee: cpus 4 exceeds the limit 2");
  EXPECT_FALSE(allocator_.UpdateQuota("a//b", R("cpus:1"), Resources()).ok());
  EXPECT_FALSE(allocator_.UpdateQuota("q", R("ports:[1-2]"), Resources()).ok());
  EXPECT_FALSE(allocator_.UpdateWeights({{"r", 0}}).ok());
  EXPECT_FALSE(allocator_.UpdateWeights({{"r", -1}}).ok());
}

TEST_F(PolicyTest, ReservedResourcesGoOnlyToTheirRoleAndDescendants) {
  ASSERT_TRUE(allocator_.AddAgent(Agent("a", "cpus(eng):2;cpus:1;mem:8")).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("ops", {"ops"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, R("cpus:1;mem:8"));

  ASSERT_TRUE(allocator_.AddFramework(Framework("batch", {"eng/batch"})).ok());
  offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "batch");
  EXPECT_EQ(offers[0].resources, R("cpus(eng):2"));
}

TEST_F(PolicyTest, ReservationsCountTowardsQuota) {
  ASSERT_TRUE(allocator_.AddAgent(Agent("a", "cpus(q):3;cpus:4;mem:8")).ok());
  ASSERT_TRUE(allocator_.UpdateQuota("q", R("cpus:3"), Resources()).ok());
  // The reservation satisfies the guarantee: nothing is held back.
  EXPECT_TRUE(allocator_.Metrics().required_headroom.empty());
  ASSERT_TRUE(allocator_.AddFramework(Framework("o", {"o"})).ok());
  EXPECT_EQ(SumBy(allocator_.Allocate(T(0)), "cpus")["o"], 4);
}

TEST_F(PolicyTest, DynamicReservationViaUpdateAllocation) {
  ASSERT_TRUE(allocator_.AddAgent(Agent("a", "cpus:4;mem:8")).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("f", {"eng"})).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("g", {"ops"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  const std::string owner = offers[0].framework_id;
  const std::string role = offers[0].role;
  Resources from = R("cpus:2");
  Resources to = *from.PushReservation({Reservation::Type::kDynamic, role, "principal"});
  ASSERT_TRUE(allocator_.UpdateAllocation(owner, "a", role, from, to).ok());
  EXPECT_FALSE(allocator_.UpdateAllocation(owner, "a", role, R("cpus:9"), R("cpus:9")).ok());

  // Return everything; the reserved cpus go back to the owner's role only.
  Resources held = offers[0].resources - from + to;
  ASSERT_TRUE(allocator_.RemoveFramework(owner == "f" ? "g" : "f").ok());
  ASSERT_TRUE(allocator_.RecoverResources(owner, "a", role, held, std::nullopt, T(0)).ok());
  EXPECT_EQ(allocator_.AgentFree("a")->ReservedFor(role).cpus(), 2);
}

TEST_F(PolicyTest, DeclineFilterExpiresOnTheManualClock) {
  AddAgents(1, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_TRUE(
      allocator_.RecoverResources("f", "a0", "*", offers[0].resources, absl::Seconds(10), T(0))
          .ok());
  EXPECT_EQ(allocator_.Metrics().filters_active, 1u);
  EXPECT_EQ(allocator_.NextFilterExpiry(), T(10));
  EXPECT_TRUE(allocator_.Allocate(T(0)).empty());
  EXPECT_TRUE(allocator_.Allocate(T(9.999)).empty());
  EXPECT_EQ(allocator_.Allocate(T(10)).size(), 1u);
  EXPECT_EQ(allocator_.Metrics().filters_active, 0u);
  EXPECT_EQ(allocator_.Metrics().filters_expired, 1u);
}

TEST_F(PolicyTest, DefaultAndCappedRefuseDurations) {
  AllocatorOptions options;
  options.max_refuse = absl::Seconds(60);
  Allocator allocator(options);
  ASSERT_TRUE(allocator.AddAgent(Agent("a", "cpus:1;mem:1")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("f")).ok());
  Resources all = allocator.Allocate(T(0))[0].resources;
  ASSERT_TRUE(allocator.RecoverResources("f", "a", "*", all, absl::ZeroDuration(), T(0)).ok());
  EXPECT_EQ(allocator.NextFilterExpiry(), T(5));
  EXPECT_EQ(allocator.Allocate(T(5)).size(), 1u);
  ASSERT_TRUE(allocator.RecoverResources("f", "a", "*", all, absl::Hours(1000), T(5)).ok());
  EXPECT_EQ(allocator.NextFilterExpiry(), T(65));
}

TEST_F(PolicyTest, FilterDoesNotHideLargerResources) {
  AddAgents(1, "cpus:4;mem:4");
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  allocator_.Allocate(T(0));
  ASSERT_TRUE(
      allocator_.RecoverResources("f", "a0", "*", R("cpus:1;mem:1"), absl::Hours(1), T(0)).ok());
  EXPECT_TRUE(allocator_.Allocate(T(1)).empty());
  // More resources free up: the offer is no longer what was declined.
  ASSERT_TRUE(allocator_.RecoverResources("f", "a0", "*", R("cpus:1"), std::nullopt, T(1)).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, R("cpus:2;mem:1"));
}

TEST_F(PolicyTest, SuppressStopsOffersAndReviveClearsFilters) {
  AddAgents(2, "cpus:1;mem:1");
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  ASSERT_TRUE(allocator_.SuppressRoles("f", {}).ok());
  EXPECT_TRUE(allocator_.Allocate(T(0)).empty());
  EXPECT_EQ(allocator_.Metrics().roles["*"].suppressed_frameworks, 1);

  ASSERT_TRUE(allocator_.ReviveRoles("f", {"*"}).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 2u);
  for (const Allocation& offer : offers) {
    ASSERT_TRUE(
        allocator_.RecoverResources("f", offer.agent_id, "*", offer.resources, absl::Hours(1), T(0))
            .ok());
  }
  EXPECT_TRUE(allocator_.Allocate(T(1)).empty());
  ASSERT_TRUE(allocator_.ReviveRoles("f", {}).ok());
  EXPECT_EQ(allocator_.Allocate(T(1)).size(), 2u);
  EXPECT_EQ(allocator_.SuppressRoles("f", {"nope"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PolicyTest, DeactivatedAndDrainingAgentsGetNoAllocations) {
  AddAgents(2, "cpus:1;mem:1");
  ASSERT_TRUE(allocator_.DeactivateAgent("a0").ok());
  ASSERT_TRUE(allocator_.SetAgentDraining("a1", true).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  EXPECT_TRUE(allocator_.Allocate(T(0)).empty());
  ASSERT_TRUE(allocator_.ActivateAgent("a0").ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a0");
  ASSERT_TRUE(allocator_.SetAgentDraining("a1", false).ok());
  EXPECT_EQ(allocator_.Allocate(T(0)).size(), 1u);
}

TEST_F(PolicyTest, InactiveFrameworksGetNothingAndRemovalFreesEverything) {
  AddAgents(2, "cpus:1;mem:1");
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  EXPECT_EQ(allocator_.Allocate(T(0)).size(), 2u);
  ASSERT_TRUE(allocator_.AddFramework(Framework("g")).ok());
  ASSERT_TRUE(allocator_.DeactivateFramework("g").ok());
  ASSERT_TRUE(allocator_.RemoveFramework("f").ok());
  EXPECT_TRUE(allocator_.Allocate(T(0)).empty());
  ASSERT_TRUE(allocator_.ActivateFramework("g").ok());
  EXPECT_EQ(SumBy(allocator_.Allocate(T(0)), "cpus")["g"], 2);
}

TEST_F(PolicyTest, RemovingAnAgentForgetsItsAllocations) {
  AddAgents(1, "cpus:2;mem:2");
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  allocator_.Allocate(T(0));
  ASSERT_TRUE(allocator_.RemoveAgent("a0").ok());
  AllocatorMetrics metrics = allocator_.Metrics();
  EXPECT_TRUE(metrics.allocated.empty());
  EXPECT_TRUE(metrics.total.empty());
  EXPECT_EQ(allocator_.RemoveAgent("a0").code(), absl::StatusCode::kNotFound);
}

TEST_F(PolicyTest, UsageOfNotYetAddedFrameworksIsTracked) {
  AgentSpec spec = Agent("a", "cpus:4;mem:4");
  spec.used.push_back({"late", "eng", R("cpus:3;mem:3")});
  ASSERT_TRUE(allocator_.AddAgent(spec).ok());
  ASSERT_TRUE(allocator_.AddFramework(Framework("other", {"ops"})).ok());
  std::vector<Allocation> offers = allocator_.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources, R("cpus:1;mem:1"));
  ASSERT_TRUE(allocator_.AddFramework(Framework("late", {"eng"})).ok());
  EXPECT_NEAR(allocator_.Metrics().framework_dominant_shares["late"], 0.75, 1e-9);
}

TEST_F(PolicyTest, RejectsBadCalls) {
  EXPECT_EQ(allocator_.AddFramework(Framework("f", {})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.AddFramework(Framework("f", {"a//b"})).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(allocator_.AddFramework(Framework("f")).ok());
  EXPECT_EQ(allocator_.AddFramework(Framework("f")).code(), absl::StatusCode::kAlreadyExists);
  AgentSpec over = Agent("a", "cpus:1");
  over.used.push_back({"f", "*", R("cpus:2")});
  EXPECT_EQ(allocator_.AddAgent(over).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(allocator_.RemoveFramework("nope").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(allocator_.AddAgent(Agent("a", "cpus:1;mem:1")).ok());
  EXPECT_EQ(allocator_.RecoverResources("f", "a", "*", R("cpus:1"), std::nullopt, T(0)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::allocator
