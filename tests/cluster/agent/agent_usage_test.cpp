// Per-container usage from the cgroup: GetContainers and /metrics of an
// agent that isolates with cgroups, a real command task in its cgroup.
// Skipped (saying why) where this machine's cgroups are not writable.
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "agent/isolator.hpp"
#include "agent_cluster_fixture.hpp"
#include "agora/v1/agent.grpc.pb.h"
#include "common/resources.hpp"
#include "gmock/gmock.h"
#include "tests/support/http_get.hpp"
#include "tests/support/promtool.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::agent {
namespace {

using ::testing::HasSubstr;

class ContainerUsageTest : public CgroupsClusterTest {
 protected:
  void StartCgroupsAgent() {
    AgentOptions options = Options();
    options.isolation = AgentOptions::Isolation::kCgroups;
    options.http_port = 0;
    StartAgent(options);
    stub_ = v1::AgentOperator::NewStub(
        grpc::CreateChannel(agent_->address(), grpc::InsecureChannelCredentials()));
  }

  // Task `task_id` running `command` with resources "cpus:0.5;mem:64".
  static internal::MasterMessage RunLimited(const std::string& task_id,
                                            const std::string& command) {
    internal::MasterMessage message = RunCommand(task_id, command);
    auto parsed = Resources::Parse("cpus:0.5;mem:64");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    *message.mutable_run_tasks()->mutable_tasks(0)->mutable_resources() = parsed->ToProto();
    return message;
  }

  v1::GetContainersResponse Containers() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::GetContainersResponse response;
    grpc::Status status = stub_->GetContainers(&context, v1::GetContainersRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::unique_ptr<v1::AgentOperator::Stub> stub_;
};

TEST_F(ContainerUsageTest, GetContainersReportsTheCgroupsUsageAndTheTasksMemoryLimit) {
  StartCgroupsAgent();
  // Burns some CPU, then keeps a shell and a sleep alive.
  ASSERT_TRUE(master_.Send(RunLimited(
      "used", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo warm > warm; sleep 600")));
  ASSERT_TRUE(WaitForState("used", v1::TASK_RUNNING));
  ASSERT_TRUE(Eventually(
      [&] { return ReadWholeFile(dir_ + "/work/sandboxes/fw-1/used/latest/warm") == "warm\n"; }));

  v1::GetContainersResponse response = Containers();
  ASSERT_EQ(response.containers_size(), 1);
  const v1::ContainerStatus& container = response.containers(0);
  EXPECT_EQ(container.executor_id().value(), "used");
  EXPECT_THAT(container.isolation(), HasSubstr("cgroups-v"));
  EXPECT_EQ(container.statistics_source(), "cgroup");
  const v1::ResourceStatistics& stats = container.statistics();
  EXPECT_EQ(stats.mem_limit_bytes(), 64u * 1024 * 1024);  // The task's mem, from the cgroup.
  EXPECT_DOUBLE_EQ(stats.cpus_limit(), 0.5);
  EXPECT_GT(stats.mem_current_bytes(), 0u);
  EXPECT_GT(stats.mem_rss_bytes(), 0u);
  EXPECT_GE(stats.mem_peak_bytes(), stats.mem_current_bytes());
  EXPECT_GE(stats.processes(), 3u);  // Shim, shell, sleep: pids.current.
  EXPECT_GT(stats.cpus_total_time_secs(), 0);
  EXPECT_GT(stats.timestamp(), 0);
}

TEST_F(ContainerUsageTest, MetricsCarryPerContainerSeriesOnlyForLiveContainersAndPassPromtool) {
  StartCgroupsAgent();
  ASSERT_TRUE(master_.Send(RunLimited("metered", "exec sleep 600")));
  ASSERT_TRUE(WaitForState("metered", v1::TASK_RUNNING));
  std::string metrics;
  // The shim joins the cgroup before exec: the series appears with the
  // cgroup as its source.
  ASSERT_TRUE(Eventually([&] {
    metrics = testing::HttpGet(agent_->http_port(), "/metrics");
    return metrics.find("source=\"cgroup\"") != std::string::npos;
  })) << metrics;
  EXPECT_THAT(metrics, HasSubstr("executor_id=\"metered\",source=\"cgroup\"} 67108864"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE agora_agent_container_cpu_seconds_total counter"));
  EXPECT_THAT(metrics, HasSubstr("agora_agent_container_memory_current_bytes{container_id="));
  EXPECT_THAT(metrics, HasSubstr("agora_agent_container_processes{container_id="));

  if (std::string promtool = agora::testing::Promtool(); !promtool.empty()) {
    auto check =
        agora::testing::CheckMetrics(promtool, dir_, "agent", agora::testing::HttpBody(metrics));
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_EQ(check.output, "") << check.output;
  }

  // A finished container leaves no series behind.
  ASSERT_TRUE(master_.Send(KillMessage("metered")));
  ASSERT_FALSE(WaitForTerminal("metered").empty());
  ASSERT_TRUE(Eventually([&] {
    metrics = testing::HttpGet(agent_->http_port(), "/metrics");
    return metrics.find("agora_agent_container_processes{") == std::string::npos;
  })) << metrics;
}

}  // namespace
}  // namespace agora::agent
