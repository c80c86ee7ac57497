#include "common/bounded_queue.hpp"

#include <string>

#include "gtest/gtest.h"

namespace agora {
namespace {

TEST(BoundedQueueTest, DeliversInFifoOrder) {
  BoundedQueue<int> queue(3);
  EXPECT_TRUE(queue.Push(1));
  EXPECT_TRUE(queue.Push(2));
  EXPECT_TRUE(queue.Push(3));
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), 3);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, RefusesPushBeyondCapacityAndCountsDrops) {
  BoundedQueue<std::string> queue(2);
  EXPECT_TRUE(queue.Push("a"));
  EXPECT_TRUE(queue.Push("b"));
  EXPECT_FALSE(queue.Push("c"));
  EXPECT_FALSE(queue.Push("d"));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.dropped(), 2u);
  // Room frees up as the consumer catches up.
  EXPECT_EQ(queue.Pop(), "a");
  EXPECT_TRUE(queue.Push("e"));
  EXPECT_EQ(queue.Pop(), "b");
  EXPECT_EQ(queue.Pop(), "e");
}

TEST(BoundedQueueTest, ClearEmptiesTheQueue) {
  BoundedQueue<int> queue(4);
  queue.Push(1);
  queue.Push(2);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

}  // namespace
}  // namespace agora
