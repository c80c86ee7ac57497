#include "agent/agent_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "common/validation.hpp"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

AgentOptions ValidOptions() {
  AgentOptions options;
  options.master = "127.0.0.1:5050";
  options.work_dir = "/tmp/agora-work";
  return options;
}

TEST(AgentOptionsTest, DefaultsWithMasterAndWorkDirAreValid) {
  EXPECT_TRUE(ValidOptions().Validate().ok());
}

TEST(AgentOptionsTest, LaunchLimitsDefaultToTwiceTheCpusAndAHundredThousand) {
  AgentOptions options;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(options.max_concurrent_launches, std::max(2L, 2 * cpus));
  EXPECT_GE(options.max_concurrent_launches, 2);
  EXPECT_EQ(options.max_queued_launches, 100000);
  options = ValidOptions();
  options.max_concurrent_launches = 1;
  options.max_queued_launches = 0;  // No queue: launches beyond the limit are dropped.
  EXPECT_TRUE(options.Validate().ok());
}

TEST(AgentOptionsTest, RejectsBadValuesNamingTheFlag) {
  auto expect_field = [](AgentOptions options, const std::string& field) {
    absl::Status status = options.Validate();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
    EXPECT_EQ(ViolatedField(status).value_or(""), field) << status;
  };
  AgentOptions options = ValidOptions();
  options.master = "";
  expect_field(options, "--master");
  options = ValidOptions();
  options.master = "zk://localhost:2181";  // No path.
  expect_field(options, "--master");
  options = ValidOptions();
  options.master = "m1:5050,,m3:5050";
  expect_field(options, "--master[1]");
  options = ValidOptions();
  options.master = "nohostport";
  expect_field(options, "--master");
  options = ValidOptions();
  options.work_dir = "relative/dir";
  expect_field(options, "--work_dir");
  options = ValidOptions();
  options.max_concurrent_launches = 0;
  expect_field(options, "--max_concurrent_launches");
  options.max_concurrent_launches = -3;
  expect_field(options, "--max_concurrent_launches");
  options = ValidOptions();
  options.max_queued_launches = -1;
  expect_field(options, "--max_queued_launches");
  options = ValidOptions();
  options.cgroups_pids_max = -1;
  expect_field(options, "--cgroups_pids_max");
  options = ValidOptions();
  options.cgroups_pool_size = -1;
  expect_field(options, "--cgroups_pool_size");
  options.cgroups_pool_size = 5000;
  expect_field(options, "--cgroups_pool_size");
  options = ValidOptions();
  options.container_log_max_size = -1;
  expect_field(options, "--container_log_max_size");
  options = ValidOptions();
  options.container_log_max_files = 0;
  expect_field(options, "--container_log_max_files");
  options = ValidOptions();
  options.port = 70000;
  expect_field(options, "--port");
  options = ValidOptions();
  options.resources = "cpus:-1";
  expect_field(options, "--resources");
  options = ValidOptions();
  options.attributes = "rack";
  expect_field(options, "--attributes");
  options = ValidOptions();
  options.executor_path = "/nonexistent/agora-executor";
  expect_field(options, "--executor_path");
  options = ValidOptions();
  options.executor_registration_timeout = absl::ZeroDuration();
  expect_field(options, "--executor_registration_timeout");
}

TEST(AgentOptionsTest, ZeroOrNegativeResourcesAreAnErrorNamingTheResource) {
  AgentOptions options = ValidOptions();
  options.resources = "cpus:0;mem:0";
  absl::Status status = options.Validate();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(ViolatedField(status).value_or(""), "--resources") << status;
  EXPECT_NE(status.message().find("cpus must be positive"), absl::string_view::npos) << status;
  options.resources = "cpus:2;mem:0";
  status = options.Validate();
  EXPECT_NE(status.message().find("mem must be positive"), absl::string_view::npos) << status;
  options.resources = "cpus:-1";
  EXPECT_FALSE(options.Validate().ok());
  options.resources = "cpus:0.5;ports:[31000-31010]";
  EXPECT_TRUE(options.Validate().ok());
}

TEST(AgentOptionsTest, RelativeWorkDirIsRefused) {
  AgentOptions options = ValidOptions();
  options.work_dir = "work";
  absl::Status status = options.Validate();
  EXPECT_EQ(ViolatedField(status).value_or(""), "--work_dir") << status;
  EXPECT_NE(status.message().find("absolute"), absl::string_view::npos) << status;
}

TEST(AgentOptionsTest, StatusUpdateRetriesStartAtTenSecondsAndAreBoundedByMax) {
  AgentOptions options = ValidOptions();
  EXPECT_EQ(options.status_update_retry_min, absl::Seconds(10));
  EXPECT_EQ(options.status_update_retry_max, absl::Minutes(10));
  options.status_update_retry_max = absl::Seconds(5);
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--status_update_retry_max");
  options = ValidOptions();
  options.status_update_retry_min = absl::ZeroDuration();
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--status_update_retry_min");
}

