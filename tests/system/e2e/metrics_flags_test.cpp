// System tests of the operator surface's flags and metrics on the real
// agora-master and agora-agent: a bad flag is refused naming it (exit 2),
// unit-suffixed values are accepted, and both daemons' /metrics pass
// `promtool check metrics` (Debian's prometheus package) after a task ran.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"
#include "tests/support/promtool.hpp"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {
namespace {

TEST(FlagsSystemTest, MasterRefusesABadDurationNamingTheFlag) {
  TempDir dir;
  auto run = RunCommand({BinaryPath("agora-master"), "--work_dir=" + dir.path() + "/m", "--port=0",
                         "--http_port=-1", "--offer_timeout=soon"},
                        absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_NE(run->output.find("agora-master: invalid flag --offer_timeout: 'soon' is not a "
                             "duration such as 250ms, 90s, 2m or 7days"),
            std::string::npos)
      << run->output;
}

TEST(FlagsSystemTest, MasterRefusesAnOutOfRangePortAndABadSize) {
  TempDir dir;
  for (auto [flag, expected] :
       {std::pair{"--port=70000", "invalid flag --port: must be in [0, 65535], got 70000"},
        std::pair{"--max_message_bytes=64mib",
                  "invalid flag --max_message_bytes: '64mib' has an unknown unit 'mib'"}}) {
    auto run = RunCommand(
        {BinaryPath("agora-master"), "--work_dir=" + dir.path() + "/m", "--http_port=-1", flag},
        absl::Seconds(60));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code, 2) << run->output;
    EXPECT_NE(run->output.find(expected), std::string::npos) << run->output;
  }
}

TEST(FlagsSystemTest, AgentRefusesANegativeDurationNamingTheFlag) {
  TempDir dir;
  auto run = RunCommand(
      {BinaryPath("agora-agent"), "--master=127.0.0.1:1", "--work_dir=" + dir.path() + "/a",
       "--port=0", "--http_port=-1", "--executor_registration_timeout=-1m"},
      absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_NE(run->output.find("agora-agent: invalid flag --executor_registration_timeout: '-1m' "
                             "is negative"),
            std::string::npos)
      << run->output;
}

TEST(FlagsSystemTest, AgentReadsAFlagfileAndValidatesItsValues) {
  TempDir dir;
  std::string flagfile = dir.path() + "/agent.flags";
  std::ofstream(flagfile) << "# agent flags\n--master=127.0.0.1:1\n--http_port=-1\n"
                          << "--executor_shutdown_grace_period=forever\n";
  auto run = RunCommand({BinaryPath("agora-agent"), "--flagfile=" + flagfile,
                         "--work_dir=" + dir.path() + "/a", "--port=0"},
                        absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_NE(run->output.find("agora-agent: invalid flag --executor_shutdown_grace_period: "
                             "'forever' is not a duration"),
            std::string::npos)
      << run->output;
}

TEST(FlagsSystemTest, EnvironmentVariableValuesAreValidatedLikeFlags) {
  TempDir dir;
  auto run = RunCommand(
      {BinaryPath("agora-master"), "--work_dir=" + dir.path() + "/m", "--port=0", "--http_port=-1"},
      absl::Seconds(60), {"AGORA_ALLOCATION_INTERVAL=0s"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_NE(run->output.find("invalid flag --allocation_interval: must be a positive, finite "
                             "duration, got 0 (set by AGORA_ALLOCATION_INTERVAL)"),
            std::string::npos)
      << run->output;
}

// A cluster started with unit-suffixed values runs a task; then both
// daemons' /metrics are scraped and checked by promtool.
TEST(MetricsSystemTest, BothDaemonsPassPromtoolAfterATaskRan) {
  TempDir dir;
  ProcessCluster cluster(dir.path());
  ASSERT_TRUE(
      cluster
          .StartMaster({"--offer_timeout=90s", "--allocation_interval=250ms",
                        "--agent_reregister_timeout=2m",
                        "--framework_failover_timeout_default=7days", "--max_message_bytes=8MiB"})
          .ok())
      << cluster.Logs();
  ASSERT_TRUE(cluster
                  .StartAgent("cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
                              {"--executor_registration_timeout=1m30s",
                               "--executor_shutdown_grace_period=1500ms"})
                  .ok())
      << cluster.Logs();
  CommandResult run = cluster.Cli({"run", "--name", "metrics", "--command", "true", "--instances",
                                   "2", "--cpus", "0.1", "--mem", "16"});
  ASSERT_EQ(run.exit_code, 0) << run.output << cluster.Logs();

  std::string master = HttpBody(HttpGet(cluster.master_http_port(), "/metrics"));
  std::string agent = HttpBody(HttpGet(cluster.agent_http_port(0), "/metrics"));
  // The families carry samples of what just happened.
  EXPECT_EQ(MetricValue(master, "agora_master_tasks_launched_total"), 2) << master;
  EXPECT_EQ(MetricValue(master, "agora_master_agents_by_status{status=\"active\"}"), 1) << master;
  EXPECT_GE(MetricValue(master, "agora_master_status_updates_forwarded_total"), 4) << master;
  EXPECT_GT(MetricValue(master, "agora_master_allocation_cycle_seconds_count"), 0) << master;
  EXPECT_GT(MetricValue(master, "agora_master_registry_write_seconds_count"), 0) << master;
  EXPECT_GT(MetricValue(master, "process_resident_memory_bytes"), 0) << master;
  EXPECT_GT(MetricValue(master, "process_open_fds"), 0) << master;
  EXPECT_NE(master.find("# TYPE agora_master_event_loop_lag_seconds histogram"), std::string::npos)
      << master;
  EXPECT_GE(MetricValue(agent, "agora_agent_status_updates_acknowledged_total"), 4) << agent;
  // Acknowledged terminal tasks are forgotten by the agent: count what it
  // received instead (RUNNING and FINISHED of each task at least).
  EXPECT_GE(MetricValue(agent, "agora_agent_status_updates_received_total"), 4) << agent;
  EXPECT_GT(MetricValue(agent, "process_cpu_seconds_total"), 0) << agent;

  std::string promtool = Promtool();
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool is absent (Debian package 'prometheus'; scripts/install-deps "
                    "installs it): /metrics not checked";
  }
  // The check is live: a lint problem is reported.
  CommandResult bad =
      CheckMetrics(promtool, dir.path(), "bad",
                   "# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n");
  EXPECT_NE(bad.output.find("_total"), std::string::npos) << bad.output;
  for (auto [name, text] : {std::pair{"master", master}, std::pair{"agent", agent}}) {
    CommandResult check = CheckMetrics(promtool, dir.path(), name, text);
    EXPECT_EQ(check.exit_code, 0) << name << ": " << check.output;
    EXPECT_EQ(check.output, "") << name << " lint: " << check.output;
  }
}

}  // namespace
}  // namespace agora::testing
