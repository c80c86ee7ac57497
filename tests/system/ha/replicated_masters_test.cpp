// Replicated masters as an operator runs them: three agora-master processes
// electing a leader in a real ZooKeeper (Debian's package), real agents,
// executors and frameworks; the leader killed, frozen, or cut off from
// ZooKeeper while work runs.
#include "tests/system/ha/replicated_masters.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "tests/system/e2e/process_cluster.hpp"
#include "tests/system/fault/fault_support.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

constexpr char kAgentResources[] = "cpus:4;mem:4096;disk:1024;ports:[31000-31100]";

class ReplicatedMastersTest : public ::testing::Test {
 protected:
  // ZooKeeper (`zk_servers` of them), then three masters with
  // `session_timeout` (seconds) and `flags`.
  void StartMasters(int session_timeout, int zk_servers = 1, std::vector<std::string> flags = {}) {
    session_timeout_ = absl::Seconds(session_timeout);
    auto zk = ZooKeeperEnsemble::Start(dir_.path() + "/zk", zk_servers);
    ASSERT_TRUE(zk.ok()) << zk.status();
    zk_ = std::move(*zk);
    zk_url_ = absl::StrCat("zk://", zk_->address(), "/agora");
    flags.push_back(absl::StrCat("--zk_session_timeout=", session_timeout));
    flags.push_back("--agent_reregister_timeout=60");
    masters_ = std::make_unique<ReplicatedMasters>(dir_.path(), zk_url_, 3, flags);
    ASSERT_TRUE(masters_->Start().ok()) << masters_->Logs();
    cluster_.UseMasters(zk_url_);
  }

  void KillLeaderMidRun(const std::function<void()>& during);

  std::string AllLogs() {
    std::string logs = masters_ ? masters_->Logs() : "";
    logs += cluster_.Logs();
    if (framework_) logs += "--- framework ---\n" + framework_->Log();
    return logs;
  }

  // Polls every master until `leader_after` (not `old_leader`) leads,
  // asserting at every sample that at most one master serves. Returns the
  // new leader's index (-1 after `timeout`).
  int WatchFailover(int old_leader, absl::Duration timeout) {
    int leader = -1;
    WaitFor(
        [&] {
          std::vector<size_t> serving = masters_->Serving();
          EXPECT_LE(serving.size(), 1u) << "two masters served at once";
          leader = masters_->Leader();
          return leader >= 0 && leader != old_leader;
        },
        timeout, absl::Milliseconds(50));
    return leader != old_leader ? leader : -1;
  }

  TempDir dir_;
  std::unique_ptr<ZooKeeperEnsemble> zk_;
  std::string zk_url_;
  absl::Duration session_timeout_;
  std::unique_ptr<ReplicatedMasters> masters_;
  ProcessCluster cluster_{dir_.path()};
  std::unique_ptr<FrameworkProcess> framework_;
};

TEST_F(ReplicatedMastersTest, ThreeMastersElectOneLeaderAndFollowersRedirect) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(2));
  const int leader = masters_->Leader();
  ASSERT_GE(leader, 0) << AllLogs();
  EXPECT_EQ(masters_->Serving(), std::vector<size_t>{static_cast<size_t>(leader)});
  EXPECT_EQ(masters_->ElectionsWon(), 1);
  for (size_t i = 0; i < masters_->size(); ++i) {
    if (static_cast<int>(i) == leader) continue;
    std::string ready = HttpGet(masters_->http_port(i), "/ready");
    EXPECT_NE(ready.find(" 503 "), std::string::npos) << ready;
    EXPECT_NE(ready.find("the leader is at " + masters_->address(leader)), std::string::npos)
        << ready;
    // A client pointed at a follower is redirected to the leader.
    CommandResult agents =
        RunCommand({BinaryPath("agora"), "agents", "--master", masters_->address(i)},
                   absl::Seconds(30))
            .value();
    EXPECT_EQ(agents.exit_code, 0) << agents.output;
  }
  // Clients given only the list of masters, or only ZooKeeper, find it.
  for (const std::string& spec : {masters_->List(), zk_url_}) {
    CommandResult agents =
        RunCommand({BinaryPath("agora"), "agents", "--master", spec}, absl::Seconds(30)).value();
    EXPECT_EQ(agents.exit_code, 0) << spec << ": " << agents.output;
  }
}

