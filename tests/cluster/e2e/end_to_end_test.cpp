// End-to-end behaviour of a whole cluster in one process: the real master,
// real agents launching real agora-executor processes, and frameworks on
// the real scheduler driver, over gRPC on loopback.
#include <atomic>
#include <set>

#include "gtest/gtest.h"
#include "tests/cluster/e2e/in_process_cluster.hpp"
#include "tests/support/http_get.hpp"

namespace agora::testing {
namespace {

constexpr char kAgentResources[] = "cpus:4;mem:4096;disk:1024;ports:[31000-31100]";

// Launches the tasks in `pending` one per offer, declining what is left.
class LaunchOnePerOffer {
 public:
  explicit LaunchOnePerOffer(std::vector<v1::TaskInfo> tasks) : pending_(std::move(tasks)) {}
  void operator()(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    for (const v1::Offer& offer : offers) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pending_.empty()) {
        driver->declineOffer(offer.id());
        continue;
      }
      driver->launchTasks({offer.id()}, {pending_.back()});
      pending_.pop_back();
    }
  }

 private:
  std::mutex mutex_;
  std::vector<v1::TaskInfo> pending_;
};

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.StartMaster().ok()); }

  std::unique_ptr<AgoraSchedulerDriver> StartDriver(RecordingScheduler* scheduler,
                                                    const v1::FrameworkInfo& info) {
    auto driver =
        std::make_unique<AgoraSchedulerDriver>(scheduler, info, cluster_.master_address());
    EXPECT_EQ(driver->start(), SchedulerDriverStatus::RUNNING);
    return driver;
  }

  TempDir dir_;
  InProcessCluster cluster_{dir_.path()};
};

TEST_F(EndToEndTest, CommandTaskRunsAndReportsEveryStateInOrder) {
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  auto launcher = std::make_shared<LaunchOnePerOffer>(
      std::vector<v1::TaskInfo>{CommandTask("hello", "echo hello", 0.1, 32)});
  RecordingScheduler scheduler([launcher](auto* d, const auto& o) { (*launcher)(d, o); });
  auto driver = StartDriver(&scheduler, TestFramework("hello"));

  ASSERT_TRUE(
      scheduler.WaitUntil([&] { return scheduler.LatestState("hello") == v1::TASK_FINISHED; }));
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  std::vector<v1::TaskState> states = scheduler.StatesOf("hello");
  EXPECT_EQ(states, (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}));
  EXPECT_EQ(scheduler.registrations, 1);
  EXPECT_FALSE(scheduler.framework_id.empty());
}

TEST_F(EndToEndTest, KilledTaskEndsKilled) {
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  auto launcher = std::make_shared<LaunchOnePerOffer>(
      std::vector<v1::TaskInfo>{CommandTask("sleeper", "sleep 600", 0.1, 32)});
  RecordingScheduler scheduler([launcher](auto* d, const auto& o) { (*launcher)(d, o); });
  auto driver = StartDriver(&scheduler, TestFramework("killer"));

  ASSERT_TRUE(
      scheduler.WaitUntil([&] { return scheduler.LatestState("sleeper") == v1::TASK_RUNNING; }));
  v1::TaskID id;
  id.set_value("sleeper");
  driver->killTask(id);
  ASSERT_TRUE(
      scheduler.WaitUntil([&] { return scheduler.LatestState("sleeper") == v1::TASK_KILLED; }));
}

