// Stream pacing through a real in-process master: bursts larger than an
// agent stream's read-ahead window (64 messages posted to the loop and not
// yet handled) and than one write at a time, in both directions, arrive
// whole and in order.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/resources.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;

constexpr int kTasks = 300;

class StreamPacingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("agora-stream-pacing-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    MasterOptions options;
    options.work_dir = dir_.string();
    options.port = 0;
    options.http_port = 0;
    options.allocation_interval = absl::Milliseconds(20);
    auto master = Master::Start(options);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
  }
  void TearDown() override {
    master_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::string TaskId(int i) { return "t" + std::to_string(i); }

  // Launches kTasks tasks on `agent` in one Accept; waits until the agent
  // was told to run them all.
  void LaunchAll(SchedulerClient* scheduler, FakeAgentClient* agent) {
    v1::Offer offer;
    size_t from = 0;
    ASSERT_TRUE(scheduler->NextOffer(&offer, &from));
    v1::AcceptRequest accept;
    *accept.add_offer_ids() = offer.id();
    auto* op = accept.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (int i = 0; i < kTasks; ++i) {
      v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
      task->set_name(TaskId(i));
      task->mutable_task_id()->set_value(TaskId(i));
      *task->mutable_resources() = Resources::Parse("cpus:0.1;mem:1")->ToProto();
      task->mutable_command()->set_value("true");
    }
    ASSERT_TRUE(scheduler->Call(&v1::Scheduler::Stub::Accept, accept).ok());
    int told = 0;
    for (const auto& message : agent->messages.All())
      if (message.type() == internal::MasterMessage::RUN_TASKS)
        told += message.run_tasks().tasks_size();
    for (size_t from_message = 0; told < kTasks;) {
      int i = agent->messages.WaitFor(
          [](const internal::MasterMessage& m) {
            return m.type() == internal::MasterMessage::RUN_TASKS;
          },
          from_message);
      ASSERT_GE(i, 0) << "the agent was told to run " << told << " of " << kTasks << " tasks";
      told += agent->messages.At(i).run_tasks().tasks_size();
      from_message = i + 1;
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<Master> master_;
};

TEST_F(StreamPacingTest, AnAgentsBurstOfUpdatesReachesTheSchedulerWholeAndInOrder) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Resources::Parse("cpus:64;mem:4096")->ToProto()).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe([] {
    v1::FrameworkInfo info;
    info.set_name("pacing");
    info.set_user("nobody");
    info.add_roles("*");
    return info;
  }()));
  LaunchAll(&scheduler, &agent);
  const std::string framework_id = scheduler.header.framework_id().value();

  // Two updates per task back to back, without waiting for anything: 600
  // messages on one agent stream, relayed on one framework stream.
  const size_t mark = scheduler.events.size();
  for (int i = 0; i < kTasks; ++i)
    agent.SendStatus(framework_id, TaskId(i), v1::TASK_RUNNING, "run-" + std::to_string(i));
  for (int i = 0; i < kTasks; ++i)
    agent.SendStatus(framework_id, TaskId(i), v1::TASK_FINISHED, "fin-" + std::to_string(i));
  ASSERT_GE(scheduler.WaitForUpdate(TaskId(kTasks - 1), v1::TASK_FINISHED, mark), 0);

  std::vector<std::string> uuids;
  for (const v1::Event& event : scheduler.events.All())
    if (event.type() == v1::Event::UPDATE) uuids.push_back(event.update().status().uuid());
  std::vector<std::string> expected;
  for (int i = 0; i < kTasks; ++i) expected.push_back("run-" + std::to_string(i));
  for (int i = 0; i < kTasks; ++i) expected.push_back("fin-" + std::to_string(i));
  EXPECT_EQ(uuids, expected);
}

TEST_F(StreamPacingTest, TheMasterRelaysABurstOfAcknowledgementsToTheAgentInOrder) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Resources::Parse("cpus:64;mem:4096")->ToProto()).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe([] {
    v1::FrameworkInfo info;
    info.set_name("pacing-acks");
    info.set_user("nobody");
    info.add_roles("*");
    return info;
  }()));
  LaunchAll(&scheduler, &agent);
  const std::string framework_id = scheduler.header.framework_id().value();
  for (int i = 0; i < kTasks; ++i)
    agent.SendStatus(framework_id, TaskId(i), v1::TASK_RUNNING, "run-" + std::to_string(i));
  ASSERT_GE(scheduler.WaitForUpdate(TaskId(kTasks - 1), v1::TASK_RUNNING), 0);

  // One call acknowledges them all: the master writes kTasks messages to
  // the agent's stream at once.
  v1::AcknowledgeRequest batch;
  for (int i = 0; i < kTasks; ++i) {
    auto* ack = batch.add_acknowledgements();
    ack->mutable_agent_id()->set_value(agent.agent_id);
    ack->mutable_task_id()->set_value(TaskId(i));
    ack->set_uuid("run-" + std::to_string(i));
  }
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Acknowledge, batch).ok());
  ASSERT_GE(agent.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::ACKNOWLEDGE &&
           m.acknowledge().uuid() == "run-" + std::to_string(kTasks - 1);
  }),
            0);
  std::vector<std::string> relayed;
  for (const auto& message : agent.messages.All())
    if (message.type() == internal::MasterMessage::ACKNOWLEDGE)
      relayed.push_back(message.acknowledge().uuid());
  ASSERT_EQ(relayed.size(), static_cast<size_t>(kTasks));
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(relayed[i], "run-" + std::to_string(i));
}

}  // namespace
}  // namespace agora::master
