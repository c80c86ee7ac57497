// In-process master over real gRPC, driven by raw scheduler and agent stubs.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/grpc_status.hpp"
#include "common/resources.hpp"
#include "common/validation.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;

class MasterClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("agora-master-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.work_dir = dir_.string();
    options_.port = 0;
    options_.http_port = 0;
    options_.allocation_interval = absl::Milliseconds(20);
  }
  void TearDown() override {
    master_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartMaster() {
    auto master = Master::Start(options_);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
  }
  static v1::FrameworkInfo Info(const std::string& name) {
    v1::FrameworkInfo info;
    info.set_name(name);
    info.set_user("nobody");
    info.add_roles("*");
    return info;
  }
  static google::protobuf::RepeatedPtrField<v1::Resource> Res(const std::string& text) {
    return Resources::Parse(text)->ToProto();
  }
  static v1::TaskInfo Task(const std::string& id, const std::string& resources) {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_resources() = Res(resources);
    task.mutable_command()->set_shell(true);
    task.mutable_command()->set_value("true");
    return task;
  }
  static v1::AcceptRequest Launch(const std::vector<std::string>& offers,
                                  const std::vector<v1::TaskInfo>& tasks, double refuse = 0) {
    v1::AcceptRequest request;
    for (const auto& id : offers) request.add_offer_ids()->set_value(id);
    auto* op = request.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (const auto& task : tasks) *op->mutable_launch()->add_task_infos() = task;
    request.mutable_filters()->set_refuse_seconds(refuse);
    return request;
  }
  bool Healthy() {
    auto channel = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
    auto stub = v1::MasterOperator::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetHealthResponse response;
    return stub->GetHealth(&context, v1::GetHealthRequest(), &response).ok() && response.healthy();
  }

  // Two greedy frameworks on one 9 CPU / 18 GB agent (the DRF paper).
  void RunDrfPaperWorkload();

  std::filesystem::path dir_;
  MasterOptions options_;
  std::unique_ptr<Master> master_;
};

TEST_F(MasterClusterTest, LaunchReachesAgentAndUpdatesReachScheduler) {
  StartMaster();
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:4;mem:1024")).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("launch")));
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  EXPECT_EQ(offer.agent_id().value(), agent.agent_id);
  EXPECT_DOUBLE_EQ(Resources::FromProto(offer.resources())->cpus(), 4);

  auto status = scheduler.Call(&v1::Scheduler::Stub::Accept,
                               Launch({offer.id().value()}, {Task("t1", "cpus:1;mem:128")}));
  ASSERT_TRUE(status.ok()) << status.error_message();
  int run = agent.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::RUN_TASKS;
  });
  ASSERT_GE(run, 0);
  EXPECT_EQ(agent.messages.At(run).run_tasks().tasks(0).task_id().value(), "t1");

  const std::string framework_id = scheduler.header.framework_id().value();
  agent.SendStatus(framework_id, "t1", v1::TASK_RUNNING, "uuid-1");
  int update = scheduler.WaitForUpdate("t1", v1::TASK_RUNNING);
  ASSERT_GE(update, 0);
  EXPECT_EQ(scheduler.events.At(update).update().status().uuid(), "uuid-1");

  v1::AcknowledgeRequest ack;
  ack.mutable_agent_id()->set_value(agent.agent_id);
  ack.mutable_task_id()->set_value("t1");
  ack.set_uuid("uuid-1");
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Acknowledge, ack).ok());
  int relayed = agent.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::ACKNOWLEDGE && m.acknowledge().uuid() == "uuid-1";
  });
  EXPECT_GE(relayed, 0);

  // Finishing frees the resources: the next offer holds all 4 CPUs again.
  agent.SendStatus(framework_id, "t1", v1::TASK_FINISHED, "uuid-2");
  ASSERT_GE(scheduler.WaitForUpdate("t1", v1::TASK_FINISHED), 0);
  bool full = false;
  for (int i = 0; i < 5 && !full; ++i) {
    v1::Offer next;
    if (!scheduler.NextOffer(&next, &from)) break;
    full = Resources::FromProto(next.resources())->cpus() == 4;
  }
  EXPECT_TRUE(full);
}

