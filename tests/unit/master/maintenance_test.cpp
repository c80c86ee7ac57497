// Operator write calls on MasterCore driven through MasterHarness on the
// manual clock: a failed registry write answers UNAVAILABLE and changes
// nothing, drain states are counted, quota and weights survive a restart.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using agora::testing::MasterHarness;

// Runs `call` with a done callback and the loop until idle; returns what
// the callback got (UNKNOWN "never answered" if it was not called).
template <typename Call>
absl::Status Answer(MasterHarness& harness, Call call) {
  absl::Status answer = absl::UnknownError("never answered");
  call([&answer](absl::Status status) { answer = std::move(status); });
  harness.loop().RunUntilIdle();
  return answer;
}

v1::DrainAgentRequest Drain(const std::string& agent_id) {
  v1::DrainAgentRequest request;
  request.mutable_agent_id()->set_value(agent_id);
  return request;
}

TEST(MaintenanceTest, FailedRegistryWriteAnswersUnavailableAndKillsNothing) {
  MasterHarness harness;
  auto scheduler = harness.Subscribe(MasterHarness::FrameworkInfo("fw"));
  auto agent = harness.RegisterAgent("a");
  harness.Launch(scheduler, agent, "t");
  harness.registry().fail_writes = true;
  absl::Status answer =
      Answer(harness, [&](auto done) { harness.core().DrainAgent(Drain(agent.agent_id), done); });
  EXPECT_TRUE(absl::IsUnavailable(answer)) << answer;
  EXPECT_EQ(harness.step_downs().size(), 1u);
  EXPECT_EQ(agent.sink->Count(internal::MasterMessage::KILL_TASK), 0);
}

TEST(MaintenanceTest, DrainingAgentIsCountedUntilItsLastTaskEnds) {
  MasterHarness harness;
  auto scheduler = harness.Subscribe(MasterHarness::FrameworkInfo("fw"));
  auto agent = harness.RegisterAgent("a");
  harness.Launch(scheduler, agent, "t");
  harness.SendUpdate(agent, scheduler.framework_id, "t", v1::TASK_RUNNING, "u1");
  ASSERT_TRUE(Answer(harness, [&](auto done) {
                harness.core().DrainAgent(Drain(agent.agent_id), done);
              }).ok());
  EXPECT_EQ(agent.sink->Count(internal::MasterMessage::KILL_TASK), 1);
  EXPECT_EQ(harness.core().Metrics().agents_by_status["DRAINING"], 1u);
  EXPECT_EQ(harness.AgentSummary(agent.agent_id).status(), v1::AgentSummary::DRAINING);
  harness.SendUpdate(agent, scheduler.framework_id, "t", v1::TASK_KILLED, "u2");
  EXPECT_EQ(harness.core().Metrics().agents_by_status["DRAINING"], 0u);
  EXPECT_EQ(harness.core().Metrics().agents_by_status["DRAINED"], 1u);
  EXPECT_EQ(harness.AgentSummary(agent.agent_id).status(), v1::AgentSummary::DRAINED);
}

TEST(MaintenanceTest, QuotaAndWeightsAreRecoveredByTheNextCore) {
  MasterHarness harness;
  harness.RegisterAgent("a", "cpus:4;mem:4096");
  v1::UpdateQuotaRequest quota;
  quota.add_quotas()->set_role("dev");
  *quota.mutable_quotas(0)->mutable_guarantees() = Resources::Parse("cpus:1")->ToProto();
  ASSERT_TRUE(Answer(harness, [&](auto done) { harness.core().UpdateQuota(quota, done); }).ok());
  v1::UpdateWeightsRequest weights;
  weights.add_weights()->set_role("dev");
  weights.mutable_weights(0)->set_weight(3);
  ASSERT_TRUE(
      Answer(harness, [&](auto done) { harness.core().UpdateWeights(weights, done); }).ok());
  ASSERT_TRUE(harness.Restart().ok());
  ASSERT_EQ(harness.core().GetQuota().quotas_size(), 1);
  EXPECT_EQ(harness.core().GetQuota().quotas(0).role(), "dev");
  ASSERT_EQ(harness.core().GetWeights().weights_size(), 1);
  EXPECT_EQ(harness.core().GetWeights().weights(0).weight(), 3);
  v1::GetRolesResponse roles = harness.core().GetRoles();
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).weight(), 3);
  EXPECT_EQ(Resources::FromProto(roles.roles(0).quota().guarantees())->cpus(), 1);
}

}  // namespace
}  // namespace agora::master
