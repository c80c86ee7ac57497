// Cluster tests of the agent's launch queue (--max_concurrent_launches,
// --max_queued_launches): a real Agent and real executor processes against
// FakeMaster, observed through the master's updates, the sandboxes and the
// agent's /metrics.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/checkpoint.hpp"
#include "agent_cluster_fixture.hpp"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using testing::HttpGet;
using testing::MetricValue;

class LaunchQueueClusterTest : public AgentClusterTest {
 protected:
  // An executor script: `body` runs first; it ends by exec'ing `then` (the
  // real agora-executor, or `sleep 100` for one that never subscribes).
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    {
      std::ofstream out(path);
      out << "#!/bin/sh\n" << body << "\n";
    }
    chmod(path.c_str(), 0755);
    return path;
  }

  // One RUN_TASKS carrying `count` command tasks "<prefix>-<i>".
  static MasterMessage Burst(const std::string& prefix, int count, const std::string& command) {
    MasterMessage message = RunCommand(prefix + "-0", command);
    for (int i = 1; i < count; ++i) {
      v1::TaskInfo* task = message.mutable_run_tasks()->add_tasks();
      *task = message.run_tasks().tasks(0);
      task->set_name(prefix + "-" + std::to_string(i));
      task->mutable_task_id()->set_value(prefix + "-" + std::to_string(i));
    }
    return message;
  }

  double Metric(const std::string& series) {
    return MetricValue(HttpGet(agent_->http_port(), "/metrics"), series);
  }

  bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }
  std::string Sandbox(const std::string& task_id) {
    return SandboxPath(dir_ + "/work", "fw-1", task_id);
  }
};

TEST_F(LaunchQueueClusterTest, BurstOfTwentyStartsAtMostTwoExecutorsAtATimeAndAllFinish) {
  AgentOptions options = Options();
  options.http_port = 0;
  options.max_concurrent_launches = 2;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(Burst("burst", 20, "true")));
  for (int i = 0; i < 20; ++i) {
    std::string task_id = "burst-" + std::to_string(i);
    std::vector<v1::TaskStatus> updates = WaitForTerminal(task_id);
    ASSERT_FALSE(updates.empty()) << task_id;
    EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED)
        << task_id << ": " << updates.back().message();
  }
  EXPECT_EQ(Metric("agora_agent_launches_started_total"), 20);
  // The high-water mark of started-but-not-subscribed executors.
  EXPECT_LE(Metric("agora_agent_launches_in_flight_max"), 2);
  EXPECT_GE(Metric("agora_agent_launches_in_flight_max"), 1);
  EXPECT_TRUE(Eventually([&] { return Metric("agora_agent_launches_in_flight") == 0; }));
  EXPECT_EQ(Metric("agora_agent_launches_queued"), 0);
}