TEST_F(MasterClusterTest, BatchedAcknowledgementsAreRelayedAndABadEntryIsNamed) {
  StartMaster();
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:4;mem:1024")).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("batched-acks")));
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  ASSERT_TRUE(scheduler
                  .Call(&v1::Scheduler::Stub::Accept,
                        Launch({offer.id().value()},
                               {Task("t1", "cpus:1;mem:128"), Task("t2", "cpus:1;mem:128")}))
                  .ok());
  const std::string framework_id = scheduler.header.framework_id().value();
  agent.SendStatus(framework_id, "t1", v1::TASK_RUNNING, "uuid-1");
  agent.SendStatus(framework_id, "t2", v1::TASK_RUNNING, "uuid-2");
  ASSERT_GE(scheduler.WaitForUpdate("t1", v1::TASK_RUNNING), 0);
  ASSERT_GE(scheduler.WaitForUpdate("t2", v1::TASK_RUNNING), 0);

  v1::AcknowledgeRequest batch;
  for (const auto& [task, uuid] : {std::pair{"t1", "uuid-1"}, std::pair{"t2", "uuid-2"}}) {
    auto* ack = batch.add_acknowledgements();
    ack->mutable_agent_id()->set_value(agent.agent_id);
    ack->mutable_task_id()->set_value(task);
    ack->set_uuid(uuid);
  }
  v1::AcknowledgeRequest bad = batch;
  bad.mutable_acknowledgements(1)->clear_task_id();
  grpc::Status refused = scheduler.Call(&v1::Scheduler::Stub::Acknowledge, bad);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(FromGrpcStatus(refused)), "acknowledgements[1].task_id")
      << refused.error_message();

  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Acknowledge, batch).ok());
  auto acked = [&](const std::string& uuid) {
    return [uuid](const internal::MasterMessage& m) {
      return m.type() == internal::MasterMessage::ACKNOWLEDGE && m.acknowledge().uuid() == uuid;
    };
  };
  int second = agent.messages.WaitFor(acked("uuid-2"));
  ASSERT_GE(second, 0);
  // Relayed in order, once each: the refused call relayed nothing.
  int first = agent.messages.WaitFor(acked("uuid-1"));
  EXPECT_LT(first, second);
  EXPECT_LT(agent.messages.WaitFor(acked("uuid-1"), first + 1, std::chrono::milliseconds(0)), 0);
  EXPECT_TRUE(Healthy());
}

TEST_F(MasterClusterTest, ValidationFailuresGetNamedErrorsAndMasterKeepsServing) {
  StartMaster();
  FakeAgentClient agent1(master_->address());
  ASSERT_FALSE(agent1.Register(Res("cpus:2;mem:512")).empty());
  FakeAgentClient agent2(master_->address());
  ASSERT_FALSE(agent2.Register(Res("cpus:2;mem:512")).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("validation")));
  SchedulerClient other(master_->address());
  ASSERT_TRUE(other.Subscribe(Info("other")));

  // Collect one offer per agent for `scheduler` and one for `other`.
  std::map<std::string, v1::Offer> mine;
  size_t from = 0;
  for (int i = 0; i < 10 && mine.size() < 2; ++i) {
    v1::Offer offer;
    if (!scheduler.NextOffer(&offer, &from, std::chrono::seconds(2))) break;
    mine[offer.agent_id().value()] = offer;
  }
  v1::Offer theirs;
  size_t other_from = 0;
  bool have_theirs = other.NextOffer(&theirs, &other_from, std::chrono::seconds(2));

  auto call = [&](v1::AcceptRequest request) {
    return scheduler.Call(&v1::Scheduler::Stub::Accept, std::move(request));
  };
  auto expect_invalid = [&](v1::AcceptRequest request, const std::string& field) {
    grpc::Status status = call(std::move(request));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  };
  ASSERT_FALSE(mine.empty());
  const std::string offer_id = mine.begin()->second.id().value();

  v1::TaskInfo empty_command = Task("t", "cpus:1");
  empty_command.mutable_command()->set_value("");
  expect_invalid(Launch({offer_id}, {empty_command}),
                 "operations[0].launch.task_infos[0].command.value");
  v1::TaskInfo negative = Task("t", "cpus:1");
  negative.mutable_resources(0)->set_scalar(-1);
  expect_invalid(Launch({offer_id}, {negative}), "operations[0].launch.task_infos[0].resources[0]");
  v1::TaskInfo nan = Task("t", "cpus:1");
  nan.mutable_resources(0)->set_scalar(std::nan(""));
  expect_invalid(Launch({offer_id}, {nan}), "operations[0].launch.task_infos[0].resources[0]");
  v1::TaskInfo no_id = Task("t", "cpus:1");
  no_id.clear_task_id();
  expect_invalid(Launch({offer_id}, {no_id}), "operations[0].launch.task_infos[0].task_id");
  expect_invalid(Launch({offer_id}, {Task("d", "cpus:0.1"), Task("d", "cpus:0.1")}),
                 "operations[0].launch.task_infos[1].task_id");
  expect_invalid(Launch({}, {Task("t", "cpus:1")}), "offer_ids");
  if (mine.size() == 2) {
    std::vector<std::string> both;
    for (const auto& [agent, offer] : mine) both.push_back(offer.id().value());
    expect_invalid(Launch(both, {Task("t", "cpus:1")}), "offer_ids[1]");
  }
  if (have_theirs)
    expect_invalid(Launch({theirs.id().value()}, {Task("t", "cpus:1")}), "offer_ids[0]");
  // The other framework leaves, so every later offer comes to `scheduler`.
  ASSERT_TRUE(other.Call(&v1::Scheduler::Stub::Teardown, v1::TeardownRequest()).ok());

  // Stale offer: every task is dropped.
  ASSERT_TRUE(call(Launch({"offer-unknown-1"}, {Task("stale", "cpus:1")})).ok());
  EXPECT_GE(scheduler.WaitForUpdate("stale", v1::TASK_DROPPED), 0);

  // Resources exceeding the offer: TASK_ERROR naming the field.
  ASSERT_TRUE(call(Launch({offer_id}, {Task("big", "cpus:100")}, 0.001)).ok());
  int error = scheduler.WaitForUpdate("big", v1::TASK_ERROR);
  ASSERT_GE(error, 0);
  EXPECT_NE(scheduler.events.At(error).update().status().message().find("resources"),
            std::string::npos);

  // Duplicate of a live task id: TASK_ERROR.
  v1::Offer again;
  ASSERT_TRUE(scheduler.NextOffer(&again, &from));
  ASSERT_TRUE(call(Launch({again.id().value()}, {Task("live", "cpus:0.5")}, 0.001)).ok());
  v1::Offer third;
  ASSERT_TRUE(scheduler.NextOffer(&third, &from));
  ASSERT_TRUE(call(Launch({third.id().value()}, {Task("live", "cpus:0.5")})).ok());
  EXPECT_GE(scheduler.WaitForUpdate("live", v1::TASK_ERROR), 0);

  // A stale stream id is refused.
  v1::DeclineRequest decline;
  decline.add_offer_ids()->set_value("x");
  v1::CallHeader saved = scheduler.header;
  scheduler.header.set_stream_id("not-my-stream");
  EXPECT_EQ(scheduler.Call(&v1::Scheduler::Stub::Decline, decline).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  scheduler.header = saved;
  EXPECT_TRUE(Healthy());
}

