#include "agent/status_update_manager.hpp"

#include <vector>

#include "gtest/gtest.h"
#include "tests/support/manual_event_loop.hpp"

namespace agora::agent {
namespace {

struct Forwarded {
  std::string task_id;
  std::string uuid;
  v1::TaskState state;
  v1::TaskState latest;
  absl::Time at;
};

class StatusUpdateManagerTest : public ::testing::Test {
 protected:
  StatusUpdateManagerTest()
      : manager_(&loop_, absl::Seconds(1), absl::Seconds(8),
                 [this](const v1::FrameworkID& framework_id, const v1::TaskStatus& status,
                        v1::TaskState latest) {
                   forwarded_.push_back(Forwarded{status.task_id().value(), status.uuid(),
                                                  status.state(), latest, loop_.Now()});
                 }) {
    framework_.set_value("fw");
  }

  v1::TaskStatus Status(const std::string& task_id, const std::string& uuid, v1::TaskState state) {
    v1::TaskStatus status;
    status.mutable_task_id()->set_value(task_id);
    status.set_uuid(uuid);
    status.set_state(state);
    return status;
  }

  testing::ManualEventLoop loop_;
  std::vector<Forwarded> forwarded_;
  StatusUpdateManager manager_;
  v1::FrameworkID framework_;
};

TEST_F(StatusUpdateManagerTest, HoldsUpdatesWhilePausedAndForwardsHeadOnResume) {
  EXPECT_TRUE(manager_.Update(framework_, Status("t1", "u1", v1::TASK_STARTING)));
  loop_.RunUntilIdle();
  EXPECT_TRUE(forwarded_.empty());
  manager_.Resume();
  ASSERT_EQ(forwarded_.size(), 1u);
  EXPECT_EQ(forwarded_[0].uuid, "u1");
}

TEST_F(StatusUpdateManagerTest, ForwardsOnlyTheHeadUntilAcknowledgedThenTheNext) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_STARTING));
  manager_.Update(framework_, Status("t1", "u2", v1::TASK_RUNNING));
  manager_.Update(framework_, Status("t1", "u3", v1::TASK_FINISHED));
  ASSERT_EQ(forwarded_.size(), 1u);
  EXPECT_EQ(forwarded_[0].state, v1::TASK_STARTING);
  EXPECT_EQ(manager_.Pending("fw", "t1"), 3u);

  EXPECT_TRUE(manager_.Acknowledge("fw", "t1", "u1").ok());
  ASSERT_EQ(forwarded_.size(), 2u);
  EXPECT_EQ(forwarded_[1].uuid, "u2");
  // The latest known state rides along with the head.
  EXPECT_EQ(forwarded_[1].latest, v1::TASK_FINISHED);
  EXPECT_TRUE(manager_.Acknowledge("fw", "t1", "u2").ok());
  EXPECT_TRUE(manager_.Acknowledge("fw", "t1", "u3").ok());
  EXPECT_EQ(forwarded_.size(), 3u);
  EXPECT_EQ(manager_.Pending("fw", "t1"), 0u);
  EXPECT_EQ(manager_.streams(), 0u);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

TEST_F(StatusUpdateManagerTest, RetriesWithExponentialBackoffCappedAtMax) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING));
  absl::Time start = loop_.Now();
  loop_.AdvanceTime(absl::Seconds(40));
  // Sent at 0, then after 1, 2, 4, 8, 8, 8... seconds.
  std::vector<absl::Duration> offsets;
  for (const auto& f : forwarded_) offsets.push_back(f.at - start);
  std::vector<absl::Duration> expected = {
      absl::ZeroDuration(), absl::Seconds(1),  absl::Seconds(3),  absl::Seconds(7),
      absl::Seconds(15),    absl::Seconds(23), absl::Seconds(31), absl::Seconds(39)};
  EXPECT_EQ(offsets, expected);
  for (const auto& f : forwarded_) EXPECT_EQ(f.uuid, "u1");
}

TEST_F(StatusUpdateManagerTest, AcknowledgementResetsBackoffForTheNextUpdate) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING));
  manager_.Update(framework_, Status("t1", "u2", v1::TASK_FINISHED));
  loop_.AdvanceTime(absl::Seconds(7));  // u1 sent at 0, 1, 3, 7.
  ASSERT_EQ(forwarded_.size(), 4u);
  ASSERT_TRUE(manager_.Acknowledge("fw", "t1", "u1").ok());
  ASSERT_EQ(forwarded_.size(), 5u);
  absl::Time sent = forwarded_.back().at;
  loop_.AdvanceTime(absl::Seconds(1));
  ASSERT_EQ(forwarded_.size(), 6u);
  EXPECT_EQ(forwarded_.back().at - sent, absl::Seconds(1));
  EXPECT_EQ(forwarded_.back().uuid, "u2");
}

TEST_F(StatusUpdateManagerTest, DropsDuplicateUpdates) {
  manager_.Resume();
  EXPECT_TRUE(manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING)));
  EXPECT_FALSE(manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING)));
  EXPECT_EQ(manager_.Pending("fw", "t1"), 1u);
  EXPECT_EQ(forwarded_.size(), 1u);
}

TEST_F(StatusUpdateManagerTest, IgnoresStaleAndUnknownAcknowledgements) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING));
  manager_.Update(framework_, Status("t1", "u2", v1::TASK_FINISHED));
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_.Acknowledge("fw", "t1", "u2")));
  EXPECT_TRUE(absl::IsNotFound(manager_.Acknowledge("fw", "other", "u1")));
  EXPECT_TRUE(manager_.Acknowledge("fw", "t1", "u1").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_.Acknowledge("fw", "t1", "u1")));
  EXPECT_EQ(manager_.Pending("fw", "t1"), 1u);
}

