// Fixture for the operator API's cluster tests (operator_calls_test.cpp,
// watch_test.cpp): an in-process Master on a temp work dir that a test can
// restart, an operator stub, and helpers to launch a task through a raw
// scheduler onto a FakeAgentClient.
#ifndef AGORA_TESTS_CLUSTER_MASTER_OPERATOR_TEST_FIXTURE_HPP_
#define AGORA_TESTS_CLUSTER_MASTER_OPERATOR_TEST_FIXTURE_HPP_

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/grpc_status.hpp"
#include "common/resources.hpp"
#include "common/validation.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"

namespace agora::master {

class OperatorTest : public StandaloneMasterTest {
 protected:
  void SetUp() override { Restart(); }
  // (Re)starts the master on the same work dir (a new port each time).
  void Restart() {
    StartMaster();
    if (master_ == nullptr) return;
    channel_ = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::MasterOperator::NewStub(channel_);
  }

  // Calls an operator method with a 10 s deadline.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::MasterOperator::Stub::*method)(grpc::ClientContext*,
                                                                     const Request&, Response*),
                    const Request& request, Response* response = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Response ignored;
    return (stub_.get()->*method)(&context, request, response ? response : &ignored);
  }

  static v1::FrameworkInfo Info(const std::string& role = "*") {
    v1::FrameworkInfo info;
    info.set_name("operator-test");
    info.set_user("nobody");
    info.add_roles(role);
    return info;
  }
  static google::protobuf::RepeatedPtrField<v1::Resource> Res(const std::string& text) {
    return Resources::Parse(text)->ToProto();
  }
  static std::string Field(const grpc::Status& status) {
    return ViolatedField(FromGrpcStatus(status)).value_or("");
  }

  // Launches command task `id` (cpus:1;mem:32) on the scheduler's next
  // offer after event index `*from`; true once the agent got RUN_TASKS and
  // reported it TASK_RUNNING (seen by the scheduler).
  bool LaunchRunning(testing::SchedulerClient* scheduler, testing::FakeAgentClient* agent,
                     const std::string& id, size_t* from) {
    v1::Offer offer;
    if (!scheduler->NextOffer(&offer, from)) return false;
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
    task->mutable_kill_policy()->set_grace_period_seconds(30);
    // The rest of the offer comes back at once (not after the default 5 s).
    accept.mutable_filters()->set_refuse_seconds(0.001);
    const size_t mark = agent->messages.size();
    if (!scheduler->Call(&v1::Scheduler::Stub::Accept, accept).ok()) return false;
    if (agent->messages.WaitFor(
            [&](const internal::MasterMessage& m) {
              return m.type() == internal::MasterMessage::RUN_TASKS &&
                     m.run_tasks().tasks(0).task_id().value() == id;
            },
            mark) < 0)
      return false;
    agent->SendStatus(scheduler->header.framework_id().value(), id, v1::TASK_RUNNING,
                      id + "-running");
    return scheduler->WaitForUpdate(id, v1::TASK_RUNNING) >= 0;
  }

  // The index of the first KILL_TASK for `task_id` at or after `from`.
  static int WaitForKill(testing::FakeAgentClient* agent, const std::string& task_id,
                         size_t from = 0) {
    return agent->messages.WaitFor(
        [&](const internal::MasterMessage& m) {
          return m.type() == internal::MasterMessage::KILL_TASK &&
                 m.kill_task().task_id().value() == task_id;
        },
        from);
  }

  // The agent's status as GetAgents reports it (STATUS_UNSPECIFIED if not
  // listed).
  v1::AgentSummary::Status AgentStatus(const std::string& agent_id) {
    v1::GetAgentsResponse agents;
    EXPECT_TRUE(Call(&v1::MasterOperator::Stub::GetAgents, v1::GetAgentsRequest(), &agents).ok());
    for (const auto& agent : agents.agents())
      if (agent.info().id().value() == agent_id) return agent.status();
    return v1::AgentSummary::STATUS_UNSPECIFIED;
  }

  // Polls GetAgents until the agent has `status` (5 s deadline).
  bool WaitForAgentStatus(const std::string& agent_id, v1::AgentSummary::Status status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (AgentStatus(agent_id) == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MasterOperator::Stub> stub_;
};

}  // namespace agora::master

#endif  // AGORA_TESTS_CLUSTER_MASTER_OPERATOR_TEST_FIXTURE_HPP_
