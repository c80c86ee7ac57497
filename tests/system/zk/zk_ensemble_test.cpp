// 1- and 3-node ZooKeeper ensembles: a session survives losing the member
// it is connected to, and the registry keeps writing with one member down
// (3 nodes) or commits once the only server is back (1 node).
#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/registry_operations.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

class ZkEnsembleTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    auto ensemble = ZooKeeperEnsemble::Start(dir_.path() + "/zk", GetParam());
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

TEST_P(ZkEnsembleTest, ASessionSurvivesKillingTheMemberItIsConnectedTo) {
  ZkSession session(ensemble_->address(), absl::Seconds(6));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(session.Create("/leader", "me", true, false).ok());
  const int member = ConnectedMember();
  ASSERT_GE(member, 0);
  ensemble_->Kill(member);
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnecting));
  if (ensemble_->size() == 1) ASSERT_TRUE(ensemble_->Restart(member).ok());
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected, 2));
  EXPECT_EQ(*session.Get("/leader"), "me");  // Same session: the ephemeral node lives.
  EXPECT_TRUE(session.Create("/after", "x").ok());
  if (ensemble_->size() > 1) ASSERT_TRUE(ensemble_->Restart(member).ok());
  EXPECT_EQ(*session.Get("/after"), "x");
}

TEST_P(ZkEnsembleTest, ARegistryWriteSurvivesLosingTheConnectedMember) {
  ZkSession master(ensemble_->address(), absl::Seconds(6));
  ASSERT_TRUE(master.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(master.OpenRegistry("/agora", master.JoinElection("/agora")).ok());
  ASSERT_TRUE(master.Apply({PutAgent("a1")}).ok());
  const int member = ConnectedMember();
  ASSERT_GE(member, 0);
  ensemble_->Kill(member);
  // Issued with the member gone: with 3 nodes the write moves to another
  // member; with 1 it waits for the server to come back.
  std::mutex mu;
  std::optional<absl::Status> result;
  master.RunOnLoop([&] {
    master.registry()->Apply({PutAgent("a2")}, [&](absl::Status status) {
      std::lock_guard<std::mutex> lock(mu);
      result = status;
    });
  });
  if (ensemble_->size() == 1) ASSERT_TRUE(ensemble_->Restart(member).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return result.has_value();
      },
      absl::Seconds(30)));
  EXPECT_TRUE(result->ok()) << *result;
  ASSERT_TRUE(master.Apply({PutAgent("a3")}).ok());
  auto loaded = master.Load("/agora");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->agents_size(), 3);
}

INSTANTIATE_TEST_SUITE_P(OneAndThreeNodes, ZkEnsembleTest, ::testing::Values(1, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "Nodes";
                         });

}  // namespace
}  // namespace agora::testing
