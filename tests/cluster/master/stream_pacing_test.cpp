// Stream pacing through a real in-process master: bursts larger than an
// agent stream's read-ahead window (64 messages posted to the loop and not
// yet handled) and than one write at a time, in both directions, arrive
// whole and in order; with the agent link's batches (STATUS_UPDATES in,
// ACKNOWLEDGEMENTS out) as with single messages, and malformed batches are
// refused entry by entry.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/link_batches.hpp"
#include "common/resources.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"
#include "tests/support/http_get.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;

constexpr int kTasks = 300;

class StreamPacingTest : public StandaloneMasterTest {
 protected:
  void SetUp() override { StartMaster(); }

  static std::string TaskId(int i) { return "t" + std::to_string(i); }

  // A counter on the master's /metrics; -1 when missing.
  double Metric(const char* name) {
    const std::string metrics = agora::testing::HttpGet(master_->http_port(), "/metrics");
    size_t at = metrics.find(std::string("\n") + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + 2 + std::strlen(name)));
  }

  static v1::FrameworkInfo Framework(const std::string& name) {
    v1::FrameworkInfo info;
    info.set_name(name);
    info.set_user("nobody");
    info.add_roles("*");
    return info;
  }

  static internal::AgentMessage::StatusUpdate Update(const std::string& framework_id,
                                                     const std::string& task_id,
                                                     v1::TaskState state, const std::string& uuid) {
    internal::AgentMessage::StatusUpdate update;
    update.mutable_framework_id()->set_value(framework_id);
    update.mutable_status()->mutable_task_id()->set_value(task_id);
    update.mutable_status()->set_state(state);
    update.mutable_status()->set_uuid(uuid);
    update.mutable_status()->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    update.set_latest_state(state);
    return update;
  }

  static std::vector<std::string> UpdateUuids(SchedulerClient* scheduler) {
    std::vector<std::string> uuids;
    for (const v1::Event& event : scheduler->events.All())
      if (event.type() == v1::Event::UPDATE) uuids.push_back(event.update().status().uuid());
    return uuids;
  }

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
  EXPECT_EQ(Metric("agora_master_agent_updates_total"), 2 * kTasks);
  EXPECT_EQ(Metric("agora_master_agent_update_batches_total"), 0);
}

TEST_F(StreamPacingTest, AnAgentsBatchesOfUpdatesReachTheSchedulerWholeAndInOrder) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Resources::Parse("cpus:64;mem:4096")->ToProto()).empty());
  // The master announces that it takes STATUS_UPDATES.
  EXPECT_TRUE(agent.messages.At(0).registered().accepts_status_update_batches());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe([] { return Framework("pacing-batches"); }()));
  LaunchAll(&scheduler, &agent);
  const std::string framework_id = scheduler.header.framework_id().value();

  // 600 updates in 6 messages of 100.
  const size_t mark = scheduler.events.size();
  std::vector<std::string> expected;
  internal::AgentMessage batch;
  batch.set_type(internal::AgentMessage::STATUS_UPDATES);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kTasks; ++i) {
      const std::string uuid = (round == 0 ? "run-" : "fin-") + std::to_string(i);
      *batch.add_status_updates() =
          Update(framework_id, TaskId(i), round == 0 ? v1::TASK_RUNNING : v1::TASK_FINISHED, uuid);
      expected.push_back(uuid);
      if (batch.status_updates_size() == 100) {
        agent.Send(batch);
        batch.clear_status_updates();
      }
    }
  }
  ASSERT_GE(scheduler.WaitForUpdate(TaskId(kTasks - 1), v1::TASK_FINISHED, mark), 0);
  EXPECT_EQ(UpdateUuids(&scheduler), expected);
  EXPECT_EQ(Metric("agora_master_agent_updates_total"), 2 * kTasks);
  EXPECT_EQ(Metric("agora_master_agent_update_batches_total"), 6);
  EXPECT_EQ(Metric("agora_master_agent_updates_refused_total"), 0);
}

