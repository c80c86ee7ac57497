// HealthPolicy (pure decisions) and HealthChecker (its schedule on the
// manual clock, with a scripted probe).
#include "agent/health_policy.hpp"

#include <deque>

#include "agent/command_task.hpp"
#include "agent/health_checker.hpp"
#include "gtest/gtest.h"
#include "tests/support/manual_event_loop.hpp"

namespace agora::agent {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

HealthSettings Fast(uint32_t failures = 3) {
  v1::HealthCheck check;
  check.set_delay_seconds(1);
  check.set_interval_seconds(2);
  check.set_timeout_seconds(0.5);
  check.set_grace_period_seconds(5);
  check.set_consecutive_failures(failures);
  return HealthSettings::From(check);
}

HealthResult Pass() { return {true, "TCP connect to 127.0.0.1:9000 succeeded"}; }
HealthResult Fail() { return {false, "TCP connect to 127.0.0.1:9000: Connection refused"}; }

TEST(HealthSettingsTest, ZeroFieldsTakeTheDocumentedDefaults) {
  HealthSettings settings = HealthSettings::From(v1::HealthCheck());
  EXPECT_EQ(settings.delay, absl::Seconds(15));
  EXPECT_EQ(settings.interval, absl::Seconds(10));
  EXPECT_EQ(settings.timeout, absl::Seconds(20));
  EXPECT_EQ(settings.grace, absl::Seconds(10));
  EXPECT_EQ(settings.consecutive_failures, 3u);

  HealthSettings fast = Fast(2);
  EXPECT_EQ(fast.delay, absl::Seconds(1));
  EXPECT_EQ(fast.interval, absl::Seconds(2));
  EXPECT_EQ(fast.timeout, absl::Milliseconds(500));
  EXPECT_EQ(fast.grace, absl::Seconds(5));
  EXPECT_EQ(fast.consecutive_failures, 2u);
}

TEST(HealthPolicyTest, FirstCheckAfterTheDelayAndNextOneIntervalAfterEachResult) {
  HealthPolicy policy(Fast(), kStart);
  EXPECT_EQ(policy.FirstCheckAt(), kStart + absl::Seconds(1));
  EXPECT_EQ(policy.OnResult(kStart + absl::Seconds(1.5), Pass()).next_check,
            kStart + absl::Seconds(3.5));
}

TEST(HealthPolicyTest, OnlyChangesOfHealthAreReported) {
  HealthPolicy policy(Fast(), kStart);
  HealthDecision first = policy.OnResult(kStart + absl::Seconds(1), Pass());
  ASSERT_TRUE(first.report.has_value());
  EXPECT_TRUE(*first.report);
  EXPECT_FALSE(first.kill);
  EXPECT_FALSE(policy.OnResult(kStart + absl::Seconds(3), Pass()).report.has_value());

  HealthDecision failed = policy.OnResult(kStart + absl::Seconds(5), Fail());
  ASSERT_TRUE(failed.report.has_value());
  EXPECT_FALSE(*failed.report);
  EXPECT_EQ(failed.message,
            "Health check failed: TCP connect to 127.0.0.1:9000: Connection refused");
  EXPECT_FALSE(failed.kill);
  // Still unhealthy: nothing new to say until the kill.
  EXPECT_FALSE(policy.OnResult(kStart + absl::Seconds(7), Fail()).report.has_value());

  HealthDecision recovered = policy.OnResult(kStart + absl::Seconds(9), Pass());
  ASSERT_TRUE(recovered.report.has_value());
  EXPECT_TRUE(*recovered.report);
  EXPECT_EQ(policy.consecutive_failures(), 0u);
}

TEST(HealthPolicyTest, FailuresBeforeTheFirstSuccessWithinTheGracePeriodAreIgnored) {
  HealthPolicy policy(Fast(1), kStart);
  // consecutive_failures 1: any counted failure would kill.
  for (double at : {1.0, 3.0, 4.9}) {
    HealthDecision decision = policy.OnResult(kStart + absl::Seconds(at), Fail());
    EXPECT_FALSE(decision.kill) << at;
    EXPECT_FALSE(decision.report.has_value()) << at;
  }
  EXPECT_EQ(policy.consecutive_failures(), 0u);
  EXPECT_TRUE(policy.OnResult(kStart + absl::Seconds(5), Fail()).kill);
}

TEST(HealthPolicyTest, AfterASuccessTheGracePeriodNoLongerApplies) {
  HealthPolicy policy(Fast(1), kStart);
  policy.OnResult(kStart + absl::Seconds(1), Pass());
  HealthDecision decision = policy.OnResult(kStart + absl::Seconds(2), Fail());
  EXPECT_TRUE(decision.kill);
  EXPECT_EQ(decision.message,
            "Health check failed: TCP connect to 127.0.0.1:9000: Connection refused");
}

TEST(HealthPolicyTest, KillsAtTheConsecutiveFailuresOutsideGraceNamingTheCheck) {
  HealthPolicy policy(Fast(3), kStart);
  HealthResult http{false, "HTTP GET http://127.0.0.1:8080/health answered 503"};
  HealthDecision one = policy.OnResult(kStart + absl::Seconds(6), http);
  EXPECT_FALSE(one.kill);
  ASSERT_TRUE(one.report.has_value());  // unknown -> unhealthy
  EXPECT_FALSE(*one.report);
  EXPECT_FALSE(policy.OnResult(kStart + absl::Seconds(8), http).kill);
  HealthDecision three = policy.OnResult(kStart + absl::Seconds(10), http);
  EXPECT_TRUE(three.kill);
  EXPECT_EQ(three.message,
            "Health check failed 3 times in a row: HTTP GET http://127.0.0.1:8080/health "
            "answered 503");
}

TEST(HealthPolicyTest, ASuccessResetsTheRunOfFailures) {
  HealthPolicy policy(Fast(2), kStart);
  policy.OnResult(kStart + absl::Seconds(6), Fail());
  policy.OnResult(kStart + absl::Seconds(8), Pass());
  EXPECT_FALSE(policy.OnResult(kStart + absl::Seconds(10), Fail()).kill);
  EXPECT_TRUE(policy.OnResult(kStart + absl::Seconds(12), Fail()).kill);
}

TEST(HealthPolicyTest, ATaskKnownHealthyAfterARestartIsNotReportedAgainAndHasNoGrace) {
  HealthPolicy policy(Fast(1), kStart, /*known_health=*/true);
  EXPECT_FALSE(policy.OnResult(kStart + absl::Seconds(1), Pass()).report.has_value());
  EXPECT_TRUE(policy.OnResult(kStart + absl::Seconds(2), Fail()).kill);
}

TEST(HealthCheckDescriptionTest, NamesWhatIsProbed) {
  v1::HealthCheck check;
  check.set_type(v1::HealthCheck::HTTP);
  check.mutable_http()->set_port(8080);
  check.mutable_http()->set_path("/health");
  EXPECT_EQ(DescribeHealthCheck(check), "HTTP GET http://127.0.0.1:8080/health");
  check.set_type(v1::HealthCheck::TCP);
  check.mutable_tcp()->set_port(9000);
  EXPECT_EQ(DescribeHealthCheck(check), "TCP connect to 127.0.0.1:9000");
  check.set_type(v1::HealthCheck::COMMAND);
  check.mutable_command()->set_shell(true);
  check.mutable_command()->set_value("test -f ready");
  EXPECT_EQ(DescribeHealthCheck(check), "command 'test -f ready'");
}

// The checker on the manual clock: a probe that answers from a script.
class HealthCheckerTest : public ::testing::Test {
 protected:
  std::unique_ptr<HealthChecker> Make(HealthSettings settings) {
    return std::make_unique<HealthChecker>(
        loop_, HealthPolicy(settings, loop_.Now()),
        [this](absl::Duration timeout, ProbeDone done) {
          runs_.push_back(loop_.Now());
          timeouts_.push_back(timeout);
          HealthResult result = script_.empty() ? Pass() : script_.front();
          if (!script_.empty()) script_.pop_front();
          done(result);
        },
        [this](const HealthDecision& decision) { decisions_.push_back(decision); });
  }

