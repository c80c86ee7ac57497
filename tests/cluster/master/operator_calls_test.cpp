// Operator write calls against an in-process master over real gRPC: quota
// and weights (validation, GetRoles, persistence across a restart), agent
// maintenance (deactivate, drain, mark gone, reactivate) as the scheduler and
// the agent see it, and the operator's task kill.
#include <cmath>
#include <limits>

#include "tests/cluster/master/operator_test_fixture.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::SchedulerClient;
using Stub = v1::MasterOperator::Stub;

v1::UpdateQuotaRequest Quota(const std::string& role, const std::string& guarantee,
                             const std::string& limit = "") {
  v1::UpdateQuotaRequest request;
  v1::QuotaConfig* quota = request.add_quotas();
  quota->set_role(role);
  if (!guarantee.empty()) *quota->mutable_guarantees() = Resources::Parse(guarantee)->ToProto();
  if (!limit.empty()) *quota->mutable_limits() = Resources::Parse(limit)->ToProto();
  return request;
}

v1::UpdateWeightsRequest Weight(const std::string& role, double weight) {
  v1::UpdateWeightsRequest request;
  request.add_weights()->set_role(role);
  request.mutable_weights(0)->set_weight(weight);
  return request;
}

template <typename Request>
Request ForAgent(const std::string& agent_id) {
  Request request;
  request.mutable_agent_id()->set_value(agent_id);
  return request;
}

using OperatorCallsTest = OperatorTest;

TEST_F(OperatorCallsTest, QuotaIsValidatedCheckedAgainstTheClusterAndSurvivesARestart) {
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:4;mem:1024")).empty());

  grpc::Status status = Call(&Stub::UpdateQuota, Quota("bad role", "cpus:1"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "quotas[0].role") << status.error_message();

  v1::UpdateQuotaRequest negative = Quota("dev", "cpus:1");
  negative.mutable_quotas(0)->mutable_guarantees(0)->set_scalar(-1);
  status = Call(&Stub::UpdateQuota, negative);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "quotas[0].guarantees[0].scalar") << status.error_message();

  status = Call(&Stub::UpdateQuota, Quota("dev", "cpus:3", "cpus:2"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "quotas[0].guarantees") << status.error_message();
  EXPECT_NE(status.error_message().find("exceeds the limit"), std::string::npos);

  v1::UpdateQuotaRequest ports = Quota("dev", "ports:[1-2]");
  status = Call(&Stub::UpdateQuota, ports);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "quotas[0].guarantees[0]") << status.error_message();

  // 5 cpus cannot be guaranteed on a 4-cpu cluster, unless forced.
  v1::UpdateQuotaRequest too_much = Quota("dev", "cpus:5");
  status = Call(&Stub::UpdateQuota, too_much);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("cpus"), std::string::npos) << status.error_message();
  too_much.set_force(true);
  EXPECT_TRUE(Call(&Stub::UpdateQuota, too_much).ok());
  // While that forced guarantee exceeds the cluster, an update that raises
  // no resource's guaranteed sum beyond it is accepted (mem fits), one that
  // raises cpus is refused, and removing a quota always succeeds.
  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("ops", "mem:64")).ok());
  EXPECT_EQ(Call(&Stub::UpdateQuota, Quota("ops", "cpus:1;mem:64")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("ops", "")).ok());

  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("dev", "cpus:2;mem:256", "cpus:3")).ok());
  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("ops", "cpus:1")).ok());
  // Together they would need 5 cpus: refused, and nothing of it applied.
  status = Call(&Stub::UpdateQuota, Quota("ops", "cpus:3"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("ops", "")).ok());  // Removes it.

  auto check = [&] {
    v1::GetQuotaResponse quota;
    ASSERT_TRUE(Call(&Stub::GetQuota, v1::GetQuotaRequest(), &quota).ok());
    ASSERT_EQ(quota.quotas_size(), 1);
    EXPECT_EQ(quota.quotas(0).role(), "dev");
    EXPECT_EQ(*Resources::FromProto(quota.quotas(0).guarantees()),
              *Resources::Parse("cpus:2;mem:256"));
    EXPECT_EQ(*Resources::FromProto(quota.quotas(0).limits()), *Resources::Parse("cpus:3"));
    v1::GetRolesResponse roles;
    ASSERT_TRUE(Call(&Stub::GetRoles, v1::GetRolesRequest(), &roles).ok());
    ASSERT_EQ(roles.roles_size(), 1);
    EXPECT_EQ(roles.roles(0).name(), "dev");
    EXPECT_EQ(roles.roles(0).weight(), 1);
    EXPECT_EQ(Resources::FromProto(roles.roles(0).quota().guarantees())->cpus(), 2);
  };
  check();
  Restart();
  check();
}