TEST_F(MasterClusterTest, OversizeMessageIsRejectedAndMasterKeepsServing) {
  options_.max_message_bytes = 64 * 1024;
  StartMaster();
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("big")));
  v1::MessageRequest message;
  message.mutable_agent_id()->set_value("a");
  message.mutable_executor_id()->set_value("e");
  message.set_data(std::string(200 * 1024, 'x'));
  EXPECT_EQ(scheduler.Call(&v1::Scheduler::Stub::Message, message).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Healthy());
}

TEST_F(MasterClusterTest, DeclineFilterHoldsUntilRevive) {
  StartMaster();
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:256")).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("decline")));
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  v1::DeclineRequest decline;
  *decline.add_offer_ids() = offer.id();
  decline.mutable_filters()->set_refuse_seconds(3600);
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Decline, decline).ok());
  // Several sweeps pass (20 ms each) without a new offer.
  EXPECT_FALSE(scheduler.NextOffer(&offer, &from, std::chrono::milliseconds(300)));
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());
  EXPECT_TRUE(scheduler.NextOffer(&offer, &from));
}

TEST_F(MasterClusterTest, UnansweredOfferIsRescindedAfterTimeout) {
  options_.offer_timeout = absl::Milliseconds(200);
  StartMaster();
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:256")).empty());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("timeout")));
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  int rescind = scheduler.events.WaitFor([&](const v1::Event& e) {
    return e.type() == v1::Event::RESCIND && e.rescind().offer_id().value() == offer.id().value();
  });
  EXPECT_GE(rescind, 0);
  v1::Offer next;
  EXPECT_TRUE(scheduler.NextOffer(&next, &from));
  EXPECT_NE(next.id().value(), offer.id().value());
}

