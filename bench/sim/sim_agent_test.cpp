// SimAgent's reconnection schedule on a manual clock: while no master is
// known it asks the detector again at once, then after a jittered,
// doubling backoff capped at reconnect_backoff_max.
#include "sim/sim_agent.hpp"

#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_channels.hpp"
#include "tests/support/manual_event_loop.hpp"

namespace agora::sim {
namespace {

// A detector that never knows a leader and records when it was asked.
class NoLeaderDetector : public MasterDetector {
 public:
  explicit NoLeaderDetector(const EventLoop* loop) : loop_(loop) {}
  absl::StatusOr<std::string> CurrentLeader() override {
    asked_.push_back(loop_->Now());
    return absl::UnavailableError("no leader");
  }
  std::string Describe() const override { return "no leader"; }
  const std::vector<absl::Time>& asked() const { return asked_; }

 private:
  const EventLoop* loop_;
  std::vector<absl::Time> asked_;
};

TEST(SimAgentTest, RetriesAtOnceThenBacksOffWithJitterUpToTheCap) {
  testing::ManualEventLoop loop;
  NoLeaderDetector detector(&loop);
  SimChannels channels(1);
  std::mt19937 random(7);
  SimAgentOptions options;  // Backoff 50 ms doubling to 1 s.
  v1::AgentInfo info;
  info.set_hostname("sim-0");
  SimAgent agent(&loop, &detector, &channels, &random, 0, info, options);
  agent.Start();
  loop.RunUntilIdle();
  loop.AdvanceTime(absl::Seconds(8));
  const std::vector<absl::Time>& asked = detector.asked();
  ASSERT_GE(asked.size(), 10u);
  EXPECT_EQ(asked[1], asked[0]) << "the first retry is immediate";
  absl::Duration ceiling = absl::Milliseconds(50);
  for (size_t i = 2; i < asked.size(); ++i) {
    absl::Duration gap = asked[i] - asked[i - 1];
    EXPECT_GE(gap, ceiling / 2) << "retry " << i;
    EXPECT_LE(gap, ceiling) << "retry " << i;
    ceiling = std::min(ceiling * 2, absl::Seconds(1));
  }
  EXPECT_EQ(agent.Stats().registered, false);
  EXPECT_EQ(agent.Stop(), nullptr);  // No stream was ever opened.
}

}  // namespace
}  // namespace agora::sim
