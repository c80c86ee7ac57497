// Fault injection in one process: the real master, agents and executors
// with an AgentLinkProxy on the agent <-> master stream that drops,
// duplicates or delays chosen messages and breaks the stream, and real
// schedulers (RecordingScheduler on the driver) recording what a framework
// author would see.
#include <atomic>

#include "gtest/gtest.h"
#include "tests/cluster/e2e/in_process_cluster.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/process_scan.hpp"

namespace agora::testing {
namespace {

using Verdict = AgentLinkProxy::Verdict;
constexpr char kAgentResources[] = "cpus:4;mem:4096;disk:1024;ports:[31000-31100]";

// Launches `tasks` on the first offers that fit, declining the rest.
RecordingScheduler::OffersHandler Launch(std::vector<v1::TaskInfo> tasks) {
  auto pending = std::make_shared<std::vector<v1::TaskInfo>>(std::move(tasks));
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

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok());
    proxy_ = cluster_.EnableAgentProxy();
    ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  }

  std::unique_ptr<AgoraSchedulerDriver> StartDriver(RecordingScheduler* scheduler,
                                                    const v1::FrameworkInfo& info) {
    auto driver =
        std::make_unique<AgoraSchedulerDriver>(scheduler, info, cluster_.master_address());
    EXPECT_EQ(driver->start(), SchedulerDriverStatus::RUNNING);
    return driver;
  }

  static bool Reaches(RecordingScheduler& scheduler, const std::string& task, v1::TaskState state,
                      absl::Duration timeout = absl::Seconds(30)) {
    return scheduler.WaitUntil([&] { return scheduler.LatestState(task) == state; }, timeout);
  }

  static int Seen(RecordingScheduler& scheduler, const std::string& task, v1::TaskState state) {
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    int n = 0;
    for (v1::TaskState s : scheduler.StatesOf(task)) n += s == state ? 1 : 0;
    return n;
  }

  // Tasks the master lists in `state` ("RUNNING", "FINISHED", ...).
  double MasterTasks(const std::string& state) {
    return MetricValue(HttpGet(cluster_.master()->http_port(), "/metrics"),
                       "agora_master_tasks{state=\"" + state + "\"}");
  }

  TempDir dir_;
  InProcessCluster cluster_{dir_.path()};
  AgentLinkProxy* proxy_ = nullptr;
};