TEST_F(OperatorCallsTest, QuotaLimitCapsWhatTheRoleIsOffered) {
  ASSERT_TRUE(Call(&Stub::UpdateQuota, Quota("dev", "", "cpus:1;mem:128")).ok());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("dev")));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:4;mem:1024")).empty());
  v1::Offer offer;
  size_t from = 0;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));
  auto offered = Resources::FromProto(offer.resources());
  EXPECT_LE(offered->cpus(), 1) << *offered;
  EXPECT_LE(offered->mem(), 128) << *offered;
}

TEST_F(OperatorCallsTest, WeightsAreValidatedShownInRolesAndSurviveARestart) {
  grpc::Status status = Call(&Stub::UpdateWeights, Weight("dev", 0));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "weights[0].weight") << status.error_message();
  status = Call(&Stub::UpdateWeights, Weight("dev", std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Field(status), "weights[0].weight") << status.error_message();
  status = Call(&Stub::UpdateWeights, Weight("/dev", 2));
  EXPECT_EQ(Field(status), "weights[0].role") << status.error_message();

  ASSERT_TRUE(Call(&Stub::UpdateWeights, Weight("dev", 2.5)).ok());
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info("web")));
  auto check = [&](size_t roles_expected) {
    v1::GetWeightsResponse weights;
    ASSERT_TRUE(Call(&Stub::GetWeights, v1::GetWeightsRequest(), &weights).ok());
    ASSERT_EQ(weights.weights_size(), 1);
    EXPECT_EQ(weights.weights(0).role(), "dev");
    EXPECT_EQ(weights.weights(0).weight(), 2.5);
    v1::GetRolesResponse roles;
    ASSERT_TRUE(Call(&Stub::GetRoles, v1::GetRolesRequest(), &roles).ok());
    ASSERT_EQ(static_cast<size_t>(roles.roles_size()), roles_expected);
    for (const auto& role : roles.roles()) {
      EXPECT_EQ(role.weight(), role.name() == "dev" ? 2.5 : 1) << role.name();
    }
  };
  check(2);  // "dev" (weight only) and "web" (the framework's).
  scheduler.Close();
  Restart();
  check(2);  // The framework is recovered from the registry too.
}

TEST_F(OperatorCallsTest, DeactivatedAgentGetsNoOffersUntilReactivated) {
  EXPECT_EQ(Call(&Stub::DeactivateAgent, ForAgent<v1::DeactivateAgentRequest>("no-such-agent"))
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  const std::string agent_id = agent.Register(Res("cpus:4;mem:1024"));
  ASSERT_FALSE(agent_id.empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "keeps-running", &from));
  v1::Offer offer;
  ASSERT_TRUE(scheduler.NextOffer(&offer, &from));  // The rest of the agent.

  ASSERT_TRUE(Call(&Stub::DeactivateAgent, ForAgent<v1::DeactivateAgentRequest>(agent_id)).ok());
  EXPECT_GE(scheduler.events.WaitFor(
                [&](const v1::Event& e) {
                  return e.type() == v1::Event::RESCIND &&
                         e.rescind().offer_id().value() == offer.id().value();
                },
                from),
            0);
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::DEACTIVATED);
  // Many allocation cycles (20 ms) pass without an offer; the task runs on.
  from = scheduler.events.size();
  EXPECT_FALSE(scheduler.NextOffer(&offer, &from, std::chrono::milliseconds(500)));
  v1::GetTasksResponse tasks;
  ASSERT_TRUE(Call(&Stub::GetTasks, v1::GetTasksRequest(), &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).state(), v1::TASK_RUNNING);
  EXPECT_LT(agent.messages.WaitFor(
                [](const internal::MasterMessage& m) {
                  return m.type() == internal::MasterMessage::KILL_TASK;
                },
                0, std::chrono::milliseconds(0)),
            0);

  ASSERT_TRUE(Call(&Stub::ReactivateAgent, ForAgent<v1::ReactivateAgentRequest>(agent_id)).ok());
  EXPECT_TRUE(scheduler.NextOffer(&offer, &from));
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::ACTIVE);
}