// The mission's shape: kill -9 the leader while a job runs; the job still
// finishes, every task exactly once. `during` runs right after the kill.
void ReplicatedMastersTest::KillLeaderMidRun(const std::function<void()>& during) {
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  }
  // `agora run` given the list of masters; the recording framework given
  // ZooKeeper (cluster_'s master spec).
  auto run = cluster_.Spawn(
      {BinaryPath("agora"), "run", "--name", "twenty", "--command", "sleep 3", "--instances", "20",
       "--cpus", "0.1", "--mem", "32", "--master", masters_->List()},
      "run.log");
  ASSERT_TRUE(run.ok());
  framework_ = FrameworkProcess::Start(&cluster_, {"--tasks=10", "--command=sleep 2",
                                                   "--exit_when_done=1", "--failover_timeout=600"});
  ASSERT_NE(framework_, nullptr);
  ASSERT_TRUE(framework_->WaitTasksIn("TASK_RUNNING", 3)) << AllLogs();

  const int old_leader = masters_->Leader();
  ASSERT_GE(old_leader, 0);
  masters_->Kill(old_leader);
  const absl::Time killed = absl::Now();
  if (during) during();
  const int new_leader = WatchFailover(old_leader, session_timeout_ + absl::Seconds(20));
  ASSERT_GE(new_leader, 0) << AllLogs();
  // The precise figure is bench/run-failover's; this bounds it loosely.
  std::cout << "new leader serving " << absl::FormatDuration(absl::Now() - killed)
            << " after kill -9 (session timeout " << absl::FormatDuration(session_timeout_) << ")"
            << std::endl;

  auto status = (*run)->Wait(absl::Seconds(120));
  ASSERT_TRUE(status.ok()) << AllLogs();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*run)->Log() << AllLogs();
  EXPECT_NE((*run)->Log().find("20 of 20 task(s) finished"), std::string::npos) << (*run)->Log();

  auto framework_status = framework_->process()->Wait(absl::Seconds(120));
  ASSERT_TRUE(framework_status.ok()) << AllLogs();
  EXPECT_EQ(framework_->TasksSeenIn("TASK_FINISHED"), 10) << framework_->Log();
  EXPECT_EQ(framework_->Count("TASK_FINISHED"), 10) << "a terminal update arrived twice\n"
                                                    << framework_->Log();
  for (const SeenUpdate& update : framework_->Updates()) {
    EXPECT_NE(update.state, "TASK_LOST") << framework_->Log();
    EXPECT_NE(update.state, "TASK_FAILED") << framework_->Log();
  }

  // The old leader comes back as a follower.
  ASSERT_TRUE(masters_->Restart(old_leader).ok()) << AllLogs();
  std::string ready;
  EXPECT_TRUE(WaitFor(
      [&] {
        ready = HttpGet(masters_->http_port(old_leader), "/ready");
        return ready.find("the leader is at " + masters_->address(new_leader)) != std::string::npos;
      },
      absl::Seconds(20)))
      << ready;
  EXPECT_EQ(masters_->Leader(), new_leader);
}

TEST_F(ReplicatedMastersTest, KillingTheLeaderMidRunLosesNoTaskAndRepeatsNoUpdate) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(2));
  KillLeaderMidRun(nullptr);
}

// The same on a 3-node ZooKeeper ensemble that also loses a member while the
// masters fail over.
TEST_F(ReplicatedMastersTest, OnAThreeNodeEnsembleLosingAZooKeeperServerToo) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(2, 3));
  KillLeaderMidRun([&] { zk_->Kill(1); });
}

TEST_F(ReplicatedMastersTest, ZooKeeperOutageShorterThanTheSessionKeepsTheLeader) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(15));
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  const int leader = masters_->Leader();
  const absl::Time killed = absl::Now();
  zk_->Kill(0);
  // Cut off from ZooKeeper the leader cannot prove it leads: it pauses.
  EXPECT_TRUE(WaitFor([&] { return masters_->Serving().empty(); }, absl::Seconds(8))) << AllLogs();
  ASSERT_TRUE(zk_->Restart(0).ok()) << zk_->Log(0);
  // A JVM restart on a starved machine can outlast the session; then the
  // leader rightly steps down and this test has nothing to check.
  if (absl::Now() - killed > session_timeout_ - absl::Seconds(2)) {
    GTEST_SKIP() << "ZooKeeper took " << absl::FormatDuration(absl::Now() - killed)
                 << " to come back, not shorter than the session timeout";
  }
  EXPECT_TRUE(WaitFor([&] { return masters_->Serving().size() == 1; }, absl::Seconds(20)))
      << AllLogs();
  EXPECT_EQ(masters_->Leader(), leader) << AllLogs();
  EXPECT_EQ(masters_->ElectionsWon(), 1) << AllLogs();
  EXPECT_TRUE(WaitFor([&] { return cluster_.RegisteredAgents() == 1; }, absl::Seconds(30)));
}

