// The simulated executor (sim_agent_tasks.cpp) against a real standalone
// master: the tasks of one RUN_TASKS share one finish timer, so killing one
// of them must leave the others to finish at their deadline, and each task
// ends exactly once.
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "agora/scheduler.hpp"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "failover/cluster.hpp"
#include "gtest/gtest.h"
#include "sim/sim_agent_host.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::sim {
namespace {

using bench::BenchCluster;
using bench::ClusterOptions;
using testing::BinaryPath;
using testing::TempDir;
using testing::WaitFor;

constexpr absl::Duration kTimeout = absl::Seconds(60);
constexpr int kTasks = 3;

// Launches kTasks tasks in one launchTasks on the first offer and kills
// task "t-0" once it is RUNNING. Records every update per task.
class KillOneScheduler : public Scheduler {
 public:
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override {
    for (const v1::Offer& offer : offers) {
      if (launched_) {
        driver->declineOffer(offer.id());
        continue;
      }
      launched_ = true;
      std::vector<v1::TaskInfo> tasks;
      for (int i = 0; i < kTasks; ++i) {
        v1::TaskInfo task;
        task.set_name("sim-tasks-test");
        task.mutable_task_id()->set_value(absl::StrCat("t-", i));
        *task.mutable_agent_id() = offer.agent_id();
        *task.mutable_resources() = Resources::Parse("cpus:0.1;mem:16")->ToProto();
        task.mutable_command()->set_value("sleep 1");
        tasks.push_back(std::move(task));
      }
      driver->launchTasks({offer.id()}, tasks);
    }
  }

  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override {
    if (status.task_id().value() == "t-0" && status.state() == v1::TASK_RUNNING) {
      driver->killTask(status.task_id());
    }
    std::lock_guard<std::mutex> lock(mu_);
    updates_[status.task_id().value()].push_back(status.state());
  }

  std::map<std::string, std::vector<v1::TaskState>> updates() {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }

 private:
  bool launched_ = false;  // Driver thread only.
  std::mutex mu_;
  std::map<std::string, std::vector<v1::TaskState>> updates_;
};

TEST(SimAgentTasksTest, KillingOneTaskOfARunTasksLeavesTheOthersToFinish) {
  TempDir dir;
  ClusterOptions cluster_options;
  cluster_options.work_dir = dir.path();
  cluster_options.master_binary = BinaryPath("agora-master");
  auto cluster = BenchCluster::Start(cluster_options, kTimeout);
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  SimAgentHostOptions options;
  options.master = (*cluster)->MasterSpec();
  options.agents = 1;
  options.agent.task_duration = absl::Seconds(1);
  auto host = SimAgentHost::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  (*host)->Start();

  KillOneScheduler scheduler;
  v1::FrameworkInfo framework;
  framework.set_name("sim-tasks-test");
  AgoraSchedulerDriver driver(&scheduler, framework, (*cluster)->MasterSpec());
  driver.start();

  auto ended = [&] {
    int terminal = 0;
    for (const auto& [task, states] : scheduler.updates())
      terminal += IsTerminalState(states.back());
    return terminal == kTasks;
  };
  ASSERT_TRUE(WaitFor(ended, kTimeout));
  // The agent forgets the tasks once their last updates are acknowledged.
  EXPECT_TRUE(
      (*host)->WaitUntil([](const SimFleetSummary& s) { return s.held_tasks == 0; }, kTimeout));
  // t-1 and t-2 finished from the timer they share with t-0, which skipped
  // the killed task: nothing follows its TASK_KILLED.
  const auto updates = scheduler.updates();
  ASSERT_EQ(updates.size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(updates.at("t-0"), (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_KILLED}));
  for (const char* task : {"t-1", "t-2"}) {
    EXPECT_EQ(updates.at(task), (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}))
        << task;
  }
  driver.stop();
  driver.join();
  (*host)->Stop();
}

}  // namespace
}  // namespace agora::sim
