// A 3-node ZooKeeper ensemble: a session survives losing the member it is
// connected to, and the registry keeps writing with one member down.
#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

internal::Operation PutAgent(const std::string& id) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  op.mutable_agent()->mutable_info()->mutable_id()->set_value(id);
  return op;
}

class ZkEnsembleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ensemble = ZooKeeperEnsemble::Start(dir_.path() + "/zk", 3);
    ASSERT_TRUE(ensemble.ok()) << ensemble.status();
    ensemble_ = std::move(*ensemble);
  }
  // The member serving `session` (the one reporting a client connection).
  int ConnectedMember() {
    int member = -1;
    WaitFor(
        [&] {
          for (int i = 0; i < ensemble_->size(); ++i) {
            if (ensemble_->ClientConnections(i) > 0) member = i;
          }
          return member >= 0;
        },
        absl::Seconds(10));
    return member;
  }
  TempDir dir_;
  std::unique_ptr<ZooKeeperEnsemble> ensemble_;
};

TEST_F(ZkEnsembleTest, ASessionSurvivesKillingTheMemberItIsConnectedTo) {
  ZkSession session(ensemble_->address(), absl::Seconds(6));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(session.Create("/leader", "me", true, false).ok());
  const int member = ConnectedMember();
  ASSERT_GE(member, 0);
  ensemble_->Kill(member);
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnecting));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected, 2));
  EXPECT_EQ(*session.Get("/leader"), "me");  // Same session: the ephemeral node lives.
  EXPECT_TRUE(session.Create("/after", "x").ok());
  ASSERT_TRUE(ensemble_->Restart(member).ok());
  EXPECT_EQ(*session.Get("/after"), "x");
}

TEST_F(ZkEnsembleTest, TheRegistryWritesWithOneOfThreeMembersDown) {
  ZkSession master(ensemble_->address(), absl::Seconds(6));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry("/agora", master.JoinElection("/agora")).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a1")}).ok());
  const int member = ConnectedMember();
  ASSERT_GE(member, 0);
  ensemble_->Kill(member);
  // Issued at once: the write waits out the reconnect and commits.
  ASSERT_TRUE(master.Apply({PutAgent("a2")}).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a3")}).ok());
  auto loaded = master.Load("/agora");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->agents_size(), 3);
}

}  // namespace
}  // namespace agora::testing
