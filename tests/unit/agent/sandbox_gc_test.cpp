// The sandbox GC policy: removal by age, by disk space (oldest first, until
// the headroom is back, never younger than min_age), and the next due time.
#include "agent/sandbox_gc.hpp"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

FinishedSandbox Sandbox(const std::string& path, absl::Duration age, uint64_t bytes = 1000) {
  return {path, kNow - age, bytes};
}

SandboxGcPolicy Policy() {
  SandboxGcPolicy policy;
  policy.delay = absl::Hours(24);
  policy.disk_headroom = 0.1;
  policy.min_age = absl::Minutes(1);
  return policy;
}

TEST(SandboxGcTest, RemovesOnlySandboxesOlderThanTheDelay) {
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/young", absl::Hours(1)), Sandbox("/s/old", absl::Hours(25)),
                       Sandbox("/s/exactly", absl::Hours(24))},
                      kNow, std::nullopt, Policy());
  EXPECT_THAT(decision.remove, ElementsAre("/s/old", "/s/exactly"));
  EXPECT_EQ(decision.for_space, 0u);
  EXPECT_FALSE(decision.disk_pressure);
  // The young one is due 23 hours from now.
  EXPECT_EQ(decision.next_due, kNow + absl::Hours(23));
}

TEST(SandboxGcTest, NothingFinishedMeansNothingDue) {
  SandboxGcDecision decision = DecideSandboxGc({}, kNow, DiskSpace{0, 100}, Policy());
  EXPECT_THAT(decision.remove, IsEmpty());
  EXPECT_TRUE(decision.disk_pressure);
  EXPECT_EQ(decision.next_due, absl::InfiniteFuture());
}

TEST(SandboxGcTest, EnoughFreeSpaceRemovesNothingEarly) {
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/a", absl::Hours(2)), Sandbox("/s/b", absl::Hours(1))}, kNow,
                      DiskSpace{/*free=*/10'000, /*total=*/100'000}, Policy());
  EXPECT_THAT(decision.remove, IsEmpty());
  EXPECT_FALSE(decision.disk_pressure);
  EXPECT_EQ(decision.next_due, kNow + absl::Hours(22));
}

TEST(SandboxGcTest, UnderTheHeadroomRemovesOldestFirstUntilItIsBack) {
  // 10 % of 100'000 is 10'000; 7'500 free: 2'500 bytes to free.
  SandboxGcDecision decision = DecideSandboxGc(
      {Sandbox("/s/newest", absl::Hours(1), 5000), Sandbox("/s/oldest", absl::Hours(3), 2000),
       Sandbox("/s/middle", absl::Hours(2), 1000)},
      kNow, DiskSpace{7'500, 100'000}, Policy());
  EXPECT_TRUE(decision.disk_pressure);
  EXPECT_THAT(decision.remove, ElementsAre("/s/oldest", "/s/middle"));
  EXPECT_EQ(decision.for_space, 2u);
  EXPECT_EQ(decision.next_due, kNow + absl::Hours(23));
}

TEST(SandboxGcTest, SandboxesDueByAgeCountTowardsTheHeadroom) {
  // 1'500 to free: the one due by age frees 2'000, nothing more goes.
  SandboxGcDecision decision = DecideSandboxGc(
      {Sandbox("/s/due", absl::Hours(30), 2000), Sandbox("/s/recent", absl::Hours(2), 9000)}, kNow,
      DiskSpace{8'500, 100'000}, Policy());
  EXPECT_THAT(decision.remove, ElementsAre("/s/due"));
  EXPECT_EQ(decision.for_space, 0u);
}

TEST(SandboxGcTest, NeverRemovesForSpaceASandboxYoungerThanMinAge) {
  SandboxGcDecision decision = DecideSandboxGc(
      {Sandbox("/s/just-finished", absl::Seconds(30), 50'000), Sandbox("/s/older", absl::Hours(1))},
      kNow, DiskSpace{0, 100'000}, Policy());
  // Even with no space at all and the headroom out of reach.
  EXPECT_THAT(decision.remove, ElementsAre("/s/older"));
  EXPECT_EQ(decision.for_space, 1u);
}

TEST(SandboxGcTest, UnknownSizesAreRemovedWithoutCountingTowardsTheHeadroom) {
  SandboxGcDecision decision = DecideSandboxGc(
      {Sandbox("/s/unknown", absl::Hours(3), 0), Sandbox("/s/known", absl::Hours(2), 5000),
       Sandbox("/s/spared", absl::Hours(1), 5000)},
      kNow, DiskSpace{9'000, 100'000}, Policy());
  EXPECT_THAT(decision.remove, ElementsAre("/s/unknown", "/s/known"));
}

TEST(SandboxGcTest, ZeroHeadroomNeverRemovesForSpace) {
  SandboxGcPolicy policy = Policy();
  policy.disk_headroom = 0;
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/a", absl::Hours(2))}, kNow, DiskSpace{0, 100'000}, policy);
  EXPECT_THAT(decision.remove, IsEmpty());
  EXPECT_FALSE(decision.disk_pressure);
}

TEST(SandboxGcTest, WithoutADiskMeasurementRemovesByAgeOnly) {
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/a", absl::Hours(2)), Sandbox("/s/b", absl::Hours(48))}, kNow,
                      std::nullopt, Policy());
  EXPECT_THAT(decision.remove, ElementsAre("/s/b"));
}

TEST(SandboxGcTest, ZeroDelayRemovesEveryFinishedSandboxAtOnce) {
  SandboxGcPolicy policy = Policy();
  policy.delay = absl::ZeroDuration();
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/a", absl::ZeroDuration()), Sandbox("/s/b", absl::Seconds(1))},
                      kNow, std::nullopt, policy);
  EXPECT_THAT(decision.remove, ElementsAre("/s/b", "/s/a"));
}

TEST(SandboxGcTest, SandboxesFinishedTogetherAreTakenInPathOrder) {
  SandboxGcDecision decision = DecideSandboxGc(
      {Sandbox("/s/b", absl::Hours(2), 1000), Sandbox("/s/a", absl::Hours(2), 1000)}, kNow,
      DiskSpace{9'500, 100'000}, Policy());
  EXPECT_THAT(decision.remove, ElementsAre("/s/a"));
}

TEST(SandboxGcTest, AFinishTimeInTheFutureIsNotDue) {
  // The clock went back since the sandbox finished.
  SandboxGcDecision decision =
      DecideSandboxGc({Sandbox("/s/a", -absl::Hours(1))}, kNow, DiskSpace{0, 100'000}, Policy());
  EXPECT_THAT(decision.remove, IsEmpty());
  EXPECT_EQ(decision.next_due, kNow + absl::Hours(25));
}

}  // namespace
}  // namespace agora::agent
