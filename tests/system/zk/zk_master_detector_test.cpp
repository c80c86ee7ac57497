// ZkMasterDetector against a real ZooKeeper server (Debian's package) on
// loopback. ZkClient sessions play the masters: each joins the election
// with an ephemeral sequential member_ znode holding its MasterInfo JSON,
// as the master does (zk_layout.hpp). What is asserted is what a client of
// the detector sees: CurrentLeader(), CurrentLeaderInfo(), and SetOnChange
// calls. (Session expiry of the detector itself needs the client cut off
// from a live server, which this harness cannot do; see zk_client_test.)
#include "common/zk_master_detector.hpp"

#include <atomic>

#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "zk_contender.hpp"

namespace agora::testing {
namespace {

class ZkMasterDetectorTest : public ZooKeeperTest {
 protected:
  std::string Url() const { return "zk://" + server_->address() + "/agora"; }

  // A detector counting its change notifications.
  std::unique_ptr<ZkMasterDetector> StartDetector() {
    auto detector = ZkMasterDetector::Create(Url(), ZkMasterDetector::Options());
    EXPECT_TRUE(detector.ok()) << detector.status();
    if (!detector.ok()) return nullptr;
    (*detector)->SetOnChange([this] { ++changes_; });
    return std::move(*detector);
  }

  // Waits until `detector` names `address` as the leader.
  static bool WaitLeader(MasterDetector* detector, const std::string& address,
                         absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor(
        [&] {
          absl::StatusOr<std::string> leader = detector->CurrentLeader();
          return leader.ok() && *leader == address;
        },
        timeout, absl::Milliseconds(5));
  }

  std::atomic<int> changes_{0};
};

TEST_F(ZkMasterDetectorTest, FindsTheLowestMemberOnceMastersJoin) {
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  // No election node yet: an answer that says so, once ZooKeeper answered.
  ASSERT_TRUE(WaitFor(
      [&] {
        return detector->CurrentLeader().status().message().find("does not exist") !=
               std::string::npos;
      },
      absl::Seconds(20)));
  EXPECT_EQ(detector->CurrentLeader().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(detector->CurrentLeader().status().message(),
            "no master has joined the election in " + Url() + " (/agora/election does not exist)");

  ZkContender a(server_->address(), absl::Seconds(10));
  ZkContender b(server_->address(), absl::Seconds(10));
  a.JoinAs("master-a", "127.0.0.1:5001");
  b.JoinAs("master-b", "127.0.0.1:5002");
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001")) << detector->CurrentLeader().status();
  std::optional<v1::MasterInfo> info = detector->CurrentLeaderInfo();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->id(), "master-a");
  EXPECT_EQ(info->hostname(), "test");
  // The callback runs just after the leader is published.
  EXPECT_TRUE(WaitFor([&] { return changes_.load() == 1; }, absl::Seconds(5))) << changes_.load();
}

TEST_F(ZkMasterDetectorTest, FollowsWhenTheLeadersNodeIsDeletedOrItsSessionCloses) {
  ZkContender operator_session(server_->address(), absl::Seconds(10));
  auto c = std::make_unique<ZkContender>(server_->address(), absl::Seconds(10));
  ZkContender a(server_->address(), absl::Seconds(10));
  ZkContender b(server_->address(), absl::Seconds(10));
  std::string a_path = a.JoinAs("master-a", "127.0.0.1:5001");
  c->JoinAs("master-c", "127.0.0.1:5003");
  b.JoinAs("master-b", "127.0.0.1:5002");
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001"));

  ASSERT_TRUE(operator_session.Delete(a_path).ok());
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5003")) << detector->CurrentLeader().status();
  EXPECT_EQ(detector->CurrentLeaderInfo()->id(), "master-c");

  c.reset();  // Closing its session removes its member at once.
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5002")) << detector->CurrentLeader().status();
  EXPECT_TRUE(WaitFor([&] { return changes_.load() == 3; }, absl::Seconds(5))) << changes_.load();
}

// Decision (see zk_master_detector.hpp): children that are not member_<seq>
// are ignored, and a member whose data is not a MasterInfo with an address
// is skipped in favour of the next valid member.
TEST_F(ZkMasterDetectorTest, IgnoresOtherChildrenAndSkipsMembersWithoutAValidMasterInfo) {
  ZkContender odd(server_->address(), absl::Seconds(10));
  odd.Join("not json at all");
  odd.Join(R"({"id":"no-address"})");
  ASSERT_TRUE(odd.CreatePersistent("/agora/election/lock", "").ok());
  ASSERT_TRUE(odd.CreatePersistent("/agora/election/member_", "{}").ok());  // No sequence.
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] {
        return detector->CurrentLeader().status().message() ==
               "no election member in " + Url() + " has a valid MasterInfo";
      },
      absl::Seconds(20)))
      << detector->CurrentLeader().status();

  ZkContender good(server_->address(), absl::Seconds(10));
  good.JoinAs("master-good", "127.0.0.1:5010");
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5010")) << detector->CurrentLeader().status();
  EXPECT_EQ(detector->CurrentLeaderInfo()->id(), "master-good");
}

TEST_F(ZkMasterDetectorTest, KeepsTheLeaderThroughAShortOutageAndReportsAChangeAfterIt) {
  // The leader's session is short: it dies during the outage and expires
  // after the server returns (a restarted standalone server revives the
  // sessions in its log, then expires those that do not come back).
  auto a = std::make_unique<ZkContender>(server_->address(), absl::Seconds(2));
  ZkContender b(server_->address(), absl::Seconds(10));
  a->JoinAs("master-a", "127.0.0.1:5001");
  b.JoinAs("master-b", "127.0.0.1:5002");
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001"));
  ASSERT_TRUE(WaitFor([&] { return changes_.load() == 1; }, absl::Seconds(5)));

  server_->Kill();
  ASSERT_TRUE(b.WaitState(ZkClient::Session::kConnecting));
  a.reset();  // Cannot reach the server: its member stays until it expires.
  // Nothing to wait for: the detector must NOT change. Watch it for a while
  // after every client has seen the connection drop.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(detector->CurrentLeader().value(), "127.0.0.1:5001");
  EXPECT_EQ(changes_.load(), 1);

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(b.WaitState(ZkClient::Session::kConnected, 2));
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5002")) << detector->CurrentLeader().status();
  EXPECT_TRUE(WaitFor([&] { return changes_.load() == 2; }, absl::Seconds(5))) << changes_.load();
}

TEST_F(ZkMasterDetectorTest, DestructionWhileZooKeeperIsDownIsPrompt) {
  ZkContender a(server_->address(), absl::Seconds(10));
  a.JoinAs("master-a", "127.0.0.1:5001");
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001"));
  server_->Kill();
  ASSERT_TRUE(a.WaitState(ZkClient::Session::kConnecting));
  absl::Time start = absl::Now();
  detector.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST_F(ZkMasterDetectorTest, CreateThroughTheInterfaceAcceptsZooKeeperUrls) {
  ZkContender a(server_->address(), absl::Seconds(10));
  a.JoinAs("master-a", "127.0.0.1:5001");
  auto detector = MasterDetector::Create(Url());
  ASSERT_TRUE(detector.ok()) << detector.status();
  ASSERT_TRUE(WaitLeader(detector->get(), "127.0.0.1:5001"));
  EXPECT_EQ((*detector)->Describe(), "leading master in " + Url());
}

}  // namespace
}  // namespace agora::testing
