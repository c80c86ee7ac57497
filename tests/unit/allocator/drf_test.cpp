// Fair sharing: the DRF paper's example, weights, hierarchical roles,
// GPU exclusion, and the cost of cycles.

#include "allocator/allocator.hpp"
#include "allocator_test_util.hpp"

namespace agora::allocator {
namespace {

using testing::Agent;
using testing::Framework;
using testing::R;
using testing::RunGreedy;
using testing::T;

TEST(DrfTest, PaperExampleGivesAThreeTasksAndBTwo) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("agent", "cpus:9;mem:18")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("A")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("B")).ok());

  std::map<std::string, int> tasks =
      RunGreedy(&allocator, {{"A", R("cpus:1;mem:4")}, {"B", R("cpus:3;mem:1")}},
                /*one_per_offer=*/true);

  EXPECT_EQ(tasks["A"], 3);
  EXPECT_EQ(tasks["B"], 2);
  AllocatorMetrics metrics = allocator.Metrics();
  EXPECT_NEAR(metrics.framework_dominant_shares["A"], 2.0 / 3, 1e-9);
  EXPECT_NEAR(metrics.framework_dominant_shares["B"], 2.0 / 3, 1e-9);
}

TEST(DrfTest, RoleWithWeightTwoGetsTwiceTheShare) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("agent", "cpus:30;mem:30")).ok());
  ASSERT_TRUE(allocator.UpdateWeights({{"heavy", 2.0}}).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("h", {"heavy"})).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("l", {"light"})).ok());

  std::map<std::string, int> tasks =
      RunGreedy(&allocator, {{"h", R("cpus:1;mem:1")}, {"l", R("cpus:1;mem:1")}}, true);

  EXPECT_EQ(tasks["h"], 20);
  EXPECT_EQ(tasks["l"], 10);
}

TEST(DrfTest, SiblingSubtreesShareEquallyAtEachLevel) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("agent", "cpus:40;mem:40")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("a", {"eng/a"})).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("b", {"eng/b"})).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("o", {"ops"})).ok());
  Resources task = R("cpus:1;mem:1");

  std::map<std::string, int> tasks =
      RunGreedy(&allocator, {{"a", task}, {"b", task}, {"o", task}}, true);

  // eng and ops split 40 evenly; eng/a and eng/b split eng's half.
  EXPECT_EQ(tasks["o"], 20);
  EXPECT_EQ(tasks["a"], 10);
  EXPECT_EQ(tasks["b"], 10);
}

TEST(DrfTest, FrameworksInsideARoleAreOrderedByShare) {
  Allocator allocator;
  AgentSpec busy = Agent("busy", "cpus:8;mem:8");
  busy.used.push_back({"rich", "*", R("cpus:8;mem:8")});
  ASSERT_TRUE(allocator.AddAgent(busy).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("rich")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("poor")).ok());
  ASSERT_TRUE(allocator.AddAgent(Agent("idle", "cpus:1;mem:1")).ok());

  std::vector<Allocation> offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "poor");

  // Returning the offer lets "poor" (share 1/9 < 8/9) win again.
  ASSERT_TRUE(
      allocator.RecoverResources("poor", "idle", "*", offers[0].resources, std::nullopt, T(0))
          .ok());
  offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "poor");
}

TEST(DrfTest, GpusAreExcludedFromSharesAndOfferedOnlyToGpuFrameworks) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("gpu", "cpus:4;mem:4;gpus:4")).ok());
  ASSERT_TRUE(allocator.AddAgent(Agent("cpu", "cpus:4;mem:4")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("plain")).ok());

  std::vector<Allocation> offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "cpu");

  FrameworkSpec gpu = Framework("gpu-user");
  gpu.gpu_capable = true;
  ASSERT_TRUE(allocator.AddFramework(gpu).ok());
  offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "gpu-user");
  EXPECT_EQ(offers[0].resources.gpus(), 4);
  // All the GPUs but half the cpus: the share counts only the cpus.
  EXPECT_NEAR(allocator.Metrics().framework_dominant_shares["gpu-user"], 0.5, 1e-9);
}

TEST(DrfTest, RandomSorterIsDeterministicForASeed) {
  auto run = [](uint64_t seed) {
    AllocatorOptions options;
    options.sort_order = SortOrder::kRandom;
    options.seed = seed;
    Allocator allocator(options);
    for (int i = 0; i < 8; ++i) {
      EXPECT_TRUE(allocator.AddAgent(Agent("a" + std::to_string(i), "cpus:1;mem:1")).ok());
    }
    for (int i = 0; i < 4; ++i) {
      EXPECT_TRUE(
          allocator.AddFramework(Framework("f" + std::to_string(i), {"r" + std::to_string(i)}))
              .ok());
    }
    return allocator.Allocate(T(0));
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_EQ(run(7).size(), 8u);
}

TEST(CycleTest, NothingChangedMeansANoOpCycle) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("a", "cpus:4;mem:4")).ok());
  ASSERT_TRUE(allocator.AddAgent(Agent("b", "cpus:4;mem:4")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("f")).ok());
  EXPECT_TRUE(allocator.HasPendingWork());
  EXPECT_EQ(allocator.Allocate(T(0)).size(), 2u);

  EXPECT_FALSE(allocator.HasPendingWork());
  EXPECT_TRUE(allocator.Allocate(T(1)).empty());
  AllocatorMetrics metrics = allocator.Metrics();
  EXPECT_EQ(metrics.cycles, 2u);
  EXPECT_EQ(metrics.noop_cycles, 1u);
  EXPECT_EQ(metrics.last_cycle_agents_visited, 0u);
}

TEST(CycleTest, RecoveringOnOneAgentVisitsOnlyThatAgent) {
  Allocator allocator;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(allocator.AddAgent(Agent("a" + std::to_string(i), "cpus:4;mem:4")).ok());
  }
  ASSERT_TRUE(allocator.AddFramework(Framework("f")).ok());
  ASSERT_EQ(allocator.Allocate(T(0)).size(), 10u);

  ASSERT_TRUE(
      allocator.RecoverResources("f", "a3", "*", R("cpus:1;mem:1"), std::nullopt, T(0)).ok());
  std::vector<Allocation> offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a3");
  EXPECT_EQ(offers[0].resources, R("cpus:1;mem:1"));
  EXPECT_EQ(allocator.Metrics().last_cycle_agents_visited, 1u);
}

TEST(CycleTest, BelowMinimumAllocatableIsNotOffered) {
  Allocator allocator;
  ASSERT_TRUE(allocator.AddAgent(Agent("tiny", "cpus:0.005;mem:16")).ok());
  ASSERT_TRUE(allocator.AddAgent(Agent("memonly", "mem:64")).ok());
  ASSERT_TRUE(allocator.AddFramework(Framework("f")).ok());
  std::vector<Allocation> offers = allocator.Allocate(T(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "memonly");
}

}  // namespace
}  // namespace agora::allocator
