// Acknowledgement batching of the scheduler driver against the fake master
// over real gRPC: acks queued while one Acknowledge call is in flight leave
// together in the next, and a failed batch is retried as a whole.
#include <algorithm>
#include <map>
#include <string>

#include "agora/scheduler.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "recording_scheduler.hpp"

namespace agora {
namespace {

using testing::FakeMaster;
using testing::RecordingScheduler;

v1::FrameworkInfo Framework() {
  v1::FrameworkInfo info;
  info.set_name("ack-batching");
  return info;
}

SchedulerDriverOptions FastOptions() {
  SchedulerDriverOptions options;
  options.initial_backoff_seconds = 0.01;
  options.max_backoff_seconds = 0.1;
  options.call_timeout_seconds = 5;
  return options;
}

v1::Event UpdateEvent(const std::string& task_id, const std::string& uuid) {
  v1::Event event;
  event.set_type(v1::Event::UPDATE);
  v1::TaskStatus* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value(task_id);
  status->mutable_agent_id()->set_value("agent-1");
  status->set_state(v1::TASK_FINISHED);
  status->set_uuid(uuid);
  return event;
}

std::map<std::string, int> CountByUuid(const std::vector<std::string>& uuids) {
  std::map<std::string, int> counts;
  for (const std::string& uuid : uuids) ++counts[uuid];
  return counts;
}

TEST(SchedulerDriverAckTest, AcknowledgementsQueuedDuringACallLeaveTogetherInTheNext) {
  FakeMaster master;
  master.set_hold_acknowledges(true);
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t0", "u0"));
  // The first ack leaves alone, at once (no timer holds it back).
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges_received() == 1; }));
  constexpr int kUpdates = 50;
  for (int i = 1; i < kUpdates; ++i) {
    master.Push(UpdateEvent("t" + std::to_string(i), "u" + std::to_string(i)));
  }
  ASSERT_TRUE(scheduler.WaitFor("update t", kUpdates));
  master.set_hold_acknowledges(false);
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledged_uuids().size() >= kUpdates; }));
  driver.stop();
  driver.join();

  std::vector<v1::AcknowledgeRequest> calls = master.acknowledges();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].uuid(), "u0");
  EXPECT_EQ(calls[0].acknowledgements_size(), 0);
  // The 49 queued meanwhile: one call, the batched form only, in order.
  EXPECT_TRUE(calls[1].uuid().empty());
  EXPECT_FALSE(calls[1].has_task_id());
  ASSERT_EQ(calls[1].acknowledgements_size(), kUpdates - 1);
  for (int i = 1; i < kUpdates; ++i) {
    const auto& ack = calls[1].acknowledgements(i - 1);
    EXPECT_EQ(ack.uuid(), "u" + std::to_string(i));
    EXPECT_EQ(ack.task_id().value(), "t" + std::to_string(i));
    EXPECT_EQ(ack.agent_id().value(), "agent-1");
  }
  EXPECT_EQ(calls[1].header().stream_id(), "stream-1");
  std::map<std::string, int> counts = CountByUuid(master.acknowledged_uuids());
  EXPECT_EQ(counts.size(), static_cast<size_t>(kUpdates));
  for (const auto& [uuid, count] : counts) EXPECT_EQ(count, 1) << uuid;
  EXPECT_EQ(scheduler.Count("update t"), kUpdates);
}

TEST(SchedulerDriverAckTest, FailedBatchIsRetriedOnTheSameStream) {
  FakeMaster master;
  master.set_hold_acknowledges(true);
  master.set_command_status(absl::UnavailableError("the master is overloaded"));
  RecordingScheduler scheduler;
  AgoraSchedulerDriver driver(&scheduler, Framework(), master.address(), FastOptions());
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  master.Push(UpdateEvent("t0", "u0"));
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges_received() == 1; }));
  for (int i = 1; i < 5; ++i) {
    master.Push(UpdateEvent("t" + std::to_string(i), "u" + std::to_string(i)));
  }
  ASSERT_TRUE(scheduler.WaitFor("update t", 5));
  master.set_hold_acknowledges(false);
  // Both calls (u0, then u1..u4 together) fail; the retries come 1 s later.
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledges().size() == 2; }));
  master.set_command_status(absl::OkStatus());
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledged_uuids().size() == 10; }));
  driver.stop();
  driver.join();
  std::map<std::string, int> counts = CountByUuid(master.acknowledged_uuids());
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [uuid, count] : counts) EXPECT_EQ(count, 2) << uuid;
  for (const auto& call : master.acknowledges()) {
    EXPECT_EQ(call.header().stream_id(), "stream-1");
  }
  EXPECT_EQ(scheduler.Count("update t"), 5);
}

}  // namespace
}  // namespace agora
