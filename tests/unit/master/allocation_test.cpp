#include "master/allocation.hpp"

#include <gtest/gtest.h>

namespace agora::master {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

class AllocationTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<Allocation> Make() {
    return GetParam() ? NewDrfAllocation(absl::Seconds(5), absl::Hours(24))
                      : NewSimpleDrfAllocation();
  }
};

TEST_P(AllocationTest, OffersAgentToNewFramework) {
  auto allocation = Make();
  ASSERT_TRUE(allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {}).ok());
  ASSERT_TRUE(allocation->AddFramework("f1", {"*"}, {}).ok());
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].framework_id, "f1");
  EXPECT_EQ(decisions[0].role, "*");
  EXPECT_DOUBLE_EQ(decisions[0].resources.cpus(), 4);
}

TEST_P(AllocationTest, DeclineFilterBlocksUntilExpiry) {
  auto allocation = Make();
  ASSERT_TRUE(allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {}).ok());
  ASSERT_TRUE(allocation->AddFramework("f1", {"*"}, {}).ok());
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  ASSERT_TRUE(
      allocation->Recover("f1", "a1", "*", decisions[0].resources, absl::Seconds(10), kNow).ok());
  EXPECT_TRUE(allocation->Allocate(kNow + absl::Seconds(1)).empty());
  EXPECT_EQ(allocation->Allocate(kNow + absl::Seconds(11)).size(), 1u);
}

TEST_P(AllocationTest, RevivedFrameworkGetsOffersAgain) {
  auto allocation = Make();
  ASSERT_TRUE(allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {}).ok());
  ASSERT_TRUE(allocation->AddFramework("f1", {"*"}, {}).ok());
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  ASSERT_TRUE(
      allocation->Recover("f1", "a1", "*", decisions[0].resources, absl::Hours(1), kNow).ok());
  EXPECT_TRUE(allocation->Allocate(kNow).empty());
  ASSERT_TRUE(allocation->Revive("f1", {}).ok());
  EXPECT_EQ(allocation->Allocate(kNow).size(), 1u);
}

// The seam's error contract: a call that contradicts the allocator's books
// fails and changes nothing (the master counts each as a broken invariant).
TEST_P(AllocationTest, CallsThatContradictTheBooksReturnErrors) {
  auto allocation = Make();
  const Resources agent = *Resources::Parse("cpus:4;mem:1024");
  ASSERT_TRUE(allocation->AddAgent("a1", agent, {}).ok());
  ASSERT_TRUE(allocation->AddFramework("f1", {"*"}, {}).ok());
  EXPECT_EQ(allocation->AddAgent("a1", agent, {}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(allocation->AddFramework("f1", {"*"}, {}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(allocation->SetAgentActive("a2", false).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(allocation->RemoveFramework("f2").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(allocation->Suppress("f2", {}).code(), absl::StatusCode::kNotFound);
  const Resources one = *Resources::Parse("cpus:1");
  EXPECT_EQ(allocation->Recover("f1", "a2", "*", one, std::nullopt, kNow).code(),
            absl::StatusCode::kNotFound);
  // Nothing is allocated to f1 yet.
  EXPECT_EQ(allocation->Recover("f1", "a1", "*", one, std::nullopt, kNow).code(),
            absl::StatusCode::kInvalidArgument);
  // The failed calls changed nothing: the whole agent is offered, and
  // recovering exactly that succeeds.
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].resources, agent);
  EXPECT_TRUE(allocation->Recover("f1", "a1", "*", agent, std::nullopt, kNow).ok());
}

INSTANTIATE_TEST_SUITE_P(Simple, AllocationTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(Drf, AllocationTest, ::testing::Values(true));

}  // namespace
}  // namespace agora::master
