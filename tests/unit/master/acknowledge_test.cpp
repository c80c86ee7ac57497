// Batched acknowledgements on MasterCore (MasterHarness): each entry is
// applied exactly as a single Acknowledge, one malformed entry refuses the
// whole call, naming the entry, and an entry naming an unknown agent or task
// is skipped with NOT_FOUND naming it while the others are applied. Also:
// what a status update forwards (its status moves into the event) and what
// the task's record keeps are the same status, with the agent's id.
#include "common/validation.hpp"
#include "gtest/gtest.h"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

class AcknowledgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    framework_ = h_.Subscribe(MasterHarness::FrameworkInfo("batch"));
    a_ = h_.RegisterAgent("host-a");
    b_ = h_.RegisterAgent("host-b");
    h_.Launch(framework_, a_, "t1");
    h_.Launch(framework_, b_, "t2");
    h_.SendUpdate(a_, framework_.framework_id, "t1", v1::TASK_RUNNING, "u1");
    h_.SendUpdate(b_, framework_.framework_id, "t2", v1::TASK_RUNNING, "u2");
    h_.loop().RunUntilIdle();
  }

  static void Add(v1::AcknowledgeRequest* request, const std::string& agent_id,
                  const std::string& task_id, const std::string& uuid) {
    auto* ack = request->add_acknowledgements();
    ack->mutable_agent_id()->set_value(agent_id);
    ack->mutable_task_id()->set_value(task_id);
    ack->set_uuid(uuid);
  }
  absl::Status Call(const v1::AcknowledgeRequest& request) {
    absl::Status status = h_.core().Acknowledge(request);
    h_.loop().RunUntilIdle();
    return status;
  }
  static std::vector<std::string> AckedUuids(const MasterHarness::AgentConn& agent) {
    std::vector<std::string> uuids;
    for (const auto& message : agent.sink->OfType(internal::MasterMessage::ACKNOWLEDGE)) {
      uuids.push_back(message.acknowledge().uuid());
    }
    return uuids;
  }

  MasterHarness h_;
  MasterHarness::Scheduler framework_;
  MasterHarness::AgentConn a_;
  MasterHarness::AgentConn b_;
};

TEST_F(AcknowledgeTest, EachEntryOfABatchIsRelayedToItsAgent) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  Add(&request, a_.agent_id, "t1", "u1");
  Add(&request, b_.agent_id, "t2", "u2");
  ASSERT_TRUE(Call(request).ok());
  EXPECT_EQ(AckedUuids(a_), std::vector<std::string>{"u1"});
  EXPECT_EQ(AckedUuids(b_), std::vector<std::string>{"u2"});
  MasterCounters counters = h_.core().Metrics().counters;
  EXPECT_EQ(counters.acknowledgements, 2u);
  EXPECT_EQ(counters.messages["scheduler_acknowledge"], 1u);

  // Applied like a single ack: the agent re-sending u1 gets the ack again
  // and the framework does not see the update twice.
  size_t updates = framework_.sink->UpdatesFor("t1").size();
  h_.SendUpdate(a_, framework_.framework_id, "t1", v1::TASK_RUNNING, "u1");
  h_.loop().RunUntilIdle();
  EXPECT_EQ(AckedUuids(a_), (std::vector<std::string>{"u1", "u1"}));
  EXPECT_EQ(framework_.sink->UpdatesFor("t1").size(), updates);
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements_relayed_again, 1u);
}

TEST_F(AcknowledgeTest, SingleFormAndListTogetherApplyBoth) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  request.mutable_agent_id()->set_value(a_.agent_id);
  request.mutable_task_id()->set_value("t1");
  request.set_uuid("u1");
  Add(&request, b_.agent_id, "t2", "u2");
  ASSERT_TRUE(Call(request).ok());
  EXPECT_EQ(AckedUuids(a_), std::vector<std::string>{"u1"});
  EXPECT_EQ(AckedUuids(b_), std::vector<std::string>{"u2"});
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements, 2u);
}

