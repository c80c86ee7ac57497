// Agent-side behaviour of an in-process master: disconnects, re-registration
// with tasks, kills, reconciliation, HTTP endpoints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/resources.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"
#include "tests/support/http_get.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;

class MasterAgentTest : public StandaloneMasterTest {
 protected:
  void SetUp() override { StartMaster(); }
  static v1::FrameworkInfo Info() {
    v1::FrameworkInfo info;
    info.set_name("agent-test");
    info.set_user("nobody");
    info.add_roles("*");
    return info;
  }
  static google::protobuf::RepeatedPtrField<v1::Resource> Res(const std::string& text) {
    return Resources::Parse(text)->ToProto();
  }
  // Launches one command task `id` on the first offer; returns its agent id.
  std::string LaunchOne(SchedulerClient* scheduler, const std::string& id) {
    v1::Offer offer;
    size_t from = 0;
    if (!scheduler->NextOffer(&offer, &from)) return "";
    v1::AcceptRequest accept;
    *accept.add_offer_ids() = offer.id();
    auto* op = accept.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    auto* task = op->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    *task->mutable_resources() = Res("cpus:1;mem:32");
    task->mutable_command()->set_value("sleep 100");
    task->mutable_command()->set_shell(true);
    if (!scheduler->Call(&v1::Scheduler::Stub::Accept, accept).ok()) return "";
    return offer.agent_id().value();
  }
  std::string HttpGet(const std::string& path) {
    return agora::testing::HttpGet(master_->http_port(), path);
  }
};

TEST_F(MasterAgentTest, AgentDisconnectRescindsItsOffers) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  auto agent = std::make_unique<FakeAgentClient>(master_->address());
  ASSERT_FALSE(agent->Register(Res("cpus:2;mem:256")).empty());
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  agent.reset();  // The stream breaks.
  EXPECT_GE(scheduler.events.WaitFor([&](const v1::Event& e) {
    return e.type() == v1::Event::RESCIND && e.rescind().offer_id().value() == offer.id().value();
  }),
            0);
}

TEST_F(MasterAgentTest, ReregisteredAgentKeepsItsTasks) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  auto agent = std::make_unique<FakeAgentClient>(master_->address());
  const std::string agent_id = agent->Register(Res("cpus:2;mem:256"));
  ASSERT_FALSE(agent_id.empty());
  ASSERT_EQ(LaunchOne(&scheduler, "keep"), agent_id);
  ASSERT_GE(agent->messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::RUN_TASKS;
  }),
            0);
  const std::string framework_id = scheduler.header.framework_id().value();
  agent->SendStatus(framework_id, "keep", v1::TASK_RUNNING, "u1");
  ASSERT_GE(scheduler.WaitForUpdate("keep", v1::TASK_RUNNING), 0);
  agent.reset();

  FakeAgentClient back(master_->address());
  internal::AgentMessage reregister;
  reregister.set_type(internal::AgentMessage::REREGISTER);
  auto* info = reregister.mutable_reregister()->mutable_agent_info();
  info->mutable_id()->set_value(agent_id);
  info->set_hostname("fake-agent");
  *info->mutable_resources() = Res("cpus:2;mem:256");
  v1::Task* task = reregister.mutable_reregister()->add_tasks();
  task->mutable_task_id()->set_value("keep");
  task->mutable_framework_id()->set_value(framework_id);
  task->set_state(v1::TASK_RUNNING);
  *task->mutable_resources() = Res("cpus:1;mem:32");
  const size_t before_reregister = scheduler.events.size();
  back.Send(reregister);
  ASSERT_GE(back.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::REREGISTERED;
  }),
            0);

  size_t mark = scheduler.events.size();
  v1::ReconcileRequest reconcile;  // Implicit.
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Reconcile, reconcile).ok());
  EXPECT_GE(scheduler.WaitForUpdate("keep", v1::TASK_RUNNING, mark), 0);

  // Offers now exclude the running task's cpu.
  v1::Offer offer;
  size_t from = before_reregister;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  EXPECT_DOUBLE_EQ(Resources::FromProto(offer.resources())->cpus(), 1);

  // Kills reach the agent.
  v1::KillRequest kill;
  kill.mutable_task_id()->set_value("keep");
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Kill, kill).ok());
  EXPECT_GE(back.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::KILL_TASK &&
           m.kill_task().task_id().value() == "keep";
  }),
            0);
}

