#include "scheduler_driver/backoff.hpp"

#include <limits>

#include "gtest/gtest.h"

namespace agora::scheduler {
namespace {

TEST(BackoffTest, DoublesUpToTheCap) {
  EXPECT_EQ(BackoffDelay(0.1, 10, 0, 1.0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffDelay(0.1, 10, 1, 1.0), absl::Milliseconds(200));
  EXPECT_EQ(BackoffDelay(0.1, 10, 3, 1.0), absl::Milliseconds(800));
  EXPECT_EQ(BackoffDelay(0.1, 10, 20, 1.0), absl::Seconds(10));
}

TEST(BackoffTest, JitterSpansTheUpperHalf) {
  EXPECT_EQ(BackoffDelay(1, 10, 0, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(BackoffDelay(1, 10, 0, 0.5), absl::Milliseconds(750));
}

TEST(BackoffTest, SurvivesHugeAttemptsAndBadSettings) {
  EXPECT_EQ(BackoffDelay(0.1, 5, 1 << 30, 1.0), absl::Seconds(5));
  EXPECT_EQ(BackoffDelay(0.1, 5, -4, 1.0), absl::Milliseconds(100));
  EXPECT_GT(BackoffDelay(0, 0, 0, 0), absl::ZeroDuration());
  EXPECT_GT(BackoffDelay(-1, std::numeric_limits<double>::quiet_NaN(), 3, 2), absl::ZeroDuration());
  EXPECT_LE(BackoffDelay(0.1, 1, 3, std::numeric_limits<double>::infinity()), absl::Seconds(1));
}

}  // namespace
}  // namespace agora::scheduler
