// Cluster tests of the agent: a real Agent launching real agora-executor
// processes against FakeMaster over loopback gRPC.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"
#include "agent_cluster_fixture.hpp"
#include "common/task_state.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {

using internal::AgentMessage;
using internal::MasterMessage;

TEST_F(AgentClusterTest, RegistersWithResourcesAndAttributes) {
  StartAgent(Options());
  EXPECT_EQ(agent_->agent_id(), "agent-1");
  std::lock_guard<std::mutex> lock(master_.mu());
  const AgentMessage& first = master_.registrations().front();
  ASSERT_EQ(first.type(), AgentMessage::REGISTER);
  const v1::AgentInfo& info = first.register_().agent_info();
  EXPECT_TRUE(info.id().value().empty());
  EXPECT_EQ(info.address(), agent_->address());
  EXPECT_EQ(info.attributes_size(), 2);
  EXPECT_GT(info.resources_size(), 0);
}

// Link batches: the agent announces ACKNOWLEDGEMENTS and applies each entry
// as one ACKNOWLEDGE (the task's next update goes out only once the head is
// acknowledged); with link_batches off it announces nothing.
TEST_F(AgentClusterTest, AnnouncesAcknowledgementBatchesAndAppliesTheirEntries) {
  master_.set_auto_ack(false);
  StartAgent(Options());
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    EXPECT_TRUE(master_.registrations().front().register_().accepts_acknowledgement_batches());
  }
  ASSERT_TRUE(master_.Send(RunCommand("batched", "sleep 100")));
  std::string uuid;
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("batched"))
      if (update.state() == v1::TASK_RUNNING) uuid = update.uuid();
    return !uuid.empty();
  }));
  ASSERT_TRUE(master_.Send(KillMessage("batched")));
  MasterMessage acks;
  acks.set_type(MasterMessage::ACKNOWLEDGEMENTS);
  for (const std::string& id : {std::string("unknown-task"), std::string("batched")}) {
    auto* ack = acks.add_acknowledgements();
    ack->mutable_framework_id()->set_value("fw-1");
    ack->mutable_task_id()->set_value(id);
    ack->set_uuid(uuid);
  }
  ASSERT_TRUE(master_.Send(acks));
  // The KILLED update follows only because the RUNNING entry was applied.
  EXPECT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("batched"))
      if (update.state() == v1::TASK_KILLED) return true;
    return false;
  }));
}

TEST_F(AgentClusterTest, AnAgentWithoutLinkBatchesDoesNotAnnounceThem) {
  AgentOptions options = Options();
  options.link_batches = false;
  StartAgent(options);
  std::lock_guard<std::mutex> lock(master_.mu());
  EXPECT_FALSE(master_.registrations().front().register_().accepts_acknowledgement_batches());
}

TEST_F(AgentClusterTest, ServesHealthAndMetrics) {
  AgentOptions options = Options();
  options.http_port = 0;
  StartAgent(options);
  ASSERT_GT(agent_->http_port(), 0);
  auto get = [&](const std::string& path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(agent_->http_port()));
    std::string response;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
      (void)!write(fd, request.data(), request.size());
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
    close(fd);
    return response;
  };
  EXPECT_NE(get("/health").find("200 OK"), std::string::npos);
  std::string metrics = get("/metrics");
  EXPECT_NE(metrics.find("agora_agent_registered 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("agora_agent_executors_launched_total 0"), std::string::npos) << metrics;
}

TEST_F(AgentClusterTest, EchoHelloFinishesWithOutputInSandbox) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("echo-1", "echo hello")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("echo-1");
  EXPECT_EQ(States(updates), (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED}))
      << "executor stderr:\n"
      << ReadWholeFile(dir_ + "/work/sandboxes/fw-1/echo-1/latest/stderr");
  for (const auto& update : updates) {
    EXPECT_EQ(update.uuid().size(), 16u);
    EXPECT_EQ(update.agent_id().value(), "agent-1");
    EXPECT_EQ(update.executor_id().value(), "echo-1");
  }
  std::string out = ReadWholeFile(dir_ + "/work/sandboxes/fw-1/echo-1/latest/stdout");
  EXPECT_NE(out.find("hello"), std::string::npos) << out;
  // Finished, acknowledged and exited: its checkpoints are collected.
  EXPECT_TRUE(Eventually([&] {
    return !std::filesystem::exists(dir_ + "/work/meta/frameworks/fw-1/executors/echo-1");
  })) <<
      [&] {
        std::string listing;
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(dir_ + "/work/meta/frameworks"))
          listing += entry.path().string() + "\n";
        return listing;
      }();
}

TEST_F(AgentClusterTest, NonZeroExitFailsWithStatus) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("exit-3", "exit 3")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("exit-3");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_TRUE(last.has_exit_status());
  EXPECT_TRUE(WIFEXITED(last.exit_status()));
  EXPECT_EQ(WEXITSTATUS(last.exit_status()), 3);
  EXPECT_EQ(last.message(), "Command exited with status 3");
  EXPECT_EQ(last.source(), v1::TaskStatus::SOURCE_EXECUTOR);
}

