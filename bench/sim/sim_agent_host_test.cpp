// SimAgentHost against a real standalone master (the agora-master binary):
// simulated agents register, run a real framework's tasks, report and
// retry their updates until acknowledged, re-register with their ids and
// tasks after a kill -9 and restart of the master, and follow the
// LeaderRedirect of a master that is not the leader.
#include "sim/sim_agent_host.hpp"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>

#include "agora/internal/agent_master.grpc.pb.h"
#include "common/grpc_status.hpp"
#include "failover/cluster.hpp"
#include "failover/packing_framework.hpp"
#include "failover/probes.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora::sim {
namespace {

using bench::BenchCluster;
using bench::ClusterOptions;
using bench::CountTasks;
using bench::PackingFramework;
using testing::BinaryPath;
using testing::TempDir;
using testing::WaitFor;

constexpr absl::Duration kTimeout = absl::Seconds(60);

std::unique_ptr<BenchCluster> StartMaster(const TempDir& dir) {
  ClusterOptions options;
  options.work_dir = dir.path();
  options.master_binary = BinaryPath("agora-master");
  auto cluster = BenchCluster::Start(options, kTimeout);
  EXPECT_TRUE(cluster.ok()) << cluster.status();
  return cluster.ok() ? std::move(*cluster) : nullptr;
}

std::unique_ptr<SimAgentHost> StartAgents(const std::string& master, int agents,
                                          absl::Duration task_duration = absl::ZeroDuration(),
                                          int loops = 1) {
  SimAgentHostOptions options;
  options.master = master;
  options.agents = agents;
  options.loops = loops;
  options.agent.task_duration = task_duration;
  auto host = SimAgentHost::Create(options);
  EXPECT_TRUE(host.ok()) << host.status();
  if (!host.ok()) return nullptr;
  (*host)->Start();
  return std::move(*host);
}

// 20 agents on `loops` loops, 3 tasks each; the master restarts; every
// agent re-registers with its id and tasks.
void ExpectReregistrationAfterARestart(int loops) {
  TempDir dir;
  auto cluster = StartMaster(dir);
  ASSERT_NE(cluster, nullptr);
  const std::string address = cluster->master(0).address();
  auto host = StartAgents(cluster->MasterSpec(), 20, absl::ZeroDuration(), loops);
  ASSERT_NE(host, nullptr);
  ASSERT_TRUE(
      host->WaitUntil([](const SimFleetSummary& s) { return s.registered == 20; }, kTimeout));
  PackingFramework framework(20, 3);
  framework.Start(cluster->MasterSpec());
  ASSERT_TRUE(WaitFor([&] { return framework.running() == 60; }, kTimeout));
  std::map<std::string, std::string> ids;  // hostname -> agent id
  for (const SimAgentStats& stats : host->Stats()) {
    EXPECT_EQ(stats.active_tasks, 3u) << stats.hostname;
    ids[stats.hostname] = stats.agent_id;
  }
  ASSERT_EQ(ids.size(), 20u);

  const absl::Time kill = absl::Now();
  ASSERT_TRUE(cluster->Restart(0).ok());
  EXPECT_TRUE(host->WaitUntil([](const SimFleetSummary& s) { return s.admitted_since == 20; },
                              kTimeout, kill));
  for (const SimAgentStats& stats : host->Stats()) {
    EXPECT_EQ(stats.agent_id, ids[stats.hostname]) << "the master re-admitted the agent as new";
    EXPECT_GT(stats.times.reregistered, kill) << stats.hostname;
    EXPECT_GE(stats.reconnects, 1u) << stats.hostname;
  }
  EXPECT_TRUE(
      WaitFor([&] { return CountTasks(address, v1::TASK_RUNNING).value_or(0) == 60; }, kTimeout));
  EXPECT_TRUE(WaitFor([&] { return framework.reregistered_at() > kill; }, kTimeout));
  EXPECT_EQ(framework.terminal(), 0);
  framework.Stop();
  host->Stop();
}

TEST(SimAgentHostTest, ReregistersWithItsIdsAndTasksAfterTheMasterRestarts) {
  ExpectReregistrationAfterARestart(/*loops=*/1);
}

TEST(SimAgentHostTest, AgentsSpreadOverSeveralLoopsReregisterAfterTheMasterRestarts) {
  ExpectReregistrationAfterARestart(/*loops=*/3);
}

TEST(SimAgentHostTest, FinishedTasksAreAcknowledgedAndForgotten) {
  TempDir dir;
  auto cluster = StartMaster(dir);
  ASSERT_NE(cluster, nullptr);
  auto host = StartAgents(cluster->MasterSpec(), 2, absl::Milliseconds(100));
  ASSERT_NE(host, nullptr);
  PackingFramework framework(2, 2);
  framework.Start(cluster->MasterSpec());
  // The framework saw every TASK_FINISHED; the agents dropped the tasks only
  // after the master relayed the acknowledgements.
  EXPECT_TRUE(WaitFor([&] { return framework.terminal() == 4; }, kTimeout));
  EXPECT_TRUE(host->WaitUntil(
      [](const SimFleetSummary& s) { return s.held_tasks == 0 && s.registered == 2; }, kTimeout));
  EXPECT_EQ(CountTasks(cluster->master(0).address(), v1::TASK_RUNNING).value_or(-1), 0);
  framework.Stop();
  host->Stop();
}

// A master that is not the leader: every stream ends UNAVAILABLE with a
// LeaderRedirect naming `leader`.
class NotLeaderService : public internal::AgentChannel::CallbackService {
 public:
  explicit NotLeaderService(std::string leader) : leader_(std::move(leader)) {}
  grpc::ServerBidiReactor<internal::AgentMessage, internal::MasterMessage>* Connect(
      grpc::CallbackServerContext* context) override {
    calls_++;
    return new Refusal(ToGrpcStatus(NotLeaderError(leader_, "leader")));
  }
  int calls() const { return calls_.load(); }

