// ZkMasterDetector against a real ZooKeeper server (Debian's package) on
// loopback. ZkClient sessions play the masters: each joins the election
// with an ephemeral sequential member_ znode holding its MasterInfo JSON,
// as the master does (zk_layout.hpp). What is asserted is what a client of
// the detector sees: CurrentLeader(), CurrentLeaderInfo(), and SetOnChange
// calls. (Session expiry of the detector itself needs the client cut off
// from a live server, which this harness cannot do; see zk_client_test.)
#include "common/zk_master_detector.hpp"

#include <atomic>
#include <mutex>
#include <optional>

#include "common/asio_event_loop.hpp"
#include "common/master_info_json.hpp"
#include "common/zk_client.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"

namespace agora::testing {
namespace {

constexpr char kElection[] = "/agora/election";

// A ZooKeeper session on its own loop standing in for one master (or for
// an operator writing odd nodes). Destroying it closes the session.
class FakeMaster {
 public:
  FakeMaster(const std::string& servers, absl::Duration timeout) : loop_("fake-master") {
    loop_.Start();
    auto client = ZkClient::Connect(&loop_, servers, timeout, [this](ZkClient::Session state) {
      std::lock_guard<std::mutex> lock(mu_);
      states_.push_back(state);
    });
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) client_ = std::move(*client);
  }
  ~FakeMaster() {
    RunOnLoop([this] { client_.reset(); });
    loop_.Stop();
  }

  bool WaitState(ZkClient::Session state, int count = 1) {
    return WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return std::count(states_.begin(), states_.end(), state) >= count;
        },
        absl::Seconds(30), absl::Milliseconds(5));
  }

  // Joins the election under /agora with `data`; the member's path.
  std::string Join(const std::string& data) {
    EXPECT_TRUE(Await<absl::Status>([&](auto done) {
                  client_->CreatePath(kElection, std::move(done));
                }).ok());
    auto made = Await<absl::StatusOr<std::string>>([&](auto done) {
      client_->Create(std::string(kElection) + "/member_", data, true, true, std::move(done));
    });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.value_or("");
  }
  std::string JoinAs(const std::string& id, const std::string& address) {
    v1::MasterInfo info;
    info.set_id(id);
    info.set_address(address);
    info.set_hostname("test");
    return Join(MasterInfoToJson(info));
  }
  absl::Status CreatePersistent(const std::string& path, const std::string& data) {
    return Await<absl::StatusOr<std::string>>(
               [&](auto done) { client_->Create(path, data, false, false, std::move(done)); })
        .status();
  }
  absl::Status Delete(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->Delete(path, std::move(done)); });
  }

 private:
  void RunOnLoop(std::function<void()> fn) {
    std::atomic<bool> done{false};
    loop_.Post([&] {
      fn();
      done = true;
    });
    WaitFor([&] { return done.load(); }, absl::Seconds(10), absl::Milliseconds(1));
  }
  template <typename Result, typename Start>
  Result Await(Start start) {
    std::mutex mu;
    std::optional<Result> result;
    RunOnLoop([&] {
      start([&](Result r) {
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

class ZkMasterDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ZooKeeperServer::Start(dir_.path() + "/zk");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

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

  TempDir dir_;
  std::unique_ptr<ZooKeeperServer> server_;
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

  FakeMaster a(server_->address(), absl::Seconds(10));
  FakeMaster b(server_->address(), absl::Seconds(10));
  a.JoinAs("master-a", "127.0.0.1:5001");
  b.JoinAs("master-b", "127.0.0.1:5002");
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001")) << detector->CurrentLeader().status();
  std::optional<v1::MasterInfo> info = detector->CurrentLeaderInfo();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->id(), "master-a");
  EXPECT_EQ(info->hostname(), "test");
  EXPECT_EQ(changes_.load(), 1);
}

TEST_F(ZkMasterDetectorTest, FollowsWhenTheLeadersNodeIsDeletedOrItsSessionCloses) {
  FakeMaster operator_session(server_->address(), absl::Seconds(10));
  auto c = std::make_unique<FakeMaster>(server_->address(), absl::Seconds(10));
  FakeMaster a(server_->address(), absl::Seconds(10));
  FakeMaster b(server_->address(), absl::Seconds(10));
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
  EXPECT_EQ(changes_.load(), 3);
}

// Decision (see zk_master_detector.hpp): children that are not member_<seq>
// are ignored, and a member whose data is not a MasterInfo with an address
// is skipped in favour of the next valid member.
TEST_F(ZkMasterDetectorTest, IgnoresOtherChildrenAndSkipsMembersWithoutAValidMasterInfo) {
  FakeMaster odd(server_->address(), absl::Seconds(10));
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

  FakeMaster good(server_->address(), absl::Seconds(10));
  good.JoinAs("master-good", "127.0.0.1:5010");
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5010")) << detector->CurrentLeader().status();
  EXPECT_EQ(detector->CurrentLeaderInfo()->id(), "master-good");
}

TEST_F(ZkMasterDetectorTest, KeepsTheLeaderThroughAShortOutageAndReportsAChangeAfterIt) {
  // The leader's session is short: it dies during the outage and expires
  // after the server returns (a restarted standalone server revives the
  // sessions in its log, then expires those that do not come back).
  auto a = std::make_unique<FakeMaster>(server_->address(), absl::Seconds(2));
  FakeMaster b(server_->address(), absl::Seconds(10));
  a->JoinAs("master-a", "127.0.0.1:5001");
  b.JoinAs("master-b", "127.0.0.1:5002");
  auto detector = StartDetector();
  ASSERT_NE(detector, nullptr);
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5001"));
  int changes_before = changes_.load();

  server_->Kill();
  ASSERT_TRUE(b.WaitState(ZkClient::Session::kConnecting));
  a.reset();  // Cannot reach the server: its member stays until it expires.
  // Nothing to wait for: the detector must NOT change. Watch it for a while
  // after every client has seen the connection drop.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(detector->CurrentLeader().value(), "127.0.0.1:5001");
  EXPECT_EQ(changes_.load(), changes_before);

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(b.WaitState(ZkClient::Session::kConnected, 2));
  ASSERT_TRUE(WaitLeader(detector.get(), "127.0.0.1:5002")) << detector->CurrentLeader().status();
  EXPECT_EQ(changes_.load(), changes_before + 1);
}

TEST_F(ZkMasterDetectorTest, DestructionWhileZooKeeperIsDownIsPrompt) {
  FakeMaster a(server_->address(), absl::Seconds(10));
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
  FakeMaster a(server_->address(), absl::Seconds(10));
  a.JoinAs("master-a", "127.0.0.1:5001");
  auto detector = MasterDetector::Create(Url());
  ASSERT_TRUE(detector.ok()) << detector.status();
  ASSERT_TRUE(WaitLeader(detector->get(), "127.0.0.1:5001"));
  EXPECT_EQ((*detector)->Describe(), "leading master in " + Url());
}

}  // namespace
}  // namespace agora::testing