TEST_F(AgentClusterTest, KillStopsTheProcessAndReportsKilled) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("sleeper", "echo $$ > pid; exec sleep 100")));
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("sleeper"))
      if (update.state() == v1::TASK_RUNNING) return true;
    return false;
  }));
  std::string pid_file = dir_ + "/work/sandboxes/fw-1/sleeper/latest/pid";
  ASSERT_TRUE(Eventually([&] { return !ReadWholeFile(pid_file).empty(); }));
  pid_t pid = std::atoi(ReadWholeFile(pid_file).c_str());
  ASSERT_GT(pid, 0);
  EXPECT_EQ(kill(pid, 0), 0);

  MasterMessage kill_message;
  kill_message.set_type(MasterMessage::KILL_TASK);
  kill_message.mutable_kill_task()->mutable_framework_id()->set_value("fw-1");
  kill_message.mutable_kill_task()->mutable_task_id()->set_value("sleeper");
  ASSERT_TRUE(master_.Send(kill_message));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("sleeper");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }));
}

TEST_F(AgentClusterTest, ReregistersWithTasksAfterTheStreamBreaks) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("long", "sleep 100")));
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("long"))
      if (update.state() == v1::TASK_RUNNING) return true;
    return false;
  }));
  master_.BreakStream();
  ASSERT_TRUE(master_.WaitFor([&] { return master_.registrations().size() >= 2; }));
  std::lock_guard<std::mutex> lock(master_.mu());
  const AgentMessage& again = master_.registrations().back();
  ASSERT_EQ(again.type(), AgentMessage::REREGISTER);
  EXPECT_EQ(again.reregister().agent_info().id().value(), "agent-1");
  ASSERT_EQ(again.reregister().tasks_size(), 1);
  EXPECT_EQ(again.reregister().tasks(0).task_id().value(), "long");
  EXPECT_EQ(again.reregister().tasks(0).state(), v1::TASK_RUNNING);
  ASSERT_EQ(again.reregister().frameworks_size(), 1);
  EXPECT_EQ(again.reregister().frameworks(0).info().id().value(), "fw-1");
}

TEST_F(AgentClusterTest, RestartedAgentReregistersWithCheckpointedId) {
  StartAgent(Options());
  agent_->Stop();
  agent_.reset();
  auto agent = Agent::Start(Options());
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = std::move(*agent);
  EXPECT_EQ(agent_->agent_id(), "agent-1");
  ASSERT_TRUE(master_.WaitFor([&] { return master_.registrations().size() >= 2; }));
  std::lock_guard<std::mutex> lock(master_.mu());
  EXPECT_EQ(master_.registrations().back().type(), AgentMessage::REREGISTER);
}

TEST_F(AgentClusterTest, TaskSurvivesAgentRestartAndIsKilledAfterwards) {
  AgentOptions options = Options();
  options.port = FreePort();
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("survivor", "echo $$ > pid; exec sleep 100")));
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("survivor"))
      if (update.state() == v1::TASK_RUNNING) return true;
    return false;
  }));
  std::string pid_file = dir_ + "/work/sandboxes/fw-1/survivor/latest/pid";
  ASSERT_TRUE(Eventually([&] { return !ReadWholeFile(pid_file).empty(); }));
  pid_t pid = std::atoi(ReadWholeFile(pid_file).c_str());

  agent_->Stop();  // As a crash would: the executor keeps running.
  agent_.reset();
  EXPECT_EQ(kill(pid, 0), 0);
  auto restarted = Agent::Start(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  agent_ = std::move(*restarted);
  ASSERT_TRUE(master_.WaitFor([&] { return master_.registrations().size() >= 2; }));
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    const AgentMessage& again = master_.registrations().back();
    ASSERT_EQ(again.type(), AgentMessage::REREGISTER);
    ASSERT_EQ(again.reregister().tasks_size(), 1);
    EXPECT_EQ(again.reregister().tasks(0).task_id().value(), "survivor");
    EXPECT_EQ(again.reregister().tasks(0).state(), v1::TASK_RUNNING);
  }
  MasterMessage kill_message;
  kill_message.set_type(MasterMessage::KILL_TASK);
  kill_message.mutable_kill_task()->mutable_framework_id()->set_value("fw-1");
  kill_message.mutable_kill_task()->mutable_task_id()->set_value("survivor");
  // Whether the kill lands before the executor's re-subscription (answered
  // by the agent, which kills the process tree) or after (through the
  // executor), the task ends KILLED and its process is gone.
  ASSERT_TRUE(master_.Send(kill_message));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("survivor");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }));
}

TEST_F(AgentClusterTest, SecondAgentOnTheSamePortIsRefused) {
  AgentOptions options = Options();
  options.port = FreePort();
  StartAgent(options);
  options.work_dir = dir_ + "/other";
  auto second = Agent::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("--port"), absl::string_view::npos);
}

