// The scale benchmark end to end on a small fleet (the real agora-master
// and agora-bench binaries): the counts it reports agree with each
// other and with GetState; bad arguments are refused naming the flag.
#include "fleet/scale.hpp"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/subprocess.hpp"

namespace agora::bench {
namespace {

// The number after "\"key\":" in a flat JSON object; -1 if absent.
double Field(const std::string& json, const std::string& key) {
  const std::string marker = absl::StrCat("\"", key, "\":");
  const size_t at = json.find(marker);
  if (at == std::string::npos) return -1;
  const size_t start = at + marker.size();
  const size_t end = json.find_first_of(",}", start);
  double value = -1;
  if (!absl::SimpleAtod(json.substr(start, end - start), &value)) return -1;
  return value;
}

TEST(BenchScaleTest, SmallFleetReportsConsistentCounts) {
  testing::TempDir dir;
  auto result =
      testing::RunCommand({testing::BinaryPath("agora-bench"), "scale", "--agents", "50",
                           "--tasks=200", "--frameworks=2", "--state_calls=3", "--timeout=60",
                           absl::StrCat("--master_binary=", testing::BinaryPath("agora-master")),
                           absl::StrCat("--work_dir=", dir.path()), "--json"},
                          absl::Seconds(90));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->output;
  const std::string& json = result->output;
  EXPECT_EQ(Field(json, "agents_registered"), 50) << json;
  EXPECT_EQ(Field(json, "state_agents"), 50) << json;
  EXPECT_EQ(Field(json, "tasks_running"), 200) << json;
  EXPECT_EQ(Field(json, "state_tasks_running"), 200) << json;
  EXPECT_EQ(Field(json, "tasks_terminal"), 0) << json;
  EXPECT_EQ(Field(json, "get_state_calls"), 3) << json;
  EXPECT_GT(Field(json, "get_state_bytes"), 200 * 50) << json;
  EXPECT_GT(Field(json, "probe_loaded_calls"), 0) << json;
  EXPECT_GE(Field(json, "rss_after_tasks_bytes"), Field(json, "rss_before_agents_bytes")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"error\":\"\"")) << json;
}

TEST(BenchScaleTest, BadArgumentsNameTheFlag) {
  auto refused = [](std::vector<std::string> args) {
    auto options = ParseScaleArgs(args);
    EXPECT_FALSE(options.ok());
    return std::string(options.status().message());
  };
  EXPECT_TRUE(absl::StrContains(refused({"--agents=0"}), "--agents")) << refused({"--agents=0"});
  EXPECT_TRUE(absl::StrContains(refused({"--tasks", "many"}), "--tasks"));
  EXPECT_TRUE(absl::StrContains(refused({"--frameworks"}), "--frameworks"));
  EXPECT_TRUE(absl::StrContains(refused({"--bogus=1"}), "--bogus"));
  EXPECT_TRUE(absl::StrContains(refused({"--agents=1", "--tasks=1000"}), "--tasks"));
  EXPECT_TRUE(absl::StrContains(refused({"--json=maybe"}), "--json"));

  auto quick = ParseScaleArgs({"--quick", "--agents=2000"});
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->agents, 2000);
  EXPECT_EQ(quick->tasks, 10000);
  EXPECT_EQ(quick->frameworks, 10);

  // The program itself refuses with exit code 2 and names the flag.
  auto result = testing::RunCommand({testing::BinaryPath("agora-bench"), "scale", "--agents=-3"},
                                    absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_TRUE(absl::StrContains(result->output, "--agents")) << result->output;
}

}  // namespace
}  // namespace agora::bench