TEST_F(EndToEndTest, DrfPaperWorkloadGivesThreeAndTwoTasks) {
  // The DRF paper's example: 9 CPUs and 18 GB; A's tasks need <1 CPU, 4 GB>,
  // B's <3 CPUs, 1 GB>. Both launch one task per offer for as long as
  // offers come; DRF equalises dominant shares at 2/3: A runs 3, B runs 2.
  ASSERT_TRUE(cluster_.StartAgent(0, "cpus:9;mem:18432").ok());
  auto greedy = [](std::string prefix, double cpus, double mem) {
    auto next = std::make_shared<std::atomic<int>>(0);
    return [=](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
      for (const v1::Offer& offer : offers) {
        agora::v1::Filters filters;
        filters.set_refuse_seconds(0.01);  // Let the allocator re-decide at once.
        double offered_cpus = 0, offered_mem = 0;
        for (const auto& r : offer.resources()) {
          if (r.name() == "cpus") offered_cpus += r.scalar();
          if (r.name() == "mem") offered_mem += r.scalar();
        }
        if (offered_cpus + 1e-9 < cpus || offered_mem + 1e-9 < mem) {
          driver->declineOffer(offer.id(), filters);
          continue;
        }
        std::string id = prefix + std::to_string((*next)++);
        driver->launchTasks({offer.id()}, {CommandTask(id, "sleep 600", cpus, mem)}, filters);
      }
    };
  };
  RecordingScheduler a(greedy("a", 1, 4096));
  RecordingScheduler b(greedy("b", 3, 1024));
  auto driver_a = StartDriver(&a, TestFramework("A"));
  auto driver_b = StartDriver(&b, TestFramework("B"));

  // All 9 CPUs are used once 5 tasks run (3x1 + 2x3), so no sixth can start.
  auto running = [](RecordingScheduler& s) {
    std::lock_guard<std::mutex> lock(s.mutex);
    return s.CountInState(v1::TASK_RUNNING);
  };
  ASSERT_TRUE(WaitFor([&] { return running(a) + running(b) == 5; }, absl::Seconds(60)))
      << "A running " << running(a) << ", B running " << running(b);
  EXPECT_EQ(running(a), 3);
  EXPECT_EQ(running(b), 2);
}

TEST_F(EndToEndTest, DeclineFilterHoldsResourcesBackUntilRevive) {
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  v1::Filters forever;
  forever.set_refuse_seconds(3600);
  std::atomic<bool> a_declines{true};
  RecordingScheduler a([&](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    for (const auto& offer : offers) {
      if (a_declines) driver->declineOffer(offer.id(), forever);
    }
  });
  auto driver_a = StartDriver(&a, TestFramework("A"));
  ASSERT_TRUE(a.WaitUntil([&] { return a.offers.size() == 1; }));

  // With A's filter in place the agent's resources go to B; B declines for
  // an hour too, so nobody holds an offer.
  RecordingScheduler b([&](SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
    for (const auto& offer : offers) driver->declineOffer(offer.id(), forever);
  });
  auto driver_b = StartDriver(&b, TestFramework("B"));
  ASSERT_TRUE(b.WaitUntil([&] { return b.offers.size() == 1; }));
  EXPECT_EQ(b.offers[0].agent_id().value(), a.offers[0].agent_id().value());
  {
    std::lock_guard<std::mutex> lock(a.mutex);
    EXPECT_EQ(a.offers.size(), 1u);
  }

  // Reviving clears A's filter: the resources come back to A.
  a_declines = false;
  driver_a->reviveOffers();
  ASSERT_TRUE(a.WaitUntil([&] { return a.offers.size() == 2; }));
  EXPECT_EQ(a.offers[1].agent_id().value(), a.offers[0].agent_id().value());
}

TEST_F(EndToEndTest, UnansweredOfferIsRescindedAfterTheOfferTimeout) {
  cluster_.StopMaster();
  master::MasterOptions options = TestMasterOptions(dir_.path() + "/master");
  options.offer_timeout = absl::Milliseconds(300);
  ASSERT_TRUE(cluster_.StartMaster(options).ok());
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  RecordingScheduler hoarder;  // Never answers its offers.
  auto driver = StartDriver(&hoarder, TestFramework("hoarder"));

  ASSERT_TRUE(hoarder.WaitUntil([&] { return !hoarder.rescinded.empty(); }));
  EXPECT_EQ(hoarder.rescinded[0], hoarder.offers[0].id().value());
  // The resources are offered again afterwards.
  ASSERT_TRUE(hoarder.WaitUntil([&] { return hoarder.offers.size() >= 2; }));
}

