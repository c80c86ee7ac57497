#include "agent/launch_queue.hpp"

#include "gtest/gtest.h"

namespace agora::agent {
namespace {

LaunchQueue::Id Exec(int n) { return {"fw", "e" + std::to_string(n)}; }

TEST(LaunchQueueTest, StartsUpToTheLimitThenQueuesInArrivalOrder) {
  LaunchQueue queue(2, 10);
  EXPECT_EQ(queue.Add(Exec(1)), LaunchQueue::Admission::kStartNow);
  EXPECT_EQ(queue.Add(Exec(2)), LaunchQueue::Admission::kStartNow);
  EXPECT_EQ(queue.Add(Exec(3)), LaunchQueue::Admission::kQueued);
  EXPECT_EQ(queue.Add(Exec(4)), LaunchQueue::Admission::kQueued);
  EXPECT_EQ(queue.in_flight(), 2u);
  EXPECT_EQ(queue.queued(), 2u);
  EXPECT_TRUE(queue.TakeStartable().empty());  // No slot free yet.
  queue.Finished(Exec(2));
  EXPECT_EQ(queue.TakeStartable(), std::vector<LaunchQueue::Id>{Exec(3)});
  queue.Finished(Exec(1));
  queue.Finished(Exec(3));
  EXPECT_EQ(queue.TakeStartable(), std::vector<LaunchQueue::Id>{Exec(4)});
  EXPECT_EQ(queue.started_total(), 4u);
  EXPECT_EQ(queue.max_in_flight_seen(), 2u);
}

TEST(LaunchQueueTest, NewLaunchesWaitBehindQueuedOnesEvenWhenASlotIsFree) {
  LaunchQueue queue(1, 10);
  queue.Add(Exec(1));
  queue.Add(Exec(2));
  queue.Finished(Exec(1));
  // Exec(2) has waited longer: Exec(3) does not overtake it.
  EXPECT_EQ(queue.Add(Exec(3)), LaunchQueue::Admission::kQueued);
  EXPECT_EQ(queue.TakeStartable(), std::vector<LaunchQueue::Id>{Exec(2)});
}

TEST(LaunchQueueTest, RefusesBeyondTheQueueBound) {
  LaunchQueue queue(1, 2);
  queue.Add(Exec(1));
  EXPECT_EQ(queue.Add(Exec(2)), LaunchQueue::Admission::kQueued);
  EXPECT_EQ(queue.Add(Exec(3)), LaunchQueue::Admission::kQueued);
  EXPECT_EQ(queue.Add(Exec(4)), LaunchQueue::Admission::kFull);
  EXPECT_EQ(queue.queued(), 2u);
  LaunchQueue no_queue(1, 0);
  no_queue.Add(Exec(1));
  EXPECT_EQ(no_queue.Add(Exec(2)), LaunchQueue::Admission::kFull);
}

TEST(LaunchQueueTest, CancelledLaunchNeverStarts) {
  LaunchQueue queue(1, 10);
  queue.Add(Exec(1));
  queue.Add(Exec(2));
  queue.Add(Exec(3));
  EXPECT_TRUE(queue.Cancel(Exec(2)));
  EXPECT_FALSE(queue.Cancel(Exec(2)));
  EXPECT_FALSE(queue.Cancel(Exec(1)));  // In flight: not cancellable here.
  EXPECT_FALSE(queue.IsQueued(Exec(2)));
  queue.Finished(Exec(1));
  EXPECT_EQ(queue.TakeStartable(), std::vector<LaunchQueue::Id>{Exec(3)});
  EXPECT_EQ(queue.started_total(), 2u);
}

TEST(LaunchQueueTest, FinishedOfAnUnknownOrRepeatedLaunchFreesNothingExtra) {
  LaunchQueue queue(1, 10);
  queue.Add(Exec(1));
  queue.Add(Exec(2));
  queue.Finished(Exec(9));
  EXPECT_TRUE(queue.TakeStartable().empty());
  queue.Finished(Exec(1));
  queue.Finished(Exec(1));
  EXPECT_EQ(queue.TakeStartable().size(), 1u);
  EXPECT_EQ(queue.in_flight(), 1u);
}

}  // namespace
}  // namespace agora::agent
