// A burst of status updates through the scheduler driver against the fake
// master over real gRPC: events read ahead of the loop are handled several
// per hop and acknowledgements leave once per loop turn, yet every update
// reaches the scheduler exactly once and is acknowledged exactly once, in
// order, on its stream.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agora/scheduler.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "recording_scheduler.hpp"

namespace agora {
namespace {

using testing::FakeMaster;
using testing::RecordingScheduler;

v1::Event Update(int i) {
  v1::Event event;
  event.set_type(v1::Event::UPDATE);
  v1::TaskStatus* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("t" + std::to_string(i));
  status->mutable_agent_id()->set_value("agent-" + std::to_string(i % 7));
  status->set_state(i % 2 == 0 ? v1::TASK_RUNNING : v1::TASK_FINISHED);
  status->set_uuid("u" + std::to_string(i));
  return event;
}

TEST(SchedulerDriverBurstTest, EveryUpdateOfABurstIsDeliveredAndAcknowledgedExactlyOnce) {
  constexpr int kUpdates = 3000;
  FakeMaster master;
  RecordingScheduler scheduler;
  SchedulerDriverOptions options;
  options.implicit_acknowledgements = false;
  options.call_timeout_seconds = 10;
  AgoraSchedulerDriver driver(&scheduler, v1::FrameworkInfo(), master.address(), options);
  std::mutex mu;
  std::vector<std::string> delivered;  // Task ids, in callback order.
  scheduler.on_update = [&](SchedulerDriver* d, const v1::TaskStatus& status) {
    {
      std::lock_guard<std::mutex> lock(mu);
      delivered.push_back(status.task_id().value());
    }
    d->acknowledgeStatusUpdate(status);
  };
  driver.start();
  ASSERT_TRUE(scheduler.WaitFor("registered"));
  for (int i = 0; i < kUpdates; ++i) master.Push(Update(i));
  // A re-sent update (the agent's retry) is neither delivered nor acked
  // twice; the update after it shows it was handled.
  master.Push(Update(0));
  master.Push(Update(kUpdates));
  ASSERT_TRUE(master.WaitFor([&] { return master.acknowledged_uuids().size() > kUpdates; },
                             absl::Seconds(60)));
  driver.stop();
  driver.join();

  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(delivered.size(), static_cast<size_t>(kUpdates + 1));
  for (int i = 0; i <= kUpdates; ++i) EXPECT_EQ(delivered[i], "t" + std::to_string(i)) << i;
  std::vector<std::string> uuids = master.acknowledged_uuids();
  ASSERT_EQ(uuids.size(), static_cast<size_t>(kUpdates + 1));
  // One stream, so the acks leave in the order the scheduler gave them.
  for (int i = 0; i <= kUpdates; ++i) EXPECT_EQ(uuids[i], "u" + std::to_string(i)) << i;
  for (const v1::AcknowledgeRequest& call : master.acknowledges()) {
    EXPECT_EQ(call.header().stream_id(), "stream-1");
  }
  EXPECT_LE(master.acknowledges().size(), static_cast<size_t>(kUpdates + 1));
}

}  // namespace
}  // namespace agora
