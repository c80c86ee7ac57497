#include "master/recovery_hold.hpp"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace agora::master {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(RecoveryHoldTest, ReleaseRunsEveryWaiterOnceOldestFirst) {
  RecoveryHold hold(10, absl::Seconds(10));
  std::vector<std::string> ran;
  ASSERT_TRUE(
      hold.Hold(kStart, [&](const absl::Status& s) { ran.push_back("a:" + s.ToString()); }));
  ASSERT_TRUE(
      hold.Hold(kStart, [&](const absl::Status& s) { ran.push_back("b:" + s.ToString()); }));
  EXPECT_EQ(hold.size(), 2u);
  hold.Release(absl::OkStatus());
  EXPECT_EQ(ran, (std::vector<std::string>{"a:OK", "b:OK"}));
  EXPECT_EQ(hold.size(), 0u);
  hold.Release(absl::OkStatus());
  EXPECT_EQ(ran.size(), 2u);
}

TEST(RecoveryHoldTest, RefusesBeyondItsCapacity) {
  RecoveryHold hold(2, absl::Seconds(10));
  int ran = 0;
  EXPECT_TRUE(hold.Hold(kStart, [&](const absl::Status&) { ++ran; }));
  EXPECT_TRUE(hold.Hold(kStart, [&](const absl::Status&) { ++ran; }));
  EXPECT_FALSE(hold.Hold(kStart, [&](const absl::Status&) { ++ran; }));
  EXPECT_EQ(hold.size(), 2u);
  EXPECT_EQ(hold.overflowed(), 1u);
  EXPECT_EQ(ran, 0);  // A refused waiter is not run: the caller answers.
}

TEST(RecoveryHoldTest, ExpiresOnlyWaitersPastTheirBoundWithTheRefusal) {
  RecoveryHold hold(10, absl::Seconds(10));
  std::vector<std::string> ran;
  hold.Hold(kStart, [&](const absl::Status& s) { ran.push_back("a:" + s.ToString()); });
  hold.Hold(kStart + absl::Seconds(3),
            [&](const absl::Status& s) { ran.push_back("b:" + s.ToString()); });
  EXPECT_EQ(hold.next_deadline(), kStart + absl::Seconds(10));
  hold.Expire(kStart + absl::Seconds(9), absl::UnavailableError("recovering"));
  EXPECT_TRUE(ran.empty());
  hold.Expire(kStart + absl::Seconds(10), absl::UnavailableError("recovering"));
  EXPECT_EQ(ran, (std::vector<std::string>{"a:UNAVAILABLE: recovering"}));
  EXPECT_EQ(hold.next_deadline(), kStart + absl::Seconds(13));
  EXPECT_EQ(hold.expired(), 1u);
  hold.Release(absl::UnavailableError("could not recover"));
  EXPECT_EQ(ran.back(), "b:UNAVAILABLE: could not recover");
  EXPECT_EQ(hold.next_deadline(), absl::InfiniteFuture());
}

TEST(RecoveryHoldTest, AWaiterMayHoldItselfAgainDuringRelease) {
  RecoveryHold hold(10, absl::Seconds(10));
  int runs = 0;
  std::function<void(const absl::Status&)> again = [&](const absl::Status&) {
    if (++runs == 1) hold.Hold(kStart, again);
  };
  hold.Hold(kStart, again);
  hold.Release(absl::OkStatus());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(hold.size(), 1u);
  hold.Release(absl::OkStatus());
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(hold.size(), 0u);
}

}  // namespace
}  // namespace agora::master