TEST_F(LaunchQueueClusterTest, KillOfAQueuedTaskReportsKilledAndStartsNothing) {
  AgentOptions options = Options();
  options.http_port = 0;
  options.max_concurrent_launches = 1;
  options.executor_path = Script("silent-executor", "exec sleep 100");
  options.command_executor = AgentOptions::CommandExecutor::kProcess;  // Never subscribes.
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("holder", "true")));
  ASSERT_TRUE(Eventually([&] { return Exists(Sandbox("holder") + "/latest/stdout"); }));
  ASSERT_TRUE(master_.Send(RunCommand("waiting", "true")));
  ASSERT_TRUE(Eventually([&] { return Metric("agora_agent_launches_queued") == 1; }));
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    EXPECT_TRUE(master_.UpdatesFor("waiting").empty()) << "a queued task stays STAGING";
  }
  ASSERT_TRUE(master_.Send(KillMessage("waiting")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("waiting");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_KILLED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  EXPECT_EQ(updates[0].source(), v1::TaskStatus::SOURCE_AGENT);
  EXPECT_EQ(Metric("agora_agent_launches_queued"), 0);
  EXPECT_EQ(Metric("agora_agent_launches_in_flight"), 1);  // Still the holder.
  EXPECT_EQ(Metric("agora_agent_launches_started_total"), 1);
  EXPECT_FALSE(Exists(Sandbox("waiting"))) << "nothing was started for the killed task";
}

TEST_F(LaunchQueueClusterTest, FullQueueDropsTheTaskNamingTheFlag) {
  AgentOptions options = Options();
  options.http_port = 0;
  options.max_concurrent_launches = 1;
  options.max_queued_launches = 1;
  options.executor_path = Script("silent-executor", "exec sleep 100");
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(Burst("full", 3, "true")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("full-2");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_DROPPED);
  EXPECT_NE(updates[0].message().find("--max_queued_launches"), std::string::npos)
      << updates[0].message();
  EXPECT_EQ(Metric("agora_agent_launches_queued"), 1);
  EXPECT_EQ(Metric("agora_agent_launches_dropped_total"), 1);
  EXPECT_FALSE(Exists(Sandbox("full-2")));
  std::lock_guard<std::mutex> lock(master_.mu());
  EXPECT_TRUE(master_.UpdatesFor("full-1").empty());
}

TEST_F(LaunchQueueClusterTest, QueuedTaskWhoseCheckpointFailedIsDroppedWhenItsTurnComes) {
  AgentOptions options = Options();
  options.max_concurrent_launches = 1;
  options.checkpoint_retry_interval = absl::Milliseconds(100);
  // Never subscribes; records its pid so the test can free the slot.
  options.executor_path = Script("silent-executor", "echo $$ > pid\nexec sleep 100");
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("holder", "true")));
  pid_t holder = SandboxPid("holder", "pid");
  ASSERT_GT(holder, 0);
  // A file where the queued task's checkpoint directory belongs.
  const std::string in_the_way = dir_ + "/work/meta/frameworks/fw-1/executors/waiting";
  { std::ofstream(in_the_way) << "in the way"; }
  ASSERT_TRUE(master_.Send(RunCommand("waiting", "echo ran > ran")));
  ASSERT_TRUE(Eventually([&] { return !agent_->durable(); }));
  // The disk is fine again before the launch's turn comes: the launch is
  // still refused, since its task was never checkpointed.
  std::filesystem::remove(in_the_way);
  ASSERT_TRUE(Eventually([&] { return agent_->durable(); }));
  ASSERT_EQ(kill(holder, SIGKILL), 0);
  std::vector<v1::TaskStatus> updates = WaitForTerminal("waiting");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_DROPPED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(updates[0].message().find("could not checkpoint"), std::string::npos)
      << updates[0].message();
  EXPECT_EQ(WaitForTerminal("holder").back().state(), v1::TASK_FAILED);
  EXPECT_FALSE(Exists(Sandbox("waiting"))) << "nothing was started for the dropped task";
}

TEST_F(LaunchQueueClusterTest, RegistrationTimeoutCountsFromTheStartNotFromTheQueue) {
  AgentOptions options = Options();
  options.max_concurrent_launches = 1;
  // Each executor takes 0.2 s (plus its own start-up) to subscribe, well
  // within its 2 s; the last of ten waits about 2.5 s or more in the queue
  // first, so a timer started at queueing would fail it. A loaded machine
  // slows the start-ups and so lengthens that wait too.
  options.executor_registration_timeout = absl::Seconds(2);
  options.executor_path = Script("slow-executor", "sleep 0.2\nexec " + ExecutorPath());
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(Burst("slow", 10, "true")));
  for (int i = 0; i < 10; ++i) {
    std::string task_id = "slow-" + std::to_string(i);
    std::vector<v1::TaskStatus> updates = WaitForTerminal(task_id);
    ASSERT_FALSE(updates.empty()) << task_id;
    EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED)
        << task_id << ": " << updates.back().message();
  }
}

TEST_F(LaunchQueueClusterTest, QueuedLaunchIsDroppedAfterAnAgentRestartAndNeverRuns) {
  AgentOptions options = Options();
  options.port = FreePort();
  options.max_concurrent_launches = 1;
  options.http_port = 0;
  options.executor_path = Script("silent-executor", "exec sleep 100");
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("holder", "true")));
  ASSERT_TRUE(Eventually([&] { return Exists(Sandbox("holder") + "/latest/stdout"); }));
  ASSERT_TRUE(master_.Send(RunCommand("queued", "true")));
  // The queued task is checkpointed (so the restart knows of it).
  ASSERT_TRUE(Eventually(
      [&] { return Exists(TaskCheckpointPath(dir_ + "/work", "fw-1", "queued", "queued")); }));
  ASSERT_EQ(Metric("agora_agent_launches_queued"), 1);

  agent_->Stop();  // As a crash would.
  agent_.reset();
  options.http_port = -1;
  auto restarted = Agent::Start(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  agent_ = std::move(*restarted);
  std::vector<v1::TaskStatus> updates = WaitForTerminal("queued");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_DROPPED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_AGENT_RESTARTED);
  EXPECT_NE(updates[0].message().find("never ran"), std::string::npos) << updates[0].message();
  EXPECT_FALSE(Exists(Sandbox("queued")));
  std::lock_guard<std::mutex> lock(master_.mu());
  EXPECT_TRUE(master_.UpdatesFor("holder").empty()) << "the started executor is recovered";
}

}  // namespace
}  // namespace agora::agent
