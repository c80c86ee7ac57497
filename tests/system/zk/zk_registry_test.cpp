// ZkRegistry against a real ZooKeeper server: records round-trip through
// Apply and a fresh Load, Applies batch into fewer fenced multis, a deposed
// writer can write nothing, corrupt records are named, and a write issued
// during a server outage commits after it.
#include "master/zk_registry.hpp"

#include <google/protobuf/util/message_differencer.h>

#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/registry_operations.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

using internal::Operation;
constexpr char kRoot[] = "/agora";

std::vector<std::string> AgentIds(const internal::Registry& registry) {
  std::vector<std::string> ids;
  for (const auto& agent : registry.agents()) ids.push_back(agent.info().id().value());
  return ids;
}

using ZkRegistryTest = ZooKeeperTest;

TEST_F(ZkRegistryTest, EveryRecordKindAndRemovalSurvivesAFreshLoad) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  ASSERT_TRUE(master
                  .Apply({PutAgent("a1", "h1"), PutAgent("a2", "h2"), PutFramework("f1", "one"),
                          PutFramework("f2", "two"), PutQuota("eng/ml"), PutQuota("ops"),
                          PutWeight("eng/ml", 2.5), BumpEpoch()})
                  .ok());
  ASSERT_TRUE(master
                  .Apply({RemoveAgent("a2"), RemoveFramework("f2"), RemoveQuota("ops"),
                          PutAgent("a1", "h1-renamed"), BumpEpoch()})
                  .ok());
  internal::Registry written;
  master.RunOnLoop([&] { written = master.registry()->state(); });

  ZkSession reader(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(reader.WaitState(ZkClient::Session::kConnected));
  auto loaded = reader.Load(kRoot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*loaded, written))
      << "loaded:\n"
      << loaded->DebugString() << "written:\n"
      << written.DebugString();
  EXPECT_EQ(loaded->epoch(), 2u);
  ASSERT_EQ(loaded->agents_size(), 1);
  EXPECT_EQ(loaded->agents(0).info().hostname(), "h1-renamed");
  ASSERT_EQ(loaded->removed_frameworks_size(), 1);
  EXPECT_EQ(loaded->removed_frameworks(0).value(), "f2");
  // The role with '/' is one znode, escaped.
  auto quotas = reader.Children("/agora/registry/quotas");
  ASSERT_TRUE(quotas.ok());
  EXPECT_EQ(*quotas, std::vector<std::string>{"eng%2Fml"});
  ASSERT_EQ(loaded->weights_size(), 1);
  EXPECT_EQ(loaded->weights(0).role(), "eng/ml");
  EXPECT_EQ(loaded->weights(0).weight(), 2.5);
}

// What the operator API records (quota guarantees and limits, a draining or
// gone agent with its drain parameters) reads back from ZooKeeper as written,
// so a new leader continues a drain and keeps the quota.
TEST_F(ZkRegistryTest, OperatorMaintenanceAndQuotaRecordsSurviveAFreshLoad) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  Operation draining = PutAgent("a1", "h1");
  draining.mutable_agent()->set_draining(true);
  draining.mutable_agent()->set_deactivated(true);
  draining.mutable_agent()->set_drain_grace_period_seconds(7.5);
  draining.mutable_agent()->set_drain_mark_gone(true);
  Operation gone = PutAgent("a2", "h2");
  gone.mutable_agent()->set_status(internal::AgentRecord::GONE);
  gone.mutable_agent()->set_status_time(99);
  Operation quota = PutQuota("dev");
  v1::Resource* cpus = quota.mutable_quota()->add_guarantees();
  cpus->set_name("cpus");
  cpus->set_type(v1::Resource::SCALAR);
  cpus->set_scalar(2);
  *quota.mutable_quota()->add_limits() = *cpus;
  quota.mutable_quota()->mutable_limits(0)->set_scalar(3);
  ASSERT_TRUE(master.Apply({draining, gone, quota}).ok());

  ZkSession reader(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(reader.WaitState(ZkClient::Session::kConnected));
  auto loaded = reader.Load(kRoot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->agents_size(), 2);
  for (const auto& agent : loaded->agents()) {
    const Operation& want = agent.info().id().value() == "a1" ? draining : gone;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(agent, want.agent()))
        << agent.DebugString();
  }
  ASSERT_EQ(loaded->quotas_size(), 1);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(loaded->quotas(0), quota.quota()))
      << loaded->quotas(0).DebugString();
}

TEST_F(ZkRegistryTest, AppliesIssuedBackToBackCommitInOrderInFewerMultis) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  constexpr int kApplies = 200;
  std::mutex mu;
  std::vector<int> finished;
  std::vector<absl::Status> statuses;
  master.RunOnLoop([&] {
    for (int i = 0; i < kApplies; ++i) {
      master.registry()->Apply({PutAgent("agent-" + std::to_string(i), "h"), BumpEpoch()},
                               [&, i](absl::Status status) {
                                 std::lock_guard<std::mutex> lock(mu);
                                 finished.push_back(i);
                                 statuses.push_back(status);
                               });
    }
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return finished.size() == kApplies;
      },
      absl::Seconds(30)));
  for (int i = 0; i < kApplies; ++i) {
    EXPECT_EQ(finished[i], i);
    EXPECT_TRUE(statuses[i].ok()) << statuses[i];
  }
  uint64_t multis = 0;
  master.RunOnLoop([&] { multis = master.registry()->multis_sent(); });
  std::cout << "[ batching ] " << kApplies << " applies in " << multis << " multis\n";
  EXPECT_LT(multis, static_cast<uint64_t>(kApplies));
  auto loaded = master.Load(kRoot);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->agents_size(), kApplies);
  EXPECT_EQ(loaded->epoch(), static_cast<uint64_t>(kApplies));
}

