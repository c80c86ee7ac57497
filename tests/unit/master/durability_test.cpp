// A master whose registry cannot be written steps down; options that would
// make it unsafe are refused. MasterHarness with a failing in-memory registry.
#include <gtest/gtest.h>

#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using testing::MasterHarness;

TEST(MasterDurabilityTest, HealthyMasterIsDurableAndReady) {
  MasterHarness h;
  MasterHealth health = h.core().Health();
  EXPECT_TRUE(health.durable);
  EXPECT_TRUE(health.ready);
  EXPECT_TRUE(health.reason.empty());
}

TEST(MasterDurabilityTest, RegistryWriteFailureStepsDownAndAdmitsNobody) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  h.registry().fail_writes = true;
  auto agent = h.RegisterAgent("host-a");
  EXPECT_TRUE(agent.agent_id.empty());
  EXPECT_EQ(agent.sink->Count(internal::MasterMessage::REGISTERED), 0);
  EXPECT_TRUE(agent.sink->closed);
  ASSERT_EQ(h.step_downs().size(), 1u);
  EXPECT_NE(h.step_downs()[0].message().find("registry.pb"), std::string::npos);

  MasterHealth health = h.core().Health();
  EXPECT_FALSE(health.durable);
  EXPECT_FALSE(health.ready);
  EXPECT_NE(health.reason.find("No space left on device"), std::string::npos);
  EXPECT_TRUE(framework.sink->closed);

  // Nothing is admitted any more, even once the disk recovers.
  h.registry().fail_writes = false;
  auto late = h.Subscribe(MasterHarness::FrameworkInfo("late"));
  EXPECT_TRUE(late.framework_id.empty());
  EXPECT_TRUE(absl::IsUnavailable(late.sink->close_status));
  EXPECT_EQ(h.step_downs().size(), 1u);
}

TEST(MasterDurabilityTest, FailedFrameworkWriteStepsDownBeforeSubscribed) {
  MasterHarness h;
  h.registry().fail_writes = true;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  EXPECT_TRUE(framework.framework_id.empty());
  EXPECT_EQ(framework.sink->Count(v1::Event::SUBSCRIBED), 0);
  EXPECT_EQ(h.step_downs().size(), 1u);
}

TEST(MasterDurabilityTest, FailedUnreachableWriteStepsDownWithoutTellingFrameworks) {
  MasterHarness h;
  auto framework = h.Subscribe(MasterHarness::FrameworkInfo("batch"));
  auto agent = h.RegisterAgent("host-a");
  h.Launch(framework, agent, "t1");
  h.registry().fail_writes = true;
  h.Advance(absl::Seconds(25));
  EXPECT_EQ(h.step_downs().size(), 1u);
  EXPECT_TRUE(framework.sink->UpdatesFor("t1").empty());
  EXPECT_EQ(framework.sink->Count(v1::Event::FAILURE), 0);
}

TEST(MasterOptionsTest, RefusesARelativeWorkDirNamingTheFlag) {
  MasterOptions options;
  options.work_dir = "relative/dir";
  absl::Status status = options.Validate();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("work_dir"), std::string::npos);
  EXPECT_NE(status.message().find("absolute"), std::string::npos);
}

TEST(MasterOptionsTest, RefusesANonPositiveReregisterTimeoutAndRate) {
  MasterOptions options;
  options.work_dir = "/tmp/agora";
  options.agent_reregister_timeout = absl::ZeroDuration();
  EXPECT_NE(options.Validate().message().find("agent_reregister_timeout"), std::string::npos);
  options.agent_reregister_timeout = absl::Minutes(2);
  options.recovered_agents_unreachable_per_second = 0;
  EXPECT_NE(options.Validate().message().find("recovered_agents_unreachable_per_second"),
            std::string::npos);
  options.recovered_agents_unreachable_per_second = 10;
  EXPECT_TRUE(options.Validate().ok());
}

}  // namespace
}  // namespace agora::master