TEST_F(OperatorCallsTest, DrainKillsTasksWithTheGracePeriodThenTheAgentIsDrained) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  const std::string agent_id = agent.Register(Res("cpus:2;mem:1024"));
  ASSERT_FALSE(agent_id.empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "drained", &from));

  v1::DrainAgentRequest bad = ForAgent<v1::DrainAgentRequest>(agent_id);
  bad.set_grace_period_seconds(-1);
  EXPECT_EQ(Field(Call(&Stub::DrainAgent, bad)), "grace_period_seconds");

  v1::DrainAgentRequest drain = ForAgent<v1::DrainAgentRequest>(agent_id);
  drain.set_grace_period_seconds(2);  // Shorter than the task's 30 s.
  ASSERT_TRUE(Call(&Stub::DrainAgent, drain).ok());
  const int kill = WaitForKill(&agent, "drained");
  ASSERT_GE(kill, 0);
  EXPECT_EQ(agent.messages.At(kill).kill_task().kill_policy().grace_period_seconds(), 2);
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::DRAINING);

  agent.SendStatus(scheduler.header.framework_id().value(), "drained", v1::TASK_KILLED, "k");
  EXPECT_GE(scheduler.WaitForUpdate("drained", v1::TASK_KILLED), 0);
  EXPECT_TRUE(WaitForAgentStatus(agent_id, v1::AgentSummary::DRAINED));
  v1::Offer offer;
  from = scheduler.events.size();
  EXPECT_FALSE(scheduler.NextOffer(&offer, &from, std::chrono::milliseconds(300)));

  ASSERT_TRUE(Call(&Stub::ReactivateAgent, ForAgent<v1::ReactivateAgentRequest>(agent_id)).ok());
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::ACTIVE);
  EXPECT_TRUE(scheduler.NextOffer(&offer, &from));
}

TEST_F(OperatorCallsTest, DrainWithMarkGoneEndsWithTheAgentGone) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  const std::string agent_id = agent.Register(Res("cpus:2;mem:1024"));
  ASSERT_FALSE(agent_id.empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "last", &from));
  v1::DrainAgentRequest drain = ForAgent<v1::DrainAgentRequest>(agent_id);
  drain.set_mark_gone(true);
  ASSERT_TRUE(Call(&Stub::DrainAgent, drain).ok());
  const int kill = WaitForKill(&agent, "last");
  ASSERT_GE(kill, 0);
  // No grace given: the task's own kill policy.
  EXPECT_EQ(agent.messages.At(kill).kill_task().kill_policy().grace_period_seconds(), 30);
  agent.SendStatus(scheduler.header.framework_id().value(), "last", v1::TASK_KILLED, "k");
  EXPECT_GE(agent.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::SHUTDOWN;
  }),
            0);
  EXPECT_TRUE(WaitForAgentStatus(agent_id, v1::AgentSummary::STATUS_UNSPECIFIED));  // Unlisted.
  grpc::Status again = Call(&Stub::DrainAgent, drain);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << again.error_message();
  EXPECT_EQ(Field(again), "agent_id");
}

TEST_F(OperatorCallsTest, DrainContinuesAfterAMasterRestart) {
  std::string agent_id, framework_id;
  {
    SchedulerClient scheduler(master_->address());
    v1::FrameworkInfo info = Info();
    info.set_failover_timeout(60);
    ASSERT_TRUE(scheduler.Subscribe(info));
    framework_id = scheduler.header.framework_id().value();
    FakeAgentClient agent(master_->address());
    agent_id = agent.Register(Res("cpus:2;mem:1024"));
    ASSERT_FALSE(agent_id.empty());
    size_t from = 0;
    ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "stubborn", &from));
    v1::DrainAgentRequest drain = ForAgent<v1::DrainAgentRequest>(agent_id);
    drain.set_grace_period_seconds(5);
    ASSERT_TRUE(Call(&Stub::DrainAgent, drain).ok());
    ASSERT_GE(WaitForKill(&agent, "stubborn"), 0);
  }
  Restart();
  // The agent comes back still running the task: the new master kills it
  // again with the recorded grace period and keeps the agent out of offers.
  FakeAgentClient agent(master_->address());
  internal::AgentMessage reregister;
  reregister.set_type(internal::AgentMessage::REREGISTER);
  auto* info = reregister.mutable_reregister()->mutable_agent_info();
  info->mutable_id()->set_value(agent_id);
  info->set_hostname("fake-agent");
  *info->mutable_resources() = Res("cpus:2;mem:1024");
  v1::Task* task = reregister.mutable_reregister()->add_tasks();
  task->mutable_task_id()->set_value("stubborn");
  task->mutable_framework_id()->set_value(framework_id);
  task->set_state(v1::TASK_RUNNING);
  *task->mutable_resources() = Res("cpus:1;mem:32");
  task->mutable_info()->mutable_kill_policy()->set_grace_period_seconds(30);
  agent.Send(reregister);
  const int kill = WaitForKill(&agent, "stubborn");
  ASSERT_GE(kill, 0);
  EXPECT_EQ(agent.messages.At(kill).kill_task().kill_policy().grace_period_seconds(), 5);
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::DRAINING);
}