TEST_F(StatusUpdateManagerTest, StreamsOfDifferentTasksAreIndependent) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "a1", v1::TASK_RUNNING));
  manager_.Update(framework_, Status("t2", "b1", v1::TASK_RUNNING));
  EXPECT_EQ(forwarded_.size(), 2u);
  v1::FrameworkID other;
  other.set_value("fw2");
  // Same task id in another framework is another stream.
  manager_.Update(other, Status("t1", "c1", v1::TASK_RUNNING));
  EXPECT_EQ(forwarded_.size(), 3u);
  EXPECT_EQ(manager_.streams(), 3u);
}

TEST_F(StatusUpdateManagerTest, PauseStopsRetriesAndResumeResendsImmediately) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING));
  manager_.Pause();
  loop_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(forwarded_.size(), 1u);
  EXPECT_EQ(loop_.pending_timers(), 0u);
  manager_.Resume();
  EXPECT_EQ(forwarded_.size(), 2u);
}

TEST_F(StatusUpdateManagerTest, RemoveFrameworkDropsItsStreams) {
  manager_.Resume();
  manager_.Update(framework_, Status("t1", "u1", v1::TASK_RUNNING));
  manager_.RemoveFramework("fw");
  EXPECT_EQ(manager_.streams(), 0u);
  EXPECT_EQ(loop_.pending_timers(), 0u);
}

// With the agent's defaults (10 s, capped at 10 min): the retry schedule of
// an unacknowledged head, and no re-send while an acknowledgement is merely
// slow.
class StatusUpdateBackoffTest : public ::testing::Test {
 protected:
  StatusUpdateBackoffTest()
      : manager_(&loop_, absl::Seconds(10), absl::Minutes(10),
                 [this](const v1::FrameworkID&, const v1::TaskStatus& status, v1::TaskState) {
                   sent_.push_back({status.uuid(), loop_.Now()});
                 }) {
    framework_.set_value("fw");
  }
  v1::TaskStatus Status(const std::string& uuid, v1::TaskState state) {
    v1::TaskStatus status;
    status.mutable_task_id()->set_value("t1");
    status.set_uuid(uuid);
    status.set_state(state);
    return status;
  }
  testing::ManualEventLoop loop_;
  std::vector<std::pair<std::string, absl::Time>> sent_;
  StatusUpdateManager manager_;
  v1::FrameworkID framework_;
};

TEST_F(StatusUpdateBackoffTest, RetriesStartAtTenSecondsAndDoubleUpToTenMinutes) {
  manager_.Resume();
  absl::Time start = loop_.Now();
  manager_.Update(framework_, Status("u1", v1::TASK_RUNNING));
  loop_.AdvanceTime(absl::Minutes(30));
  std::vector<absl::Duration> offsets;
  for (const auto& [uuid, at] : sent_) offsets.push_back(at - start);
  // 0, +10, +20, +40, +80, +160, +320, +600 (capped), +600, ...
  std::vector<absl::Duration> expected = {
      absl::ZeroDuration(), absl::Seconds(10),  absl::Seconds(30),  absl::Seconds(70),
      absl::Seconds(150),   absl::Seconds(310), absl::Seconds(630), absl::Seconds(1230)};
  EXPECT_EQ(offsets, expected);
}

TEST_F(StatusUpdateBackoffTest, AnUpdateIsNotResentWhileItsAcknowledgementIsMerelySlow) {
  manager_.Resume();
  manager_.Update(framework_, Status("u1", v1::TASK_STARTING));
  manager_.Update(framework_, Status("u2", v1::TASK_RUNNING));
  manager_.Update(framework_, Status("u3", v1::TASK_FINISHED));
  // The acknowledgement takes 9.9 s: nothing is sent twice, and only the
  // head was ever in flight.
  loop_.AdvanceTime(absl::Milliseconds(9900));
  ASSERT_EQ(sent_.size(), 1u);
  ASSERT_TRUE(manager_.Acknowledge("fw", "t1", "u1").ok());
  loop_.AdvanceTime(absl::Milliseconds(9900));
  ASSERT_TRUE(manager_.Acknowledge("fw", "t1", "u2").ok());
  ASSERT_TRUE(manager_.Acknowledge("fw", "t1", "u3").ok());
  loop_.AdvanceTime(absl::Minutes(5));
  std::vector<std::string> uuids;
  for (const auto& [uuid, at] : sent_) uuids.push_back(uuid);
  EXPECT_EQ(uuids, (std::vector<std::string>{"u1", "u2", "u3"}));
}

TEST_F(StatusUpdateBackoffTest, HeadsAreForwardedAtOnceAfterAReregistration) {
  manager_.Resume();
  manager_.Update(framework_, Status("u1", v1::TASK_RUNNING));
  loop_.AdvanceTime(absl::Seconds(35));  // Sent at 0, 10, 30: backoff now 40 s.
  ASSERT_EQ(sent_.size(), 3u);
  manager_.Pause();
  loop_.AdvanceTime(absl::Minutes(2));
  EXPECT_EQ(sent_.size(), 3u) << "nothing is sent while disconnected";
  absl::Time back = loop_.Now();
  manager_.Resume();
  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_.back().second, back);
  loop_.AdvanceTime(absl::Seconds(10));
  ASSERT_EQ(sent_.size(), 5u) << "backoff restarts from 10 s";
}

}  // namespace
}  // namespace agora::agent