 private:
  class Refusal : public grpc::ServerBidiReactor<internal::AgentMessage, internal::MasterMessage> {
   public:
    explicit Refusal(const grpc::Status& status) { Finish(status); }
    void OnDone() override { delete this; }
  };
  const std::string leader_;
  std::atomic<int> calls_{0};
};

TEST(SimAgentHostTest, FollowsTheLeaderRedirectOfANonLeadingMaster) {
  TempDir dir;
  auto cluster = StartMaster(dir);
  ASSERT_NE(cluster, nullptr);
  const std::string leader = cluster->master(0).address();
  NotLeaderService service(leader);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);

  auto host = StartAgents("127.0.0.1:" + std::to_string(port), 5);
  ASSERT_NE(host, nullptr);
  EXPECT_TRUE(
      host->WaitUntil([](const SimFleetSummary& s) { return s.registered == 5; }, kTimeout));
  for (const SimAgentStats& stats : host->Stats()) EXPECT_EQ(stats.master, leader);
  EXPECT_GE(service.calls(), 5);
  host->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST(SimAgentHostTest, RefusesAnInvalidMasterSpecOrResources) {
  SimAgentHostOptions options;
  options.master = "no-port";
  EXPECT_EQ(SimAgentHost::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.master = "127.0.0.1:5050";
  options.agent.resources = "cpus:-1";
  auto host = SimAgentHost::Create(options);
  EXPECT_EQ(host.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(host.status().message().find("agent.resources"), std::string::npos) << host.status();
  options.agent.resources = "cpus:1";
  options.loops = 0;
  host = SimAgentHost::Create(options);
  EXPECT_EQ(host.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(host.status().message().find("loops: must be at least 1"), std::string::npos)
      << host.status();
}

}  // namespace
}  // namespace agora::sim