TEST_F(OperatorCallsTest, MarkAgentGoneDeliversTaskGoneByOperatorAndRefusesTheAgent) {
  EXPECT_EQ(
      Call(&Stub::MarkAgentGone, ForAgent<v1::MarkAgentGoneRequest>("no-such-agent")).error_code(),
      grpc::StatusCode::NOT_FOUND);
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  auto agent = std::make_unique<FakeAgentClient>(master_->address());
  const std::string agent_id = agent->Register(Res("cpus:2;mem:1024"));
  ASSERT_FALSE(agent_id.empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, agent.get(), "lost", &from));

  ASSERT_TRUE(Call(&Stub::MarkAgentGone, ForAgent<v1::MarkAgentGoneRequest>(agent_id)).ok());
  const int update = scheduler.WaitForUpdate("lost", v1::TASK_GONE_BY_OPERATOR);
  ASSERT_GE(update, 0);
  EXPECT_EQ(scheduler.events.At(update).update().status().reason(),
            v1::TaskStatus::REASON_AGENT_REMOVED);
  EXPECT_GE(agent->messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::SHUTDOWN;
  }),
            0);
  EXPECT_EQ(AgentStatus(agent_id), v1::AgentSummary::STATUS_UNSPECIFIED);
  EXPECT_TRUE(Call(&Stub::MarkAgentGone, ForAgent<v1::MarkAgentGoneRequest>(agent_id)).ok());
  EXPECT_EQ(
      Call(&Stub::ReactivateAgent, ForAgent<v1::ReactivateAgentRequest>(agent_id)).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);

  // Gone for good, also for the next master: re-registering is refused.
  agent.reset();
  Restart();
  FakeAgentClient back(master_->address());
  internal::AgentMessage reregister;
  reregister.set_type(internal::AgentMessage::REREGISTER);
  reregister.mutable_reregister()->mutable_agent_info()->mutable_id()->set_value(agent_id);
  reregister.mutable_reregister()->mutable_agent_info()->set_hostname("fake-agent");
  *reregister.mutable_reregister()->mutable_agent_info()->mutable_resources() =
      Res("cpus:2;mem:1024");
  back.Send(reregister);
  const int shutdown = back.messages.WaitFor([](const internal::MasterMessage& m) {
    return m.type() == internal::MasterMessage::SHUTDOWN ||
           m.type() == internal::MasterMessage::REREGISTERED;
  });
  ASSERT_GE(shutdown, 0);
  EXPECT_EQ(back.messages.At(shutdown).type(), internal::MasterMessage::SHUTDOWN);
}

TEST_F(OperatorCallsTest, KillTaskKillsAsTheFrameworkWouldAndNamesWhatItCannotKill) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:2;mem:1024")).empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "victim", &from));

  v1::KillTaskRequest unknown;
  unknown.mutable_task_id()->set_value("nobody");
  grpc::Status status = Call(&Stub::KillTask, unknown);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("not known"), std::string::npos) << status.error_message();

  v1::KillTaskRequest kill;
  kill.mutable_task_id()->set_value("victim");
  kill.set_grace_period_seconds(60);  // Replaces the task's 30 s.
  ASSERT_TRUE(Call(&Stub::KillTask, kill).ok());
  const int sent = WaitForKill(&agent, "victim");
  ASSERT_GE(sent, 0);
  EXPECT_EQ(agent.messages.At(sent).kill_task().kill_policy().grace_period_seconds(), 60);
  EXPECT_EQ(agent.messages.At(sent).kill_task().framework_id().value(),
            scheduler.header.framework_id().value());
  agent.SendStatus(scheduler.header.framework_id().value(), "victim", v1::TASK_KILLED, "k");
  ASSERT_GE(scheduler.WaitForUpdate("victim", v1::TASK_KILLED), 0);

  status = Call(&Stub::KillTask, kill);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("TASK_KILLED"), std::string::npos)
      << status.error_message();
}

TEST_F(OperatorCallsTest, KillTaskOfAnIdTwoFrameworksUseNeedsTheFramework) {
  SchedulerClient first(master_->address());
  ASSERT_TRUE(first.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:4;mem:1024")).empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&first, &agent, "twin", &from));
  first.Close();  // Disconnected, not removed: its task stays.
  SchedulerClient second(master_->address());
  ASSERT_TRUE(second.Subscribe(Info()));
  from = 0;
  ASSERT_TRUE(LaunchRunning(&second, &agent, "twin", &from));

  v1::KillTaskRequest kill;
  kill.mutable_task_id()->set_value("twin");
  grpc::Status status = Call(&Stub::KillTask, kill);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find(first.header.framework_id().value()), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find(second.header.framework_id().value()), std::string::npos);
  *kill.mutable_framework_id() = second.header.framework_id();
  const size_t mark = agent.messages.size();
  ASSERT_TRUE(Call(&Stub::KillTask, kill).ok());
  const int sent = WaitForKill(&agent, "twin", mark);
  ASSERT_GE(sent, 0);
  EXPECT_EQ(agent.messages.At(sent).kill_task().framework_id().value(),
            second.header.framework_id().value());
}

}  // namespace
}  // namespace agora::master
