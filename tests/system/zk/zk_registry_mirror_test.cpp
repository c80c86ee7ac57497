// ZkRegistryMirror against a real ZooKeeper server: a standby's mirror
// follows every kind of write of the leader's ZkRegistry (puts, removals, a
// record removed and put again, the epoch) and, snapshotted when the
// leader's election znode goes (as an elected standby does), equals a fresh
// full Load; a registry that is not there fails the snapshot.
#include "master/zk_registry_mirror.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <map>

#include "common/zk_layout.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/registry_operations.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

using internal::Operation;
constexpr char kRoot[] = "/agora";

using ZkRegistryMirrorTest = ZooKeeperTest;

TEST_F(ZkRegistryMirrorTest, FollowsEveryWriteAndEqualsAFreshLoadOnceTheLeaderGoes) {
  auto leader = std::make_unique<ZkSession>(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(leader->WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(leader->OpenRegistry(kRoot, leader->JoinElection(kRoot)).ok());
  std::vector<Operation> first;
  for (int i = 0; i < 200; ++i) first.push_back(PutAgent("a" + std::to_string(i), "h"));
  first.push_back(PutFramework("f1"));
  first.push_back(PutFramework("f2"));
  first.push_back(PutWeight("eng/ml", 2));
  ASSERT_TRUE(leader->Apply(std::move(first)).ok());

  ZkSession standby(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(standby.WaitState(ZkClient::Session::kConnected));
  std::unique_ptr<master::ZkRegistryMirror> mirror;
  standby.RunOnLoop(
      [&] { mirror = std::make_unique<master::ZkRegistryMirror>(standby.client(), kRoot); });
  ASSERT_TRUE(WaitFor(
      [&] {
        size_t pending = 1;
        standby.RunOnLoop([&] { pending = mirror->pending(); });
        return pending == 0;
      },
      absl::Seconds(30)));
  uint64_t warm_reads = 0;
  standby.RunOnLoop([&] { warm_reads = mirror->reads(); });
  EXPECT_EQ(warm_reads, 200u + 2 + 1 + 2);  // Every record and both singletons once.

  // The standby watches the election as a contender does.
  std::atomic<bool> leader_gone{false};
  auto members = standby.Children(zk_layout::ElectionPath(kRoot), [&] { leader_gone = true; });
  ASSERT_TRUE(members.ok()) << members.status();

  // Writes of every kind after the mirror is warm, each its own multi.
  ASSERT_TRUE(leader->Apply({RemoveAgent("a1"), RemoveAgent("a2")}).ok());
  ASSERT_TRUE(leader->Apply({PutAgent("a3", "renamed")}).ok());
  ASSERT_TRUE(leader->Apply({RemoveAgent("a4")}).ok());
  ASSERT_TRUE(leader->Apply({PutAgent("a4", "back")}).ok());
  ASSERT_TRUE(leader->Apply({PutAgent("new", "h"), RemoveFramework("f2"), BumpEpoch()}).ok());
  ASSERT_TRUE(leader->Apply({PutWeight("eng/ml", 3), BumpEpoch()}).ok());
  internal::Registry written;
  leader->RunOnLoop([&] { written = leader->registry()->state(); });
  leader.reset();  // Its election znode goes with its session.

  // Snapshot from the loop task that learns the leader went, as Leadership
  // does once elected.
  ASSERT_TRUE(WaitFor([&] { return leader_gone.load(); }, absl::Seconds(30)));
  auto snapshot = standby.Await<absl::StatusOr<internal::Registry>>(
      [&](auto done) { mirror->Snapshot(std::move(done)); });
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto loaded = standby.Load(kRoot);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*snapshot, *loaded))
      << "mirrored:\n"
      << snapshot->DebugString() << "loaded:\n"
      << loaded->DebugString();
  // And it is what the leader wrote (records sorted by id either way).
  std::map<std::string, std::string> hostnames;
  for (const auto& agent : snapshot->agents()) {
    hostnames[agent.info().id().value()] = agent.info().hostname();
  }
  std::map<std::string, std::string> written_hostnames;
  for (const auto& agent : written.agents()) {
    written_hostnames[agent.info().id().value()] = agent.info().hostname();
  }
  EXPECT_EQ(hostnames, written_hostnames);
  EXPECT_EQ(hostnames.count("a1"), 0u);
  EXPECT_EQ(hostnames["a3"], "renamed");
  EXPECT_EQ(hostnames["a4"], "back");
  EXPECT_EQ(hostnames["new"], "h");
  ASSERT_EQ(snapshot->frameworks_size(), 1);
  EXPECT_EQ(snapshot->frameworks(0).info().id().value(), "f1");
  ASSERT_EQ(snapshot->weights_size(), 1);
  EXPECT_EQ(snapshot->weights(0).weight(), 3);
  EXPECT_EQ(snapshot->removed_frameworks_size(), written.removed_frameworks_size());
  EXPECT_EQ(snapshot->epoch(), 2u);
  EXPECT_EQ(snapshot->agents_size(), 199);
  uint64_t reads = 0;
  standby.RunOnLoop([&] {
    reads = mirror->reads();
    mirror.reset();
  });
  // Only what changed was read again (not the 200 agents).
  EXPECT_LT(reads - warm_reads, 20u) << reads - warm_reads;
}

TEST_F(ZkRegistryMirrorTest, AMissingRegistryFailsTheSnapshot) {
  ZkSession standby(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(standby.WaitState(ZkClient::Session::kConnected));
  std::unique_ptr<master::ZkRegistryMirror> mirror;
  standby.RunOnLoop(
      [&] { mirror = std::make_unique<master::ZkRegistryMirror>(standby.client(), kRoot); });
  auto snapshot = standby.Await<absl::StatusOr<internal::Registry>>(
      [&](auto done) { mirror->Snapshot(std::move(done)); });
  EXPECT_TRUE(absl::IsNotFound(snapshot.status())) << snapshot.status();
  EXPECT_NE(snapshot.status().message().find("/agora/registry/"), std::string::npos)
      << snapshot.status();
  standby.RunOnLoop([&] { mirror.reset(); });
}

}  // namespace
}  // namespace agora::testing
