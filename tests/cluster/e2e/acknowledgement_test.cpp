// Acknowledgements through the whole cluster: the real master, an agent
// running real agora-executor processes, and the scheduler driver. Every
// update of many tasks is acknowledged exactly once (the agent has nothing
// left to re-send), and acknowledgements made together share Acknowledge
// calls.
#include <set>

#include "common/task_state.hpp"
#include "glog/logging.h"
#include "gtest/gtest.h"
#include "tests/cluster/e2e/in_process_cluster.hpp"
#include "tests/support/http_get.hpp"

namespace agora::testing {
namespace {

constexpr char kAgentResources[] = "cpus:8;mem:8192;disk:1024";
constexpr int kTasks = 40;

// Launches every task in one launch on the first offer, as `agora run`
// packs them; declines the rest.
RecordingScheduler::OffersHandler LaunchAllAtOnce() {
  auto pending = std::make_shared<std::vector<v1::TaskInfo>>();
  for (int i = 0; i < kTasks; ++i) {
    pending->push_back(CommandTask("t" + std::to_string(i), "true", 0.1, 16));
  }
  auto mu = std::make_shared<std::mutex>();
  return [pending, mu](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    std::lock_guard<std::mutex> lock(*mu);
    for (const v1::Offer& offer : offers) {
      if (pending->empty()) {
        driver->declineOffer(offer.id());
        continue;
      }
      driver->launchTasks({offer.id()}, *pending);
      pending->clear();
    }
  };
}

// Acknowledges explicitly, in rounds: once every unfinished task has an
// update waiting (the agent sends a task's next update only after the
// previous one is acknowledged), all of them at once, from the callback.
class RoundScheduler : public RecordingScheduler {
 public:
  RoundScheduler() : RecordingScheduler(LaunchAllAtOnce()) {}
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override {
    RecordingScheduler::statusUpdate(driver, status);
    if (status.uuid().empty()) return;
    waiting_.push_back(status);
    if (static_cast<int>(waiting_.size()) < kTasks - finished_) return;
    for (const v1::TaskStatus& update : waiting_) {
      driver->acknowledgeStatusUpdate(update);
      if (IsTerminalState(update.state())) ++finished_;
    }
    waiting_.clear();
  }

 private:
  // Driver thread only.
  std::vector<v1::TaskStatus> waiting_;
  int finished_ = 0;
};

class AcknowledgementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok());
    ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
    ASSERT_GT(cluster_.agent(0)->http_port(), 0);
  }

  double MasterMetric(const std::string& series) {
    return MetricValue(HttpGet(cluster_.master()->http_port(), "/metrics"), series);
  }
  double AcknowledgeCalls() {
    return MasterMetric("agora_master_messages_received_total{kind=\"scheduler_acknowledge\"}");
  }

  // Waits for every task to finish and the agent to have no update left
  // waiting for an acknowledgement (it stops re-sending); checks that each
  // update reached the scheduler once and was acknowledged exactly once.
  // Returns how many acknowledgements there were.
  double ExpectEveryUpdateAcknowledgedOnce(RecordingScheduler* scheduler) {
    EXPECT_TRUE(scheduler->WaitUntil(
        [&] { return scheduler->CountInState(v1::TASK_FINISHED) == kTasks; }, absl::Seconds(180)));
    EXPECT_TRUE(WaitFor(
        [&] {
          return MetricValue(HttpGet(cluster_.agent(0)->http_port(), "/metrics"),
                             "agora_agent_status_update_streams") == 0;
        },
        absl::Seconds(30)));
    size_t updates_with_uuid = 0;
    {
      std::lock_guard<std::mutex> lock(scheduler->mutex);
      std::set<std::string> uuids;
      for (const v1::TaskStatus& status : scheduler->updates) {
        if (status.uuid().empty()) continue;
        ++updates_with_uuid;
        EXPECT_TRUE(uuids.insert(status.uuid()).second)
            << "update delivered twice task_id=" << status.task_id().value();
      }
      for (int i = 0; i < kTasks; ++i) {
        EXPECT_EQ(scheduler->StatesOf("t" + std::to_string(i)),
                  (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}))
            << "t" << i;
      }
    }
    // Command tasks (the agent's built-in executor): RUNNING, FINISHED.
    EXPECT_EQ(updates_with_uuid, static_cast<size_t>(2 * kTasks));
    double acknowledgements = MasterMetric("agora_master_acknowledgements_total");
    EXPECT_EQ(acknowledgements, static_cast<double>(updates_with_uuid));
    return acknowledgements;
  }

  TempDir dir_;
  InProcessCluster cluster_{dir_.path()};
};

TEST_F(AcknowledgementTest, ImplicitAcknowledgementsOfManyTasksReachTheAgentOnce) {
  RecordingScheduler scheduler(LaunchAllAtOnce());
  AgoraSchedulerDriver driver(&scheduler, TestFramework("implicit"), cluster_.master_address());
  ASSERT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  double acknowledgements = ExpectEveryUpdateAcknowledgedOnce(&scheduler);
  // How many calls they took depends on how closely updates follow each
  // other (acks coalesce only while a call is in flight).
  double calls = AcknowledgeCalls();
  EXPECT_GT(calls, 0);
  EXPECT_LE(calls, acknowledgements);
  LOG(INFO) << "implicit: acknowledgements=" << acknowledgements << " calls=" << calls;
  driver.stop();
  driver.join();
}

TEST_F(AcknowledgementTest, AcknowledgementsMadeTogetherShareCalls) {
  RoundScheduler scheduler;
  SchedulerDriverOptions options;
  options.implicit_acknowledgements = false;
  AgoraSchedulerDriver driver(&scheduler, TestFramework("rounds"), cluster_.master_address(),
                              options);
  ASSERT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  double acknowledgements = ExpectEveryUpdateAcknowledgedOnce(&scheduler);
  // Two rounds (RUNNING, FINISHED) of kTasks acks made in one callback: the
  // driver sends what one loop turn acknowledged in one call, so one call per
  // round.
  double calls = AcknowledgeCalls();
  LOG(INFO) << "rounds: acknowledgements=" << acknowledgements << " calls=" << calls;
  EXPECT_EQ(calls, 2);
  driver.stop();
  driver.join();
}

}  // namespace
}  // namespace agora::testing