TEST_F(MasterClusterTest, SecondSubscriberTakesOverTheFramework) {
  StartMaster();
  SchedulerClient first(master_->address());
  ASSERT_TRUE(first.Subscribe(Info("failover")));
  v1::FrameworkInfo info = Info("failover");
  *info.mutable_id() = first.header.framework_id();
  SchedulerClient second(master_->address());
  ASSERT_TRUE(second.Subscribe(info));
  EXPECT_EQ(second.header.framework_id().value(), first.header.framework_id().value());
  int error = first.events.WaitFor([](const v1::Event& e) { return e.type() == v1::Event::ERROR; });
  ASSERT_GE(error, 0);
  EXPECT_NE(first.events.At(error).error().message().find("failed over"), std::string::npos);
  // The old stream id no longer works; the new one does.
  EXPECT_EQ(first.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(second.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());
}

TEST_F(MasterClusterTest, AgentThatStopsHeartbeatingBecomesUnreachable) {
  options_.agent_heartbeat_interval = absl::Milliseconds(50);
  options_.max_missed_heartbeats = 2;
  StartMaster();
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("unreachable")));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:2;mem:256")).empty());
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  ASSERT_TRUE(
      scheduler
          .Call(&v1::Scheduler::Stub::Accept, Launch({offer.id().value()}, {Task("u1", "cpus:1")}))
          .ok());
  // The fake agent never heartbeats: its task becomes UNREACHABLE.
  EXPECT_GE(scheduler.WaitForUpdate("u1", v1::TASK_UNREACHABLE), 0);
  EXPECT_GE(
      scheduler.events.WaitFor([](const v1::Event& e) { return e.type() == v1::Event::FAILURE; }),
      0);
}

// The default allocator: the hierarchical DRF library of src/allocator.
TEST_F(MasterClusterTest, DrfPaperWorkloadGivesThreeAndTwoTasks) { RunDrfPaperWorkload(); }

TEST_F(MasterClusterTest, DrfPaperWorkloadWithTheSimpleAllocator) {
  options_.allocator = "simple";
  RunDrfPaperWorkload();
}

void MasterClusterTest::RunDrfPaperWorkload() {
  StartMaster();
  SchedulerClient a(master_->address());
  ASSERT_TRUE(a.Subscribe(Info("A")));
  SchedulerClient b(master_->address());
  ASSERT_TRUE(b.Subscribe(Info("B")));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:9;mem:18432")).empty());
  // Each framework greedily launches one task per offer while it fits and
  // declines what does not fit.
  struct Greedy {
    SchedulerClient* client;
    std::string task;
    size_t from = 0;
    int launched = 0;
  };
  Greedy frameworks[] = {{&a, "cpus:1;mem:4096"}, {&b, "cpus:3;mem:1024"}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int idle_rounds = 0;
  while (std::chrono::steady_clock::now() < deadline && idle_rounds < 10) {
    bool progressed = false;
    for (auto& f : frameworks) {
      v1::Offer offer;
      if (!f.client->NextOffer(&offer, &f.from, std::chrono::milliseconds(100))) continue;
      Resources need = *Resources::Parse(f.task);
      if (Resources::FromProto(offer.resources())->Contains(need)) {
        std::string id = "task-" + std::to_string(f.launched++);
        ASSERT_TRUE(f.client
                        ->Call(&v1::Scheduler::Stub::Accept,
                               Launch({offer.id().value()}, {Task(id, f.task)}, 0.001))
                        .ok());
        progressed = true;
      } else {
        v1::DeclineRequest decline;
        *decline.add_offer_ids() = offer.id();
        decline.mutable_filters()->set_refuse_seconds(3600);
        ASSERT_TRUE(f.client->Call(&v1::Scheduler::Stub::Decline, decline).ok());
      }
    }
    idle_rounds = progressed ? 0 : idle_rounds + 1;
  }
  EXPECT_EQ(frameworks[0].launched, 3);
  EXPECT_EQ(frameworks[1].launched, 2);
}

TEST_F(MasterClusterTest, RegistryRemembersAdmittedAgentsAcrossRestart) {
  StartMaster();
  std::string agent_id;
  {
    FakeAgentClient agent(master_->address());
    agent_id = agent.Register(Res("cpus:1;mem:64"));
    ASSERT_FALSE(agent_id.empty());
  }
  master_->Stop();
  master_.reset();
  StartMaster();
  // A reconcile for a task on the admitted-but-not-returned agent gets no
  // answer; an unknown agent gets TASK_UNKNOWN.
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("reconcile")));
  v1::ReconcileRequest reconcile;
  auto* waiting = reconcile.add_tasks();
  waiting->mutable_task_id()->set_value("on-old-agent");
  waiting->mutable_agent_id()->set_value(agent_id);
  auto* unknown = reconcile.add_tasks();
  unknown->mutable_task_id()->set_value("nowhere");
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Reconcile, reconcile).ok());
  EXPECT_GE(scheduler.WaitForUpdate("nowhere", v1::TASK_UNKNOWN), 0);
  EXPECT_LT(scheduler.events.WaitFor(
                [](const v1::Event& e) {
                  return e.type() == v1::Event::UPDATE &&
                         e.update().status().task_id().value() == "on-old-agent";
                },
                0, std::chrono::milliseconds(200)),
            0);
}

}  // namespace
}  // namespace agora::master