TEST_F(AcknowledgeTest, OneInvalidEntryRefusesTheWholeCallNamingTheEntry) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  Add(&request, a_.agent_id, "t1", "u1");
  Add(&request, b_.agent_id, "", "u2");
  absl::Status status = Call(request);
  ASSERT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(ViolatedField(status), "acknowledgements[1].task_id");
  // Nothing applied, not even the valid first entry.
  EXPECT_TRUE(AckedUuids(a_).empty());
  EXPECT_TRUE(AckedUuids(b_).empty());
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements, 0u);

  request.mutable_acknowledgements(1)->mutable_task_id()->set_value("t2");
  request.mutable_acknowledgements(1)->clear_uuid();
  status = Call(request);
  EXPECT_EQ(ViolatedField(status), "acknowledgements[1].uuid") << status;
  request.mutable_acknowledgements(0)->mutable_agent_id()->clear_value();
  status = Call(request);
  EXPECT_EQ(ViolatedField(status), "acknowledgements[0].agent_id") << status;
  EXPECT_TRUE(AckedUuids(a_).empty());
}

TEST_F(AcknowledgeTest, AnEmptyRequestFailsAsTheSingleFormAlwaysDid) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  absl::Status status = Call(request);
  ASSERT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(ViolatedField(status), "agent_id");
}

TEST_F(AcknowledgeTest, TooManyEntriesAreRefused) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  for (int i = 0; i < 10001; ++i) Add(&request, a_.agent_id, "t1", "u" + std::to_string(i));
  absl::Status status = Call(request);
  ASSERT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(ViolatedField(status), "acknowledgements");
  EXPECT_TRUE(AckedUuids(a_).empty());
}

TEST_F(AcknowledgeTest, AnUnknownAgentOrTaskIsNotFoundNamingTheField) {
  absl::Status status = h_.Acknowledge(framework_, "agent-never-seen", "t1", "u1");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "agent_id");
  status = h_.Acknowledge(framework_, a_.agent_id, "no-such-task", "u1");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "task_id");
  // Another framework's task is not this framework's to acknowledge.
  auto other = h_.Subscribe(MasterHarness::FrameworkInfo("other"));
  status = h_.Acknowledge(other, a_.agent_id, "t1", "u1");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_TRUE(AckedUuids(a_).empty());
  MasterCounters counters = h_.core().Metrics().counters;
  EXPECT_EQ(counters.acknowledgements, 0u);
  EXPECT_EQ(counters.acknowledgements_unknown, 3u);
  // Nothing was remembered for the unknown task either.
  status = h_.Acknowledge(framework_, a_.agent_id, "no-such-task", "u1");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
}

TEST_F(AcknowledgeTest, ABatchAppliesTheKnownEntriesAndNamesTheFirstUnknownOne) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = framework_.header();
  Add(&request, a_.agent_id, "t1", "u1");
  Add(&request, b_.agent_id, "no-such-task", "x");
  Add(&request, "agent-never-seen", "t2", "u2");
  Add(&request, b_.agent_id, "t2", "u2");
  absl::Status status = Call(request);
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "acknowledgements[1].task_id");
  EXPECT_EQ(AckedUuids(a_), std::vector<std::string>{"u1"});
  EXPECT_EQ(AckedUuids(b_), std::vector<std::string>{"u2"});
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements, 2u);
  EXPECT_EQ(h_.core().Metrics().counters.acknowledgements_unknown, 2u);
}