TEST_F(FaultInjectionTest, DroppedStatusUpdateIsRetriedAndSeenOnce) {
  proxy_->set_filter({OnStatusUpdate(v1::TASK_FINISHED, Verdict::kDrop, 1), nullptr});
  RecordingScheduler scheduler(Launch({CommandTask("t", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("dropped"));
  ASSERT_TRUE(Reaches(scheduler, "t", v1::TASK_FINISHED));
  EXPECT_EQ(proxy_->dropped(), 1);
  EXPECT_EQ(Seen(scheduler, "t", v1::TASK_FINISHED), 1);
}

TEST_F(FaultInjectionTest, DuplicatedStatusUpdatesReachTheSchedulerOnce) {
  proxy_->set_filter({[](const internal::AgentMessage& m) {
                        return m.type() == internal::AgentMessage::STATUS_UPDATE
                                   ? Verdict::kDuplicate
                                   : Verdict::kPass;
                      },
                      nullptr});
  RecordingScheduler scheduler(
      Launch({CommandTask("a", "true", 0.1, 16), CommandTask("b", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("duplicated"));
  ASSERT_TRUE(Reaches(scheduler, "a", v1::TASK_FINISHED));
  ASSERT_TRUE(Reaches(scheduler, "b", v1::TASK_FINISHED));
  for (const char* task : {"a", "b"}) {
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    EXPECT_EQ(scheduler.StatesOf(task),
              (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}))
        << task;
  }
}

TEST_F(FaultInjectionTest, DuplicateAndStrayAcknowledgementsAreHarmless) {
  proxy_->set_filter({nullptr, [](const internal::MasterMessage& m) {
                        return m.type() == internal::MasterMessage::ACKNOWLEDGE
                                   ? Verdict::kDuplicate
                                   : Verdict::kPass;
                      }});
  RecordingScheduler scheduler(Launch({CommandTask("first", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("acks"));
  ASSERT_TRUE(Reaches(scheduler, "first", v1::TASK_FINISHED));
  // A stray acknowledgement for an unknown task and uuid changes nothing.
  v1::TaskStatus stray;
  stray.mutable_task_id()->set_value("no-such-task");
  stray.mutable_agent_id()->set_value(cluster_.agent(0)->agent_id());
  stray.set_uuid("0123456789abcdef");
  driver->acknowledgeStatusUpdate(stray);
  // The agent keeps working: a second framework's task runs normally.
  RecordingScheduler second(Launch({CommandTask("second", "true", 0.1, 16)}));
  auto second_driver = StartDriver(&second, TestFramework("acks-2"));
  ASSERT_TRUE(Reaches(second, "second", v1::TASK_FINISHED));
  EXPECT_EQ(Seen(scheduler, "first", v1::TASK_FINISHED), 1);
}

TEST_F(FaultInjectionTest, LostAcknowledgementLeadsToAResendTheSchedulerDoesNotSeeTwice) {
  auto acks_dropped = std::make_shared<std::atomic<int>>(0);
  auto finished_forwards = std::make_shared<std::atomic<int>>(0);
  proxy_->set_filter({[finished_forwards](const internal::AgentMessage& m) {
                        if (m.type() == internal::AgentMessage::STATUS_UPDATE &&
                            m.status_update().status().state() == v1::TASK_FINISHED)
                          ++*finished_forwards;
                        return Verdict::kPass;
                      },
                      [acks_dropped](const internal::MasterMessage& m) {
                        if (m.type() != internal::MasterMessage::ACKNOWLEDGE) return Verdict::kPass;
                        return ++*acks_dropped <= 3 ? Verdict::kDrop : Verdict::kPass;
                      }});
  RecordingScheduler scheduler(Launch({CommandTask("t", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("lost-ack"));
  ASSERT_TRUE(Reaches(scheduler, "t", v1::TASK_FINISHED));
  // RUNNING's ack and two more are lost: the agent re-sends until one
  // arrives, and FINISHED crosses the proxy again after its ack is lost.
  ASSERT_TRUE(
      WaitFor([&] { return *finished_forwards >= 2 || *acks_dropped > 3; }, absl::Seconds(30)));
  ASSERT_TRUE(WaitFor([&] { return MasterTasks("FINISHED") == 0; }, absl::Seconds(30)));
  EXPECT_EQ(Seen(scheduler, "t", v1::TASK_FINISHED), 1);
  EXPECT_EQ(Seen(scheduler, "t", v1::TASK_RUNNING), 1);
}

TEST_F(FaultInjectionTest, SlowAcknowledgementsCauseNoDuplicates) {
  // Every acknowledgement reaches the agent 500 ms late, longer than the
  // test agents' first retry (200 ms): retries cross the slow acks.
  proxy_->set_filter({nullptr,
                      [](const internal::MasterMessage& m) {
                        return m.type() == internal::MasterMessage::ACKNOWLEDGE ? Verdict::kDelay
                                                                                : Verdict::kPass;
                      },
                      absl::Milliseconds(500)});
  RecordingScheduler scheduler(
      Launch({CommandTask("a", "true", 0.1, 16), CommandTask("b", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("slow-acks"));
  ASSERT_TRUE(Reaches(scheduler, "a", v1::TASK_FINISHED));
  ASSERT_TRUE(Reaches(scheduler, "b", v1::TASK_FINISHED));
  ASSERT_TRUE(WaitFor([&] { return MasterTasks("FINISHED") == 0; }, absl::Seconds(30)));
  for (const char* task : {"a", "b"}) {
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    EXPECT_EQ(scheduler.StatesOf(task),
              (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}))
        << task;
  }
}

TEST_F(FaultInjectionTest, BrokenAgentStreamReconnectsAndTasksCarryOn) {
  RecordingScheduler scheduler(Launch({CommandTask("long", "sleep 2", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("blip"));
  ASSERT_TRUE(Reaches(scheduler, "long", v1::TASK_RUNNING));
  proxy_->BreakStreams();
  ASSERT_TRUE(Reaches(scheduler, "long", v1::TASK_FINISHED));
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT_EQ(scheduler.CountInState(v1::TASK_KILLED) + scheduler.CountInState(v1::TASK_FAILED) +
                scheduler.CountInState(v1::TASK_UNREACHABLE),
            0);
}

TEST_F(FaultInjectionTest, LaunchNeverReceivedByTheAgentIsReportedDropped) {
  proxy_->set_filter({nullptr, [](const internal::MasterMessage& m) {
                        return m.type() == internal::MasterMessage::RUN_TASKS ? Verdict::kDrop
                                                                              : Verdict::kPass;
                      }});
  RecordingScheduler scheduler(Launch({CommandTask("lost", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("never-received"));
  ASSERT_TRUE(WaitFor([&] { return proxy_->dropped() == 1; }, absl::Seconds(30)));
  proxy_->clear_filter();
  // The agent re-registers without the task: the master reports it dropped.
  proxy_->BreakStreams();
  ASSERT_TRUE(Reaches(scheduler, "lost", v1::TASK_DROPPED));
}

TEST_F(FaultInjectionTest, SchedulerFailoverReceivesUpdatesSentWhileItWasAway) {
  RecordingScheduler first(Launch({CommandTask("t", "sleep 1", 0.1, 16)}));
  auto first_driver = StartDriver(&first, TestFramework("failover"));
  ASSERT_TRUE(Reaches(first, "t", v1::TASK_RUNNING));
  first_driver->stop(/*failover=*/true);
  first_driver->join();
  // The task finishes while no scheduler is subscribed.
  v1::FrameworkInfo info = TestFramework("failover");
  {
    std::lock_guard<std::mutex> lock(first.mutex);
    info.mutable_id()->set_value(first.framework_id);
  }
  ASSERT_TRUE(WaitFor([&] { return MasterTasks("FINISHED") == 1; }, absl::Seconds(30)));
  RecordingScheduler second;
  auto second_driver = StartDriver(&second, info);
  ASSERT_TRUE(Reaches(second, "t", v1::TASK_FINISHED));
  EXPECT_EQ(Seen(second, "t", v1::TASK_FINISHED), 1);
}

TEST_F(FaultInjectionTest, UpdateHeldWhenTheAgentCrashedIsDeliveredAfterItsRestart) {
  // Every status update from the agent is lost on the way...
  proxy_->set_filter({[](const internal::AgentMessage& m) {
                        return m.type() == internal::AgentMessage::STATUS_UPDATE ? Verdict::kDrop
                                                                                 : Verdict::kPass;
                      },
                      nullptr});
  RecordingScheduler scheduler(Launch({CommandTask("t", "true", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("held"));
  ASSERT_TRUE(WaitFor([&] { return proxy_->dropped() >= 3; }, absl::Seconds(30)));
  // ...and the agent dies with them unacknowledged. Its checkpoint has them.
  cluster_.CrashAgent(0);
  proxy_->clear_filter();
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  ASSERT_TRUE(Reaches(scheduler, "t", v1::TASK_FINISHED));
  EXPECT_EQ(Seen(scheduler, "t", v1::TASK_FINISHED), 1);
}

TEST_F(FaultInjectionTest, KillDuringAnAgentOutageIsAppliedWhenItReturns) {
  RecordingScheduler scheduler(Launch({CommandTask("victim", "sleep 3202", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("outage-kill"));
  ASSERT_TRUE(Reaches(scheduler, "victim", v1::TASK_RUNNING));
  cluster_.CrashAgent(0);
  v1::TaskID id;
  id.set_value("victim");
  driver->killTask(id);
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  ASSERT_TRUE(Reaches(scheduler, "victim", v1::TASK_KILLED));
  EXPECT_TRUE(LiveProcessesWith("sleep 3202").empty());
  // It ran for a while: never "killed before the executor started it".
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT_NE(scheduler.updates.back().reason(), v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH)
      << scheduler.updates.back().message();
}

TEST_F(FaultInjectionTest, FrameworkTornDownDuringAnAgentOutageIsShutDownOnItsReturn) {
  RecordingScheduler scheduler(Launch({CommandTask("orphan", "sleep 3201", 0.1, 16)}));
  auto driver = StartDriver(&scheduler, TestFramework("teardown-outage"));
  ASSERT_TRUE(Reaches(scheduler, "orphan", v1::TASK_RUNNING));
  // RUNNING may precede the shell's exec of `sleep`: wait for the process.
  ASSERT_TRUE(
      WaitFor([] { return LiveProcessesWith("sleep 3201").size() == 1u; }, absl::Seconds(10)));
  cluster_.CrashAgent(0);
  driver->stop();  // Teardown while the agent is away.
  driver->join();
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  // The agent learns the framework is gone and kills its executor.
  EXPECT_TRUE(WaitFor([] { return LiveProcessesWith("sleep 3201").empty(); }, absl::Seconds(30)));
}

}  // namespace
}  // namespace agora::testing