TEST_F(StreamPacingTest, ABatchsMalformedEntriesAreRefusedByIndexAndTheOthersApply) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Resources::Parse("cpus:64;mem:4096")->ToProto()).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe([] { return Framework("pacing-malformed"); }()));
  LaunchAll(&scheduler, &agent);
  const std::string framework_id = scheduler.header.framework_id().value();

  // An empty batch and one over the bound are refused whole; the stream
  // stays open.
  internal::AgentMessage empty;
  empty.set_type(internal::AgentMessage::STATUS_UPDATES);
  agent.Send(empty);
  internal::AgentMessage oversized = empty;
  for (int i = 0; i <= kMaxLinkBatchEntries; ++i)
    *oversized.add_status_updates() =
        Update(framework_id, TaskId(0), v1::TASK_RUNNING, "over-" + std::to_string(i));
  agent.Send(oversized);

  // Entries 1 (no task id) and 3 (no state) are refused; 0, 2 and 4 apply.
  internal::AgentMessage batch = empty;
  for (int i = 0; i < 5; ++i)
    *batch.add_status_updates() =
        Update(framework_id, TaskId(i), v1::TASK_RUNNING, "run-" + std::to_string(i));
  batch.mutable_status_updates(1)->mutable_status()->clear_task_id();
  batch.mutable_status_updates(3)->mutable_status()->set_state(v1::TASK_STATE_UNSPECIFIED);
  agent.Send(batch);
  ASSERT_GE(scheduler.WaitForUpdate(TaskId(4), v1::TASK_RUNNING), 0);
  EXPECT_EQ(UpdateUuids(&scheduler), std::vector<std::string>({"run-0", "run-2", "run-4"}));
  EXPECT_EQ(Metric("agora_master_agent_updates_refused_total"), 1 + kMaxLinkBatchEntries + 1 + 2);
  EXPECT_EQ(Metric("agora_master_agent_updates_total"), 5);
  EXPECT_EQ(Metric("agora_master_agent_update_batches_total"), 3);
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
  // This agent did not announce ACKNOWLEDGEMENTS: it never gets one.
  for (const auto& message : agent.messages.All())
    EXPECT_NE(message.type(), internal::MasterMessage::ACKNOWLEDGEMENTS);
}

TEST_F(StreamPacingTest, AnAgentThatTakesBatchesGetsTheBurstOfAcknowledgementsInFewerMessages) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Resources::Parse("cpus:64;mem:4096")->ToProto(), /*ack_batches=*/true)
                   .empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe([] { return Framework("pacing-ack-batches"); }()));
  LaunchAll(&scheduler, &agent);
  const std::string framework_id = scheduler.header.framework_id().value();
  for (int i = 0; i < kTasks; ++i)
    agent.SendStatus(framework_id, TaskId(i), v1::TASK_RUNNING, "run-" + std::to_string(i));
  ASSERT_GE(scheduler.WaitForUpdate(TaskId(kTasks - 1), v1::TASK_RUNNING), 0);

  v1::AcknowledgeRequest request;
  for (int i = 0; i < kTasks; ++i) {
    auto* ack = request.add_acknowledgements();
    ack->mutable_agent_id()->set_value(agent.agent_id);
    ack->mutable_task_id()->set_value(TaskId(i));
    ack->set_uuid("run-" + std::to_string(i));
  }
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Acknowledge, request).ok());
  const std::string last = "run-" + std::to_string(kTasks - 1);
  ASSERT_GE(agent.messages.WaitFor([&](const internal::MasterMessage& m) {
    if (m.type() == internal::MasterMessage::ACKNOWLEDGE) return m.acknowledge().uuid() == last;
    return m.type() == internal::MasterMessage::ACKNOWLEDGEMENTS &&
           m.acknowledgements(m.acknowledgements_size() - 1).uuid() == last;
  }),
            0);
  std::vector<std::string> relayed;
  int messages = 0;
  for (const auto& message : agent.messages.All()) {
    if (message.type() == internal::MasterMessage::ACKNOWLEDGE) {
      ++messages;
      relayed.push_back(message.acknowledge().uuid());
    } else if (message.type() == internal::MasterMessage::ACKNOWLEDGEMENTS) {
      ++messages;
      EXPECT_GE(message.acknowledgements_size(), 1);
      for (const auto& ack : message.acknowledgements()) {
        EXPECT_EQ(ack.framework_id().value(), framework_id);
        relayed.push_back(ack.uuid());
      }
    }
  }
  ASSERT_EQ(relayed.size(), static_cast<size_t>(kTasks));
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(relayed[i], "run-" + std::to_string(i));
  // The first is written at once; what queued behind it leaves merged.
  EXPECT_LT(messages, kTasks);
}

}  // namespace
}  // namespace agora::master
