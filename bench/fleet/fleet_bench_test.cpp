// agora-bench as a user runs it (system tier, ~10 s): a small throughput
// run against the real agora-master reports tasks that reached RUNNING and
// were acknowledged, with consistent counts; bad flags are refused naming
// the flag.
#include <algorithm>
#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora::bench {
namespace {

using google::protobuf::Struct;

testing::CommandResult RunBench(std::vector<std::string> args) {
  args.insert(args.begin(), testing::BinaryPath("agora-bench"));
  auto result = testing::RunCommand(args, absl::Seconds(120));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : testing::CommandResult{};
}

// The last line of the output that starts with '{', parsed.
Struct ParseJson(const std::string& output) {
  size_t start = output.rfind("\n{");
  std::string line = output.substr(start == std::string::npos ? 0 : start + 1);
  line = line.substr(0, line.find('\n'));
  Struct json;
  auto status = google::protobuf::util::JsonStringToMessage(line, &json);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in: " << output;
  return json;
}

double Number(const Struct& json, const std::string& object, const std::string& field) {
  const Struct& inner = object.empty() ? json : json.fields().at(object).struct_value();
  auto it = inner.fields().find(field);
  EXPECT_NE(it, inner.fields().end()) << object << "." << field;
  return it == inner.fields().end() ? -1 : it->second.number_value();
}

TEST(FleetBenchTest, ThroughputRunsTasksToRunningAndAcknowledgesThem) {
  testing::TempDir dir;
  testing::CommandResult run =
      RunBench({"throughput", "--agents=20", "--frameworks=2", "--roles=2", "--warmup=3s",
                "--duration=5s", "--task_duration=1s", "--tasks_per_offer=20", "--window=200",
                "--json", "--bench_dir=" + dir.path()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  Struct json = ParseJson(run.output);
  EXPECT_EQ(Number(json, "", "agents_registered"), 20);
  // Tasks reached RUNNING, were acknowledged, and finished after 1 s.
  const double running = Number(json, "counts", "running_acked");
  EXPECT_GT(running, 0) << run.output;
  EXPECT_GT(Number(json, "counts", "finished"), 0);
  EXPECT_EQ(Number(json, "counts", "failed"), 0);
  // The JSON rounds the rate to 0.1/s and the window to 1 ms: at thousands
  // of tasks per second their product is off by about a task per thousand.
  EXPECT_NEAR(Number(json, "", "running_acked_per_s") * Number(json, "", "window_s"), running,
              std::max(1.0, running * 1e-3));
  // Over the whole run every stage saw at least the tasks of the next one.
  const double launched = Number(json, "total_counts", "launched");
  const double arrived = Number(json, "total_counts", "arrived");
  const double total_running = Number(json, "total_counts", "running_acked");
  EXPECT_GE(launched, arrived);
  EXPECT_GE(arrived, total_running);
  EXPECT_GE(total_running, Number(json, "total_counts", "finished"));
  EXPECT_EQ(Number(json, "accept_to_running", "count"), running);
  EXPECT_LE(Number(json, "accept_to_running", "p50_ms"),
            Number(json, "accept_to_running", "max_ms"));
  // The loop probes answered as expected.
  EXPECT_GT(Number(json, "probe_get_health", "count"), 0);
  EXPECT_GT(Number(json, "probe_accept", "count"), 0);
  EXPECT_EQ(Number(json, "", "probe_unexpected"), 0);
  EXPECT_GT(Number(json, "", "master_cpu_s"), 0);
}

TEST(FleetBenchTest, RefusesBadFlagsNamingThem) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{"throughput", "--agents=0"}, "--agents: must be at least 1"},
      {{"throughput", "--agents=many"}, "--agents: 'many' is not an integer"},
      {{"throughput", "--bogus=1"}, "--bogus: unknown flag"},
      {{"throughput", "--tasks_per_offer=100", "--window=10"}, "--window: must be at least"},
      {{"loop", "--duration=soon"}, "--duration:"},
      {{"loop", "--load=heavy"}, "--load: 'heavy' is not pack, decline or idle"},
      {{"throughput", "--fleet_nice=20"}, "--fleet_nice: must be 0..19, got 20"},
      {{"nosuch"}, "unknown workload 'nosuch'"},
  };
  for (const Case& c : cases) {
    testing::CommandResult run = RunBench(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args.back() << ": " << run.output;
    EXPECT_NE(run.output.find(c.expected), std::string::npos) << run.output;
  }
  testing::CommandResult help = RunBench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("throughput"), std::string::npos);
  EXPECT_NE(help.output.find("loop"), std::string::npos);
}

}  // namespace
}  // namespace agora::bench