  testing::ManualEventLoop loop_;
  std::deque<HealthResult> script_;
  std::vector<absl::Time> runs_;
  std::vector<absl::Duration> timeouts_;
  std::vector<HealthDecision> decisions_;
};

TEST_F(HealthCheckerTest, RunsOnScheduleAndReportsOnlyChangesThenKillsAndStops) {
  absl::Time start = loop_.Now();
  script_ = {Pass(), Pass(), Fail(), Fail(), Fail()};
  auto checker = Make(Fast(3));
  checker->Start();
  loop_.AdvanceTime(absl::Seconds(20));
  ASSERT_EQ(runs_.size(), 5u);  // Stopped after the kill.
  EXPECT_EQ(runs_[0], start + absl::Seconds(1));
  EXPECT_EQ(runs_[1], start + absl::Seconds(3));
  EXPECT_EQ(runs_[4], start + absl::Seconds(9));
  EXPECT_EQ(timeouts_[0], absl::Milliseconds(500));
  ASSERT_EQ(decisions_.size(), 3u);
  EXPECT_EQ(decisions_[0].report, std::optional<bool>(true));
  EXPECT_EQ(decisions_[1].report, std::optional<bool>(false));
  EXPECT_TRUE(decisions_[2].kill);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(HealthCheckerTest, StopEndsTheChecksAndDestructionIgnoresALateResult) {
  auto checker = Make(Fast());
  checker->Start();
  loop_.AdvanceTime(absl::Seconds(1));
  ASSERT_EQ(runs_.size(), 1u);
  checker->Stop();
  loop_.AdvanceTime(absl::Seconds(10));
  EXPECT_EQ(runs_.size(), 1u);

  // A result arriving after the checker is gone is dropped.
  ProbeDone late;
  auto other = std::make_unique<HealthChecker>(
      loop_, HealthPolicy(Fast(), loop_.Now()),
      [&late](absl::Duration, ProbeDone done) { late = std::move(done); },
      [this](const HealthDecision& decision) { decisions_.push_back(decision); });
  other->Start();
  loop_.AdvanceTime(absl::Seconds(1));
  ASSERT_TRUE(late);
  size_t before = decisions_.size();
  other.reset();
  late(Pass());
  EXPECT_EQ(decisions_.size(), before);
}

TEST(HealthKillTest, AKillByTheHealthChecksIsAFailureWithItsReasonAndMessage) {
  ShimEnd end;
  end.record.outcome = shim::ShimStatusRead::kOk;
  end.record.status.state = shim::ShimState::kSignaled;
  end.record.status.code = 15;
  end.kill_requested = true;
  end.health_failure = "Health check failed 3 times in a row: command 'false' exited with status 1";
  CommandEnd result = DescribeCommandEnd(end);
  EXPECT_EQ(result.state, v1::TASK_FAILED);
  EXPECT_EQ(result.reason, v1::TaskStatus::REASON_TASK_HEALTH_CHECK_FAILED);
  EXPECT_EQ(result.message, end.health_failure);
  ASSERT_TRUE(result.wait_status.has_value());

  // Without the health failure the same end is an ordinary kill.
  end.health_failure.clear();
  EXPECT_EQ(DescribeCommandEnd(end).state, v1::TASK_KILLED);
}

}  // namespace
}  // namespace agora::agent
