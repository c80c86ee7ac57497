// Agents given --master=zk://... follow a leader change: when a new master
// is elected (here: the leader's election znode goes while its server keeps
// the agents' streams open), every agent leaves the old master and
// re-registers with the new one within 2 s, with the default registration
// backoff. Real ZooKeeper, real in-process Agents, fake masters
// (tests/cluster/agent/fake_master.hpp) on loopback.
#include <set>

#include "agent/agent.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "zk_contender.hpp"

namespace agora::testing {
namespace {

// The distinct agents (by address) that registered with `master`.
size_t AgentsRegisteredWith(FakeMaster& master) {
  std::set<std::string> agents;
  for (const internal::AgentMessage& message : master.registrations()) {
    agents.insert(message.has_register_() ? message.register_().agent_info().address()
                                          : message.reregister().agent_info().address());
  }
  return agents.size();
}

TEST(ZkAgentLeaderChangeTest, AFleetReregistersWithTheNewLeaderWithinTwoSeconds) {
  TempDir dir;
  auto server = ZooKeeperServer::Start(dir.path() + "/zk");
  ASSERT_TRUE(server.ok()) << server.status();
  FakeMaster master_a;
  FakeMaster master_b;
  ZkContender contender_a((*server)->address(), absl::Seconds(10));
  ZkContender contender_b((*server)->address(), absl::Seconds(10));
  std::string a_node = contender_a.JoinAs("master-a", master_a.address());
  contender_b.JoinAs("master-b", master_b.address());

  constexpr size_t kAgents = 5;
  std::vector<std::unique_ptr<agent::Agent>> agents;
  for (size_t i = 0; i < kAgents; ++i) {
    agent::AgentOptions options;  // Default registration backoff.
    options.master = "zk://" + (*server)->address() + "/agora";
    options.work_dir = dir.path() + "/agent-" + std::to_string(i);
    options.port = 0;
    options.resources = "cpus:1;mem:128;disk:128";
    auto started = agent::Agent::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    agents.push_back(std::move(*started));
  }
  ASSERT_TRUE(master_a.WaitFor([&] { return AgentsRegisteredWith(master_a) == kAgents; }));

  absl::Time elected = absl::Now();
  ASSERT_TRUE(contender_a.Delete(a_node).ok());  // master-b leads from now on.
  ASSERT_TRUE(master_b.WaitFor([&] { return AgentsRegisteredWith(master_b) == kAgents; },
                               absl::Seconds(20)));
  absl::Duration took = absl::Now() - elected;
  std::cout << kAgents << " agents re-registered with the new leader in " << took << std::endl;
  EXPECT_LT(took, absl::Seconds(2));
  for (const auto& agent : agents) {
    EXPECT_TRUE(WaitFor([&] { return agent->registered(); }, absl::Seconds(10)));
  }
  for (auto& agent : agents) agent->Shutdown();
}

}  // namespace
}  // namespace agora::testing