TEST(AgentStartTest, InvalidOptionsAreRejectedNamingTheFlag) {
  AgentOptions options;
  options.master = "127.0.0.1:1";
  auto agent = Agent::Start(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(agent.status()));
  EXPECT_NE(agent.status().message().find("--work_dir"), absl::string_view::npos);
}

TEST_F(AgentClusterTest, ExecutorThatNeverSubscribesTimesOut) {
  std::string script = dir_ + "/silent-executor";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nexec sleep 100\n";
  }
  chmod(script.c_str(), 0755);
  AgentOptions options = Options();
  options.executor_path = script;
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  options.executor_registration_timeout = absl::Milliseconds(300);
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("silent", "true")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("silent");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
  EXPECT_EQ(updates[0].source(), v1::TaskStatus::SOURCE_AGENT);
}

TEST_F(AgentClusterTest, KillBeforeSubscriptionReportsKilledDirectly) {
  std::string script = dir_ + "/slow-executor";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\nexec sleep 100\n";
  }
  chmod(script.c_str(), 0755);
  AgentOptions options = Options();
  options.executor_path = script;
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("early", "true")));
  std::string sandbox = dir_ + "/work/sandboxes/fw-1/early/latest";
  ASSERT_TRUE(Eventually([&] { return access((sandbox + "/stdout").c_str(), F_OK) == 0; }));
  MasterMessage kill_message;
  kill_message.set_type(MasterMessage::KILL_TASK);
  kill_message.mutable_kill_task()->mutable_framework_id()->set_value("fw-1");
  kill_message.mutable_kill_task()->mutable_task_id()->set_value("early");
  ASSERT_TRUE(master_.Send(kill_message));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("early");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_KILLED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  // The executor left with nothing to run is killed and reported.
  EXPECT_TRUE(master_.WaitFor([&] {
    for (const auto& message : master_.messages())
      if (message.type() == AgentMessage::EXECUTOR_EXITED) return true;
    return false;
  }));
}

TEST_F(AgentClusterTest, ShutdownExecutorKillsItsTask) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("victim", "echo $$ > pid; exec sleep 100")));
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("victim"))
      if (update.state() == v1::TASK_RUNNING) return true;
    return false;
  }));
  std::string pid_file = dir_ + "/work/sandboxes/fw-1/victim/latest/pid";
  ASSERT_TRUE(Eventually([&] { return !ReadWholeFile(pid_file).empty(); }));
  pid_t pid = std::atoi(ReadWholeFile(pid_file).c_str());
  MasterMessage shutdown;
  shutdown.set_type(MasterMessage::SHUTDOWN_FRAMEWORK);
  shutdown.mutable_shutdown_framework()->mutable_framework_id()->set_value("fw-1");
  ASSERT_TRUE(master_.Send(shutdown));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("victim");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }));
}

TEST_F(AgentClusterTest, ExecutorExitReportsUnfinishedTasksFailed) {
  AgentOptions options = Options();
  options.executor_path = "/bin/true";
  options.command_executor = AgentOptions::CommandExecutor::kProcess;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("orphan", "true")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("orphan");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(updates[0].source(), v1::TaskStatus::SOURCE_AGENT);
}

TEST_F(AgentClusterTest, UnacknowledgedUpdatesAreRetried) {
  master_.set_auto_ack(false);
  AgentOptions options = Options();
  options.http_port = 0;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("retry", "true")));
  // Without acknowledgements only the head (RUNNING) is forwarded, again
  // and again.
  ASSERT_TRUE(master_.WaitFor([&] {
    int starting = 0;
    for (const auto& message : master_.messages())
      if (message.type() == AgentMessage::STATUS_UPDATE &&
          message.status_update().status().task_id().value() == "retry")
        starting++;
    return starting >= 3;
  }));
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    std::vector<v1::TaskStatus> updates = master_.UpdatesFor("retry");
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_EQ(updates[0].state(), v1::TASK_RUNNING);
  }
  // Every update of the task is in the journal on disk (written before it
  // was forwarded), none acknowledged.
  ASSERT_TRUE(Eventually([&] {
    auto records = JournalRecords(dir_ + "/work", "retry");
    return records.ok() && records->size() == 2;
  }));
  auto records = JournalRecords(dir_ + "/work", "retry");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)[0].status().state(), v1::TASK_RUNNING);
  EXPECT_EQ((*records)[1].status().state(), v1::TASK_FINISHED);
  for (const auto& record : *records)
    EXPECT_EQ(record.type(), internal::StatusUpdateRecord::UPDATE);
  // The forwarded counter counts every send, retries included (what the
  // update-amplification benchmark compares with the real updates).
  EXPECT_TRUE(Eventually([&] {
    std::string metrics = testing::HttpGet(agent_->http_port(), "/metrics");
    int sent = 0;
    {
      std::lock_guard<std::mutex> lock(master_.mu());
      for (const auto& message : master_.messages())
        sent += message.type() == AgentMessage::STATUS_UPDATE ? 1 : 0;
    }
    return testing::MetricValue(metrics, "agora_agent_status_updates_forwarded_total") == sent;
  }));
}

}  // namespace
}  // namespace agora::agent