TEST_F(ZkRegistryTest, UnchangedRecordsAreNotWrittenAndTheirAppliesStillComplete) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  constexpr int kAgents = 100;
  std::mutex mu;
  std::vector<int> finished;
  auto apply_all = [&](int offset) {
    master.RunOnLoop([&, offset] {
      for (int i = 0; i < kAgents; ++i) {
        master.registry()->Apply({PutAgent("agent-" + std::to_string(i), "h")},
                                 [&, i, offset](absl::Status status) {
                                   EXPECT_TRUE(status.ok()) << status;
                                   std::lock_guard<std::mutex> lock(mu);
                                   finished.push_back(offset + i);
                                 });
      }
    });
  };
  auto finished_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return finished.size();
  };
  apply_all(0);
  ASSERT_TRUE(WaitFor([&] { return finished_count() == kAgents; }, absl::Seconds(30)));
  uint64_t multis_after_first = 0;
  master.RunOnLoop([&] { multis_after_first = master.registry()->multis_sent(); });

  // The same 100 records again (agents re-registering after a failover):
  // every Apply completes, in order, and nothing is sent to ZooKeeper.
  apply_all(kAgents);
  ASSERT_TRUE(WaitFor([&] { return finished_count() == 2 * kAgents; }, absl::Seconds(30)));
  for (int i = 0; i < 2 * kAgents; ++i) EXPECT_EQ(finished[i], i);
  uint64_t multis = 0;
  master.RunOnLoop([&] { multis = master.registry()->multis_sent(); });
  EXPECT_EQ(multis, multis_after_first);
  auto loaded = master.Load(kRoot);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->agents_size(), kAgents);
}

TEST_F(ZkRegistryTest, AWriterWhoseElectionZnodeIsGoneWritesNothing) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ZkSession other(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(other.WaitState(ZkClient::Session::kConnected));
  const std::string fence = master.JoinElection(kRoot);
  ASSERT_TRUE(master.OpenRegistry(kRoot, fence).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a1", "h1")}).ok());
  ASSERT_TRUE(other.Delete(fence).ok());

  absl::Status refused = master.Apply({PutAgent("a2", "h2"), RemoveAgent("a1"), BumpEpoch()});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("registry write fenced: " + fence + " is gone"),
            std::string::npos)
      << refused;
  // Nothing of the refused batch is visible, and later writes fail at once.
  auto loaded = other.Load(kRoot);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(AgentIds(*loaded), std::vector<std::string>{"a1"});
  EXPECT_EQ(loaded->epoch(), 0u);
  EXPECT_EQ(master.Apply({BumpEpoch()}).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ZkRegistryTest, TheDeposedLeadersWriteIsRefusedAndTheNewLeadersCommits) {
  ZkSession old_leader(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(old_leader.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(old_leader.OpenRegistry(kRoot, old_leader.JoinElection(kRoot)).ok());
  ASSERT_TRUE(old_leader.Apply({PutFramework("f1", "before")}).ok());
  {
    // The old leader's session ends (as if expired): its znode goes.
    ZkSession new_leader(server_->address(), absl::Seconds(5));
    ASSERT_TRUE(new_leader.WaitState(ZkClient::Session::kConnected));
    const std::string fence = new_leader.JoinElection(kRoot);
    auto members = new_leader.Children("/agora/election");
    ASSERT_TRUE(members.ok());
    for (const std::string& member : *members) {
      if ("/agora/election/" + member != fence)
        ASSERT_TRUE(new_leader.Delete("/agora/election/" + member).ok());
    }
    ASSERT_TRUE(new_leader.OpenRegistry(kRoot, fence).ok());
    EXPECT_EQ(old_leader.Apply({PutFramework("f1", "stale")}).code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_TRUE(new_leader.Apply({PutFramework("f1", "after"), BumpEpoch()}).ok());
  }
  auto loaded = old_leader.Load(kRoot);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->frameworks_size(), 1);
  EXPECT_EQ(loaded->frameworks(0).info().name(), "after");
  EXPECT_EQ(loaded->epoch(), 1u);
}

TEST_F(ZkRegistryTest, BatchesSplitBetweenAppliesToStayUnderHalfAMebibyte) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  // Five Applies of ~200 KiB each: the first goes alone, then 2 + 2.
  std::mutex mu;
  std::vector<absl::Status> statuses;
  master.RunOnLoop([&] {
    for (int i = 0; i < 5; ++i) {
      master.registry()->Apply(
          {PutFramework("f" + std::to_string(i), std::string(200 * 1024, 'x'))},
          [&](absl::Status status) {
            std::lock_guard<std::mutex> lock(mu);
            statuses.push_back(status);
          });
    }
  });
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return statuses.size() == 5;
      },
      absl::Seconds(30)));
  for (const absl::Status& status : statuses) EXPECT_TRUE(status.ok()) << status;
  uint64_t multis = 0;
  master.RunOnLoop([&] { multis = master.registry()->multis_sent(); });
  EXPECT_EQ(multis, 3u);
  // One Apply above ZooKeeper's request limit fails, and the registry with it.
  std::vector<Operation> huge;
  for (int i = 0; i < 6; ++i)
    huge.push_back(PutFramework("g" + std::to_string(i), std::string(200 * 1024, 'y')));
  absl::Status refused = master.Apply(std::move(huge));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ(master.Apply({BumpEpoch()}).code(), absl::StatusCode::kResourceExhausted);
  auto loaded = master.Load(kRoot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->frameworks_size(), 5);
}

