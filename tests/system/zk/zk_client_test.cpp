// ZkClient against a real ZooKeeper server (Debian's package) on loopback:
// every result arrives on the owner's event loop, ephemeral nodes live and
// die with their session, watches fire once, and a server outage shorter
// than the session timeout keeps the session. (Session expiry needs the
// client cut off from a live server; a TCP-proxy harness comes with the HA
// work: a restarted standalone server revives the sessions in its log.)
#include "common/zk_client.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"

namespace agora::testing {
namespace {

// A ZkClient on its own loop thread, with helpers that wait for results.
class Session {
 public:
  Session(const std::string& servers, absl::Duration timeout) : loop_("zk-test") {
    loop_.Start();
    auto client = ZkClient::Connect(&loop_, servers, timeout, [this](ZkClient::Session state) {
      std::lock_guard<std::mutex> lock(mu_);
      states_.push_back(state);
    });
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) client_ = std::move(*client);
  }
  ~Session() {
    RunOnLoop([this] { client_.reset(); });
    loop_.Stop();
  }

  // Runs `fn` on the loop and waits for it.
  void RunOnLoop(std::function<void()> fn) {
    std::atomic<bool> done{false};
    loop_.Post([&] {
      fn();
      done = true;
    });
    WaitFor([&] { return done.load(); }, absl::Seconds(10), absl::Milliseconds(1));
  }

  bool WaitState(ZkClient::Session state, int count = 1) {
    return WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return std::count(states_.begin(), states_.end(), state) >= count;
        },
        absl::Seconds(30), absl::Milliseconds(5));
  }

  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     bool ephemeral, bool sequential) {
    return Await<absl::StatusOr<std::string>>(
        [&](auto done) { client_->Create(path, data, ephemeral, sequential, std::move(done)); });
  }
  absl::Status CreatePath(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->CreatePath(path, std::move(done)); });
  }
  absl::StatusOr<std::string> Get(const std::string& path, ZkClient::WatchFn watch = nullptr) {
    return Await<absl::StatusOr<std::string>>(
        [&](auto done) { client_->Get(path, watch, std::move(done)); });
  }
  absl::StatusOr<std::vector<std::string>> Children(const std::string& path,
                                                    ZkClient::WatchFn watch = nullptr) {
    return Await<absl::StatusOr<std::vector<std::string>>>(
        [&](auto done) { client_->GetChildren(path, watch, std::move(done)); });
  }
  absl::Status Delete(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->Delete(path, std::move(done)); });
  }
  ZkClient* client() { return client_.get(); }
  bool InLoop() const { return loop_.IsInLoopThread(); }

 private:
  template <typename Result, typename Start>
  Result Await(Start start) {
    std::mutex mu;
    std::optional<Result> result;
    RunOnLoop([&] {
      start([&](Result r) {
        EXPECT_TRUE(loop_.IsInLoopThread()) << "a ZooKeeper result ran off the loop";
        std::lock_guard<std::mutex> lock(mu);
        result = std::move(r);
      });
    });
    bool arrived = WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return result.has_value();
        },
        absl::Seconds(30), absl::Milliseconds(1));
    std::lock_guard<std::mutex> lock(mu);
    if (!arrived) return Result(absl::DeadlineExceededError("no ZooKeeper answer"));
    return std::move(*result);
  }

  AsioEventLoop loop_;
  std::unique_ptr<ZkClient> client_;
  std::mutex mu_;
  std::vector<ZkClient::Session> states_;
};

class ZkClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ZooKeeperServer::Start(dir_.path() + "/zk");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  TempDir dir_;
  std::unique_ptr<ZooKeeperServer> server_;
};

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
