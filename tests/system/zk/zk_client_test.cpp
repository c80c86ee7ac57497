// ZkClient against a real ZooKeeper server (Debian's package) on loopback:
// every result arrives on the owner's event loop, ephemeral nodes live and
// die with their session, watches fire once, and a server outage shorter
// than the session timeout keeps the session. (A real session expiry needs
// the client cut off from a live server: a restarted standalone server
// revives the sessions in its log. tests/system/ha freezes a master instead.)
#include "common/zk_client.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

using Session = ZkSession;

using ZkClientTest = ZooKeeperTest;

TEST_F(ZkClientTest, CreatesReadsListsAndDeletesNodesWithNamedErrors) {
  Session session(server_->address(), absl::Seconds(2));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected));
  EXPECT_GT(session.client()->negotiated_timeout(), absl::ZeroDuration());
  ASSERT_TRUE(session.CreatePath("/agora/test/deep").ok());
  ASSERT_TRUE(session.CreatePath("/agora/test/deep").ok());  // Existing: fine.
  auto made = session.Create("/agora/test/node", "payload", false, false);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*made, "/agora/test/node");
  EXPECT_EQ(*session.Get("/agora/test/node"), "payload");
  auto again = session.Create("/agora/test/node", "x", false, false);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  auto missing = session.Get("/agora/nothing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/agora/nothing"), std::string::npos);
  auto children = session.Children("/agora/test");
  ASSERT_TRUE(children.ok());
  std::vector<std::string> names = *children;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"deep", "node"}));
  EXPECT_TRUE(session.Delete("/agora/test/node").ok());
  EXPECT_EQ(session.Get("/agora/test/node").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ZkClientTest, EphemeralSequentialNodesLiveAndDieWithTheirSession) {
  Session observer(server_->address(), absl::Seconds(2));
  ASSERT_TRUE(observer.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(observer.CreatePath("/agora/election").ok());
  std::atomic<int> fired{0};
  {
    Session contender(server_->address(), absl::Seconds(2));
    ASSERT_TRUE(contender.WaitState(ZkClient::Session::kConnected));
    auto first = contender.Create("/agora/election/member_", "a", true, true);
    auto second = contender.Create("/agora/election/member_", "b", true, true);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_LT(*first, *second);  // Zero-padded sequence numbers sort.
    auto members = observer.Children("/agora/election", [&] { ++fired; });
    ASSERT_TRUE(members.ok());
    EXPECT_EQ(members->size(), 2u);
  }  // The contender closes its session: its ephemeral nodes go at once.
  ASSERT_TRUE(WaitFor([&] { return fired.load() == 1; }, absl::Seconds(30)));
  EXPECT_TRUE(observer.Children("/agora/election")->empty());
  // A watch fires once.
  ASSERT_TRUE(observer.Create("/agora/election/other", "", false, false).ok());
  EXPECT_EQ(fired.load(), 1);
}

TEST_F(ZkClientTest, ServerOutageShorterThanTheTimeoutKeepsTheSession) {
  Session session(server_->address(), absl::Seconds(6));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(session.Create("/leader", "me", true, false).ok());
  server_->Kill();
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnecting));
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected, 2));
  EXPECT_EQ(*session.Get("/leader"), "me");  // The ephemeral node survived.
}

TEST(ZkUrlTest, ParsesServersAndPathAndNamesBadInput) {
  auto parsed = ParseZkUrl("--zk", "zk://a:1,b:2/agora/");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, "a:1,b:2");
  EXPECT_EQ(parsed->second, "/agora");
  for (const char* bad : {"a:1/agora", "zk://a:1", "zk:///agora", "zk://a/agora", "zk://a:1,/x"}) {
    auto result = ParseZkUrl("--zk", bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find("--zk"), std::string::npos);
  }
}

}  // namespace
}  // namespace agora::testing
