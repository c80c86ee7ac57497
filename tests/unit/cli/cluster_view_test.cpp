#include "cli/cluster_view.hpp"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace agora::cli {
namespace {

v1::MasterInfo Master(const std::string& id, int port) {
  v1::MasterInfo info;
  info.set_id(id);
  info.set_address("10.0.0.1:" + std::to_string(port));
  info.set_http_address("10.0.0.1:" + std::to_string(port + 5));
  info.set_hostname("m-" + id);
  info.mutable_version()->set_version("0.1.0");
  info.set_start_time(1000);
  return info;
}

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Resource::SCALAR);
  r.set_scalar(value);
  return r;
}

v1::MasterState ThreeMasters() {
  v1::MasterState state;
  *state.mutable_master() = Master("b", 5051);
  state.mutable_master()->set_elected_time(1100);
  *state.add_masters() = state.master();
  *state.add_masters() = Master("a", 5050);
  *state.add_masters() = Master("c", 5052);
  for (int i = 0; i < 2; ++i) {
    v1::AgentSummary* agent = state.add_agents();
    agent->set_status(v1::AgentSummary::ACTIVE);
    agent->set_connected(i == 0);
    *agent->add_total() = Scalar("cpus", 4);
    *agent->add_allocated() = Scalar("cpus", 1.5);
  }
  state.add_frameworks()->set_connected(true);
  state.add_tasks();
  return state;
}

TEST(ClusterViewTest, NamesTheLeaderAndEveryStandby) {
  const std::string text = ClusterText(ThreeMasters(), absl::FromUnixSeconds(1200));
  EXPECT_TRUE(absl::StrContains(text, "Leader: 10.0.0.1:5051 (leading since 1m40s ago)")) << text;
  EXPECT_TRUE(absl::StrContains(text, "leader   10.0.0.1:5051  10.0.0.1:5056  b")) << text;
  EXPECT_TRUE(absl::StrContains(text, "standby  10.0.0.1:5050")) << text;
  EXPECT_TRUE(absl::StrContains(text, "standby  10.0.0.1:5052")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Agents:      2 (1 active and connected)")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Tasks:       1 active, 0 completed")) << text;
  EXPECT_TRUE(absl::StrContains(text, "cpus 3/8")) << text;
}

TEST(ClusterViewTest, AStandaloneMasterIsItsOwnLeader) {
  v1::MasterState state;
  *state.mutable_master() = Master("solo", 5050);
  const std::string text = ClusterText(state, absl::FromUnixSeconds(1200));
  EXPECT_TRUE(absl::StrContains(text, "leader  10.0.0.1:5050")) << text;
  EXPECT_FALSE(absl::StrContains(text, "standby")) << text;
}

TEST(ClusterViewTest, JsonCarriesTheSameFigures) {
  const std::string json = ClusterJson(ThreeMasters());
  EXPECT_TRUE(absl::StrContains(json, "\"agents\": 2")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"active_tasks\": 1")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"cpus\": {\"total\": 8, \"allocated\": 3}")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"address\":\"10.0.0.1:5052\"")) << json;
}

}  // namespace
}  // namespace agora::cli