TEST_F(MasterAgentTest, DisconnectedFrameworkLosesOffersThenIsRemovedAfterFailoverTimeout) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:2;mem:256")).empty());
  auto scheduler = std::make_unique<SchedulerClient>(master_->address());
  v1::FrameworkInfo info = Info();
  info.set_failover_timeout(0.3);
  ASSERT_TRUE(scheduler->Subscribe(info));
  const std::string framework_id = scheduler->header.framework_id().value();
  ASSERT_FALSE(LaunchOne(scheduler.get(), "orphan").empty());
  scheduler.reset();  // The scheduler goes away; its task keeps running...
  // ...until the failover timeout, when the framework is shut down.
  int shutdown = agent.messages.WaitFor([&](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::SHUTDOWN_FRAMEWORK &&
           m.shutdown_framework().framework_id().value() == framework_id;
  });
  EXPECT_GE(shutdown, 0);
  auto channel = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::MasterOperator::NewStub(channel);
  grpc::ClientContext context;
  v1::GetOffersResponse offers;
  ASSERT_TRUE(stub->GetOffers(&context, v1::GetOffersRequest(), &offers).ok());
  EXPECT_EQ(offers.offers_size(), 0);
  // A removed framework cannot come back with its id.
  SchedulerClient again(master_->address());
  *info.mutable_id() = v1::FrameworkID();
  info.mutable_id()->set_value(framework_id);
  EXPECT_FALSE(again.Subscribe(info));
}

TEST_F(MasterAgentTest, MalformedAgentMessagesCloseOnlyThatStream) {
  FakeAgentClient bad(master_->address());
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::REGISTER);  // No hostname.
  bad.Send(message);
  FakeAgentClient good(master_->address());
  EXPECT_FALSE(good.Register(Res("cpus:1;mem:64")).empty());
}

TEST_F(MasterAgentTest, HttpEndpointsServeHealthMetricsAndState) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:64")).empty());
  EXPECT_NE(HttpGet("/health").find("200 OK"), std::string::npos);
  std::string metrics = HttpGet("/metrics");
  EXPECT_NE(metrics.find("agora_master_agents{state=\"connected\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("agora_master_allocation_cycle_seconds_count"), std::string::npos);
  std::string state = HttpGet("/state");
  EXPECT_NE(state.find("application/json"), std::string::npos);
  EXPECT_NE(state.find(agent.agent_id), std::string::npos);
  EXPECT_NE(HttpGet("/nope").find("404"), std::string::npos);
}

TEST_F(MasterAgentTest, OperatorListsTasksWithFiltersAndPaging) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:1;mem:64")).empty());
  ASSERT_FALSE(LaunchOne(&scheduler, "listed").empty());
  auto channel = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::MasterOperator::NewStub(channel);
  v1::GetTasksRequest request;
  request.add_states(v1::TASK_STAGING);
  request.mutable_page()->set_limit(1);
  v1::GetTasksResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetTasks(&context, request, &response).ok());
  ASSERT_EQ(response.tasks_size(), 1);
  EXPECT_EQ(response.tasks(0).task_id().value(), "listed");
  EXPECT_EQ(response.page().total(), 1u);

  grpc::ClientContext roles_context;
  v1::GetRolesResponse roles;
  ASSERT_TRUE(stub->GetRoles(&roles_context, v1::GetRolesRequest(), &roles).ok());
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).name(), "*");
  EXPECT_GT(roles.roles(0).dominant_share(), 0);

  grpc::ClientContext state_context;
  v1::MasterState state;
  ASSERT_TRUE(stub->GetState(&state_context, v1::GetStateRequest(), &state).ok());
  EXPECT_EQ(state.agents_size(), 1);
  EXPECT_EQ(state.frameworks_size(), 1);
  EXPECT_EQ(state.tasks_size(), 1);

  grpc::ClientContext quota_context;
  v1::GetQuotaResponse quota;
  auto status = stub->GetQuota(&quota_context, v1::GetQuotaRequest(), &quota);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(quota.quotas_size(), 0);
}

}  // namespace
}  // namespace agora::master