TEST_F(AcknowledgeTest, RepeatingTheAcknowledgementOfACompletedTaskIsOk) {
  h_.SendUpdate(a_, framework_.framework_id, "t1", v1::TASK_FINISHED, "u-fin");
  ASSERT_TRUE(h_.Acknowledge(framework_, a_.agent_id, "t1", "u-fin").ok());
  ASSERT_EQ(h_.core().GetTasks(v1::GetTasksRequest())->tasks_size(), 1);  // Only t2 active.
  // A retry after a lost reply: the task is in the completed history.
  EXPECT_TRUE(h_.Acknowledge(framework_, a_.agent_id, "t1", "u-fin").ok());
  EXPECT_EQ(AckedUuids(a_), (std::vector<std::string>{"u-fin", "u-fin"}));
}

TEST(AcknowledgeGoneAgentTest, AnAgentMarkedGoneIsNotFound) {
  MasterHarness h;
  auto agent = h.RegisterAgent("host-a");
  // Marked gone in the registry (as an operator would) and recovered so.
  for (auto& record : *h.registry().durable.mutable_agents()) {
    record.set_status(internal::AgentRecord::GONE);
  }
  ASSERT_TRUE(h.Restart().ok());
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  absl::Status status = h.Acknowledge(framework, agent.agent_id, "t1", "u1");
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "agent_id");
  EXPECT_NE(status.message().find("gone"), std::string::npos) << status;
}

// The status an agent reports reaches the framework whole, with the id of
// the agent that sent it (whatever the agent wrote there), and the task's
// record keeps the same status; each entry of a STATUS_UPDATES batch too.
TEST(StatusUpdateForwardTest, FrameworkAndRecordGetTheSameStatusWithTheSendersAgentId) {
  MasterHarness h;
  MasterHarness::Scheduler framework = h.Subscribe(MasterHarness::FrameworkInfo("forward"));
  MasterHarness::AgentConn agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");
  internal::AgentMessage batch;
  batch.set_type(internal::AgentMessage::STATUS_UPDATES);
  for (const v1::TaskState state : {v1::TASK_RUNNING, v1::TASK_FINISHED}) {
    const std::string name = v1::TaskState_Name(state);
    auto* update = batch.add_status_updates();
    update->mutable_framework_id()->set_value(framework.framework_id);
    v1::TaskStatus* status = update->mutable_status();
    status->mutable_task_id()->set_value("t1");
    status->set_state(state);
    status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    status->set_message("now " + name);
    status->set_uuid("uuid-" + name);
    status->set_timestamp(1234.5);
    status->mutable_agent_id()->set_value("not-the-sender");
    update->set_latest_state(state);
  }
  framework.sink->events.clear();
  ASSERT_TRUE(h.core().OnAgentMessage(agent.connection, batch).ok());
  h.loop().RunUntilIdle();

  const std::vector<v1::TaskStatus> forwarded = framework.sink->Updates();
  ASSERT_EQ(forwarded.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const std::string name = v1::TaskState_Name(i == 0 ? v1::TASK_RUNNING : v1::TASK_FINISHED);
    EXPECT_EQ(forwarded[i].task_id().value(), "t1");
    EXPECT_EQ(forwarded[i].message(), "now " + name);
    EXPECT_EQ(forwarded[i].uuid(), "uuid-" + name);
    EXPECT_EQ(forwarded[i].timestamp(), 1234.5);
    EXPECT_EQ(forwarded[i].agent_id().value(), agent.agent_id);
  }
  // Terminal but not yet acknowledged: still listed, with both statuses.
  auto tasks = h.core().GetTasks(v1::GetTasksRequest());
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->tasks_size(), 1);
  const v1::Task& record = tasks->tasks(0);
  EXPECT_EQ(record.state(), v1::TASK_FINISHED);
  EXPECT_EQ(record.status().SerializeAsString(), forwarded[1].SerializeAsString());
  const int n = record.statuses_size();
  ASSERT_GE(n, 2);
  EXPECT_EQ(record.statuses(n - 2).SerializeAsString(), forwarded[0].SerializeAsString());
  EXPECT_EQ(record.statuses(n - 1).SerializeAsString(), forwarded[1].SerializeAsString());
}

}  // namespace
}  // namespace agora::master