TEST_F(ZkRegistryTest, CallbacksPendingWhenTheRegistryIsDestroyedNeverRun) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  std::atomic<int> ran{0};
  master.RunOnLoop([&] {
    for (int i = 0; i < 3; ++i)
      master.registry()->Apply({PutAgent("a" + std::to_string(i), "h")},
                               [&](absl::Status) { ++ran; });
  });
  master.CloseRegistry();
  // A round trip on the same session: the multi's answer came before it.
  ASSERT_TRUE(master.Exists("/agora").ok());
  ASSERT_TRUE(master.Exists("/agora").ok());
  EXPECT_EQ(ran.load(), 0);
}

TEST_F(ZkRegistryTest, ACorruptRecordFailsTheLoadNamingItsZnode) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a1", "h1"), PutAgent("a2", "h2")}).ok());
  ASSERT_TRUE(master.Multi({ZkOp::Set("/agora/registry/agents/a2", "\xff\xff\xff garbage")}).ok());
  auto loaded = master.Load(kRoot);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("/agora/registry/agents/a2"), std::string::npos)
      << loaded.status();
}

TEST_F(ZkRegistryTest, AWriteIssuedWhileTheServerIsDownCommitsAfterItReturns) {
  ZkSession master(server_->address(), absl::Seconds(8));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a1", "h1"), PutQuota("q")}).ok());
  server_->Kill();
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnecting));
  std::mutex mu;
  std::optional<absl::Status> result;
  master.RunOnLoop([&] {
    master.registry()->Apply({PutAgent("a2", "h2"), RemoveAgent("a1"), RemoveQuota("q")},
                             [&](absl::Status status) {
                               std::lock_guard<std::mutex> lock(mu);
                               result = status;
                             });
  });
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return result.has_value();
      },
      absl::Seconds(30)));
  EXPECT_TRUE(result->ok()) << *result;
  uint64_t multis = 0;
  master.RunOnLoop([&] { multis = master.registry()->multis_sent(); });
  EXPECT_GE(multis, 3u);  // The interrupted multi went out again.
  auto loaded = master.Load(kRoot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(AgentIds(*loaded), std::vector<std::string>{"a2"});
  EXPECT_EQ(loaded->quotas_size(), 0);
  // The registry goes on writing.
  EXPECT_TRUE(master.Apply({BumpEpoch()}).ok());
}

TEST_F(ZkRegistryTest, LoadsTenThousandAgentRecords) {
  ZkSession master(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry(kRoot, master.JoinElection(kRoot)).ok());
  constexpr int kAgents = 10000;
  for (int start = 0; start < kAgents; start += 500) {
    std::vector<Operation> ops;
    for (int i = start; i < start + 500; ++i)
      ops.push_back(PutAgent("agent-" + std::to_string(i), "host-" + std::to_string(i)));
    ASSERT_TRUE(master.Apply(std::move(ops)).ok());
  }
  ZkSession reader(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(reader.WaitState(ZkClient::Session::kConnected));
  // The first load also warms up the server's JIT; the second is what a
  // long-running ensemble would serve.
  for (const char* which : {"first", "second"}) {
    absl::Time start = absl::Now();
    auto loaded = reader.Load(kRoot);
    absl::Duration took = absl::Now() - start;
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->agents_size(), kAgents);
    std::cout << "[ load ] " << kAgents << " agent records in " << took << " (" << which
              << " load)\n";
  }
}

TEST(ZnodeNameTest, EscapesEverythingButLettersDigitsDashAndUnderscore) {
  EXPECT_EQ(master::EscapeZnodeName("eng/ml.x%"), "eng%2Fml%2Ex%25");
  EXPECT_EQ(master::EscapeZnodeName("a-b_C9"), "a-b_C9");
  for (const std::string& name : {"", ".", "..", "a/b/c", "%", "\xff\x01 z"}) {
    EXPECT_EQ(*master::UnescapeZnodeName(master::EscapeZnodeName(name)), name);
  }
  EXPECT_EQ(master::UnescapeZnodeName("a%2").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(master::UnescapeZnodeName("a%zz").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::testing
