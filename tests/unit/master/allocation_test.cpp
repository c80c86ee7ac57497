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
  allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {});
  allocation->AddFramework("f1", {"*"}, {});
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].framework_id, "f1");
  EXPECT_EQ(decisions[0].role, "*");
  EXPECT_DOUBLE_EQ(decisions[0].resources.cpus(), 4);
}

TEST_P(AllocationTest, DeclineFilterBlocksUntilExpiry) {
  auto allocation = Make();
  allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {});
  allocation->AddFramework("f1", {"*"}, {});
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  allocation->Recover("f1", "a1", "*", decisions[0].resources, absl::Seconds(10), kNow);
  EXPECT_TRUE(allocation->Allocate(kNow + absl::Seconds(1)).empty());
  EXPECT_EQ(allocation->Allocate(kNow + absl::Seconds(11)).size(), 1u);
}

TEST_P(AllocationTest, RevivedFrameworkGetsOffersAgain) {
  auto allocation = Make();
  allocation->AddAgent("a1", *Resources::Parse("cpus:4;mem:1024"), {});
  allocation->AddFramework("f1", {"*"}, {});
  auto decisions = allocation->Allocate(kNow);
  ASSERT_EQ(decisions.size(), 1u);
  allocation->Recover("f1", "a1", "*", decisions[0].resources, absl::Hours(1), kNow);
  EXPECT_TRUE(allocation->Allocate(kNow).empty());
  allocation->Revive("f1", {});
  EXPECT_EQ(allocation->Allocate(kNow).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Simple, AllocationTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(Drf, AllocationTest, ::testing::Values(true));

}  // namespace
}  // namespace agora::master