TEST(AgentOptionsTest, SandboxGcDefaultsToADayAndATenthOfTheDiskAndChecksItsFlags) {
  AgentOptions options = ValidOptions();
  EXPECT_EQ(options.gc_delay, absl::Hours(24));
  EXPECT_DOUBLE_EQ(options.gc_disk_headroom, 0.1);
  EXPECT_EQ(options.disk_watch_interval, absl::Minutes(1));
  options.gc_delay = absl::ZeroDuration();  // Remove at once.
  options.gc_disk_headroom = 0;             // Age only.
  EXPECT_TRUE(options.Validate().ok());
  options.gc_disk_headroom = 1;
  EXPECT_TRUE(options.Validate().ok());
  options.gc_disk_headroom = 1.5;
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--gc_disk_headroom");
  options.gc_disk_headroom = -0.1;
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--gc_disk_headroom");
  options.gc_disk_headroom = std::nan("");
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--gc_disk_headroom");
  options = ValidOptions();
  options.gc_delay = -absl::Seconds(1);
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--gc_delay");
  options = ValidOptions();
  options.disk_watch_interval = absl::ZeroDuration();
  EXPECT_EQ(ViolatedField(options.Validate()).value_or(""), "--disk_watch_interval");
}

TEST(AttributesTest, ParsesTextScalarRangesAndSets) {
  auto attributes = ParseAttributes("rack:r1; zone:a;slots:[1-4,8-9];index:3;tags:{ssd,gpu}");
  ASSERT_TRUE(attributes.ok()) << attributes.status();
  ASSERT_EQ(attributes->size(), 5);
  EXPECT_EQ((*attributes)[0].name(), "rack");
  EXPECT_EQ((*attributes)[0].text(), "r1");
  EXPECT_EQ((*attributes)[1].text(), "a");
  ASSERT_EQ((*attributes)[2].ranges().range_size(), 2);
  EXPECT_EQ((*attributes)[2].ranges().range(1).begin(), 8u);
  EXPECT_EQ((*attributes)[3].scalar(), 3.0);
  EXPECT_EQ((*attributes)[4].set().item_size(), 2);
}

TEST(AttributesTest, EmptyIsNoAttributes) {
  auto attributes = ParseAttributes("");
  ASSERT_TRUE(attributes.ok());
  EXPECT_TRUE(attributes->empty());
}

TEST(AttributesTest, RejectsMalformedEntries) {
  EXPECT_FALSE(ParseAttributes("rack").ok());
  EXPECT_FALSE(ParseAttributes(":r1").ok());
  EXPECT_FALSE(ParseAttributes("rack:").ok());
  EXPECT_FALSE(ParseAttributes("rack:r1;rack:r2").ok());
  EXPECT_FALSE(ParseAttributes("slots:[4-1]").ok());
}

TEST(AgentResourcesTest, DefaultsReserveMemoryAndDiskAndAddPorts) {
  MachineResources machine{4, 8192, 102400};
  Resources resources = DefaultResources(machine);
  EXPECT_EQ(resources.cpus(), 4);
  EXPECT_EQ(resources.mem(), 8192 - 1024);
  EXPECT_EQ(resources.disk(), 102400 - 5120);
  ASSERT_EQ(resources.ports().size(), 1u);
  EXPECT_EQ(resources.ports()[0].begin, 31000u);
  EXPECT_EQ(resources.ports()[0].end, 32000u);
}

TEST(AgentResourcesTest, SmallMachinesKeepHalf) {
  Resources resources = DefaultResources(MachineResources{1, 1024, 4096});
  EXPECT_EQ(resources.mem(), 512);
  EXPECT_EQ(resources.disk(), 2048);
}

TEST(AgentResourcesTest, FlagReplacesOnlyTheNamesItGives) {
  MachineResources machine{4, 8192, 102400};
  auto resources = AgentResources("cpus:2;gpus:1", machine);
  ASSERT_TRUE(resources.ok()) << resources.status();
  EXPECT_EQ(resources->cpus(), 2);
  EXPECT_EQ(resources->gpus(), 1);
  EXPECT_EQ(resources->mem(), 8192 - 1024);
  EXPECT_EQ(resources->ports().size(), 1u);
}

TEST(AgentResourcesTest, BadFlagNamesResources) {
  auto resources = AgentResources("cpus:abc", MachineResources{4, 8192, 102400});
  ASSERT_FALSE(resources.ok());
  EXPECT_EQ(ViolatedField(resources.status()).value_or(""), "--resources");
}

TEST(AgentResourcesTest, DetectsThisMachine) {
  MachineResources machine = DetectMachine("/tmp/does/not/exist/yet");
  EXPECT_GE(machine.cpus, 1);
  EXPECT_GT(machine.mem_mib, 0);
  EXPECT_GT(machine.disk_mib, 0);
}

}  // namespace
}  // namespace agora::agent