TEST_F(EndToEndTest, FrameworkFailsOverToASecondSchedulerAndKeepsItsTask) {
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  auto launcher = std::make_shared<LaunchOnePerOffer>(
      std::vector<v1::TaskInfo>{CommandTask("service", "sleep 600", 0.1, 32)});
  RecordingScheduler first([launcher](auto* d, const auto& o) { (*launcher)(d, o); });
  auto first_driver = StartDriver(&first, TestFramework("failover"));
  ASSERT_TRUE(first.WaitUntil([&] { return first.LatestState("service") == v1::TASK_RUNNING; }));

  // A second scheduler subscribes with the same id while the first is still
  // connected: it takes over and the first is told so.
  v1::FrameworkInfo info = TestFramework("failover");
  info.mutable_id()->set_value(first.framework_id);
  RecordingScheduler second;
  auto second_driver = StartDriver(&second, info);
  ASSERT_TRUE(second.WaitUntil([&] { return second.registrations == 1; }));
  EXPECT_EQ(second.framework_id, info.id().value());
  ASSERT_TRUE(first.WaitUntil([&] { return !first.errors.empty(); }));

  // The task survived the failover: reconciliation reports it RUNNING.
  second_driver->reconcileTasks({});
  ASSERT_TRUE(second.WaitUntil([&] { return second.LatestState("service") == v1::TASK_RUNNING; }));
}

TEST_F(EndToEndTest, AgentRestartReregistersWithoutLosingItsTask) {
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  std::string agent_id = cluster_.agent(0)->agent_id();
  auto launcher = std::make_shared<LaunchOnePerOffer>(
      std::vector<v1::TaskInfo>{CommandTask("survivor", "sleep 600", 0.1, 32)});
  RecordingScheduler scheduler([launcher](auto* d, const auto& o) { (*launcher)(d, o); });
  auto driver = StartDriver(&scheduler, TestFramework("survivor"));
  ASSERT_TRUE(
      scheduler.WaitUntil([&] { return scheduler.LatestState("survivor") == v1::TASK_RUNNING; }));

  // The agent's stream breaks (the agent process dies); its executor keeps
  // running. A new agent on the same work dir re-registers with the task.
  cluster_.CrashAgent(0);
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  EXPECT_EQ(cluster_.agent(0)->agent_id(), agent_id);

  size_t seen;  // Counted before asking: the answer may come back at once.
  {
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    seen = scheduler.updates.size();
  }
  driver->reconcileTasks({});
  ASSERT_TRUE(scheduler.WaitUntil([&] {
    return scheduler.updates.size() > seen && scheduler.LatestState("survivor") == v1::TASK_RUNNING;
  }));
  // And it can still be controlled.
  v1::TaskID id;
  id.set_value("survivor");
  driver->killTask(id);
  ASSERT_TRUE(
      scheduler.WaitUntil([&] { return scheduler.LatestState("survivor") == v1::TASK_KILLED; }));
}

TEST_F(EndToEndTest, AgentBeatsAtTheMastersPaceAndStaysReachable) {
  // The agent starts with its own 5 s default; the master asks for 500 ms
  // (TestMasterOptions) and counts 3 missed beats as unreachable. The agent
  // must switch pace at registration instead of flapping once.
  ASSERT_TRUE(cluster_.StartAgent(0, kAgentResources).ok());
  auto metric = [&](const std::string& kind) {
    return MetricValue(HttpGet(cluster_.master()->http_port(), "/metrics"),
                       "agora_master_messages_received_total{kind=\"" + kind + "\"}");
  };
  ASSERT_TRUE(WaitFor([&] { return metric("agent_heartbeat") >= 5; }, absl::Seconds(30)));
  EXPECT_EQ(metric("agent_reregister"), 0);
  EXPECT_TRUE(cluster_.agent(0)->registered());
}

}  // namespace
}  // namespace agora::testing