TEST_F(ReplicatedMastersTest, ZooKeeperOutageLongerThanTheSessionStepsDownThenRecovers) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(2));
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  const int leader = masters_->Leader();
  zk_->Kill(0);
  // After a whole session timeout without ZooKeeper the leader steps down:
  // it cannot know whether another master was elected meanwhile.
  EXPECT_TRUE(WaitFor(
      [&] {
        return MetricValue(HttpGet(masters_->http_port(leader), "/metrics"),
                           "agora_master_elected") == 0;
      },
      session_timeout_ + absl::Seconds(10)))
      << AllLogs();
  EXPECT_EQ(masters_->Leader(), -1);
  ASSERT_TRUE(zk_->Restart(0).ok()) << zk_->Log(0);
  EXPECT_GE(masters_->WaitForLeader(absl::Seconds(30)), 0) << AllLogs();
  EXPECT_TRUE(WaitFor([&] { return cluster_.RegisteredAgents() == 1; }, absl::Seconds(30)))
      << AllLogs();
}

TEST_F(ReplicatedMastersTest, FrozenLeaderNeverServesBesideItsSuccessor) {
  ASSERT_NO_FATAL_FAILURE(StartMasters(2));
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  const int old_leader = masters_->Leader();
  masters_->Freeze(old_leader);
  const int new_leader = WatchFailover(old_leader, session_timeout_ + absl::Seconds(20));
  ASSERT_GE(new_leader, 0) << AllLogs();
  masters_->Thaw(old_leader);
  // Woken, the old leader finds its lease lapsed before it serves anything.
  bool old_served = false;
  WaitFor(
      [&] {
        std::vector<size_t> serving = masters_->Serving();
        EXPECT_LE(serving.size(), 1u) << "two masters served at once";
        for (size_t i : serving) old_served |= static_cast<int>(i) == old_leader;
        return false;
      },
      absl::Seconds(3), absl::Milliseconds(50));
  EXPECT_FALSE(old_served) << AllLogs();
  EXPECT_EQ(masters_->Leader(), new_leader);
  EXPECT_TRUE(WaitFor([&] { return cluster_.RegisteredAgents() == 1; }, absl::Seconds(30)))
      << AllLogs();
}

// With --zk_credentials the masters' znodes are readable by anyone (so any
// tool finds the leader) and writable by nobody else: another client can
// neither remove the leader's candidacy nor rewrite the registry.
TEST_F(ReplicatedMastersTest, WithCredentialsOthersCanReadButNotWriteTheMastersZnodes) {
  const std::string credentials = dir_.path() + "/zk-credentials";
  {
    std::ofstream file(credentials);
    file << "agora:s3cret\n";
  }
  ::chmod(credentials.c_str(), 0600);
  ASSERT_NO_FATAL_FAILURE(StartMasters(2, 1, {"--zk_credentials=" + credentials}));
  ASSERT_TRUE(cluster_.StartAgent(kAgentResources).ok()) << AllLogs();
  const int leader = masters_->Leader();
  ASSERT_GE(leader, 0);

  ZkSession outsider(zk_->address(), absl::Seconds(5));
  ASSERT_TRUE(outsider.WaitState(ZkClient::Session::kConnected));
  auto members = outsider.Children("/agora/election");
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 3u);
  bool found_leader = false;
  for (const std::string& member : *members) {
    auto data = outsider.Get("/agora/election/" + member);
    ASSERT_TRUE(data.ok()) << data.status();
    found_leader |= data->find(masters_->address(leader)) != std::string::npos;
    EXPECT_EQ(outsider.Delete("/agora/election/" + member).code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_TRUE(found_leader);
  auto agents = outsider.Children("/agora/registry/agents");
  ASSERT_TRUE(agents.ok()) << agents.status();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ(outsider.Delete("/agora/registry/agents/" + agents->front()).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(masters_->Leader(), leader);
}

TEST_F(ReplicatedMastersTest, AMasterGivenAMissingCredentialsFileRefusesToStart) {
  CommandResult start =
      RunCommand({BinaryPath("agora-master"), "--zk=zk://127.0.0.1:1/agora", "--registry=zk",
                  "--work_dir=" + dir_.path() + "/m", "--port=0", "--http_port=-1",
                  "--zk_credentials=" + dir_.path() + "/missing"},
                 absl::Seconds(30))
          .value();
  EXPECT_NE(start.exit_code, 0);
  EXPECT_NE(start.output.find(dir_.path() + "/missing"), std::string::npos) << start.output;
}

}  // namespace
}  // namespace agora::testing
