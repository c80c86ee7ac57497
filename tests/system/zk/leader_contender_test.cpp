// LeaderContender against a real ZooKeeper: the lowest member leads, the
// others know who does, a leader that leaves hands over at once, and a
// leader whose election znode vanishes stops leading and contends again.
#include "master/leader_contender.hpp"

#include <atomic>

#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"

namespace agora::master {
namespace {

using testing::WaitFor;

// One contender on its own loop thread; counters readable from the test.
class Candidate {
 public:
  Candidate(const std::string& servers, const std::string& name) : loop_("contender-" + name) {
    loop_.Start();
    self_.set_id(name);
    // A valid address (the election data is checked by whoever reads it).
    self_.set_address("127.0.0.1:" + std::to_string(5050 + name[0] - 'a'));
    RunOnLoop([&] {
      contender_ = std::make_unique<LeaderContender>(
          &loop_, LeaderContender::Options{servers, "/agora", absl::Seconds(10), ""},
          LeaderContender::Callbacks{[this](ZkClient*, const std::string& path) {
                                       member_path_ = path;
                                       ++elected_;
                                     },
                                     [this](const absl::Status&) { ++deposed_; }, nullptr, nullptr,
                                     nullptr});
    });
  }
  ~Candidate() {
    RunOnLoop([this] { contender_.reset(); });
    loop_.Stop();
  }

  void Start() {
    RunOnLoop([this] { contender_->Start(self_); });
  }
  void Stop() {
    RunOnLoop([this] { contender_->Stop(); });
  }
  void RunOnLoop(std::function<void()> fn) {
    std::atomic<bool> done{false};
    loop_.Post([&] {
      fn();
      done = true;
    });
    WaitFor([&] { return done.load(); }, absl::Seconds(10), absl::Milliseconds(1));
  }
  bool Serving() {
    bool serving = false;
    RunOnLoop([&] { serving = contender_->CheckServing().ok(); });
    return serving;
  }
  std::string LeaderId() {
    std::string id;
    RunOnLoop([&] {
      if (auto leader = contender_->leader()) id = leader->id();
    });
    return id;
  }
  size_t Members() {
    size_t n = 0;
    RunOnLoop([&] { n = contender_->members().size(); });
    return n;
  }
  uint64_t Sessions() {
    uint64_t n = 0;
    RunOnLoop([&] { n = contender_->sessions_started(); });
    return n;
  }
  bool WaitElected(int times = 1) {
    return WaitFor([&] { return elected_.load() >= times && Serving(); }, absl::Seconds(20));
  }

  std::atomic<int> elected_{0};
  std::atomic<int> deposed_{0};
  std::string member_path_;  // Written on the loop before `elected_` counts.

 private:
  AsioEventLoop loop_;
  v1::MasterInfo self_;
  std::unique_ptr<LeaderContender> contender_;
};

using LeaderContenderTest = testing::ZooKeeperTest;

TEST_F(LeaderContenderTest, TheFirstLeadsAndTheOthersKnowIt) {
  Candidate a(server_->address(), "a");
  a.Start();
  ASSERT_TRUE(a.WaitElected());
  Candidate b(server_->address(), "b");
  Candidate c(server_->address(), "c");
  b.Start();
  c.Start();
  EXPECT_TRUE(
      WaitFor([&] { return b.LeaderId() == "a" && c.LeaderId() == "a"; }, absl::Seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return a.Members() == 3; }, absl::Seconds(20)));
  EXPECT_TRUE(a.Serving());
  EXPECT_FALSE(b.Serving());
  EXPECT_FALSE(c.Serving());
  EXPECT_EQ(b.elected_.load(), 0);
  EXPECT_EQ(c.elected_.load(), 0);
}

TEST_F(LeaderContenderTest, ALeaderThatStopsHandsOverWithoutWaitingForItsSession) {
  Candidate a(server_->address(), "a");
  a.Start();
  ASSERT_TRUE(a.WaitElected());
  Candidate b(server_->address(), "b");
  b.Start();
  ASSERT_TRUE(WaitFor([&] { return b.LeaderId() == "a"; }, absl::Seconds(20)));
  const absl::Time stopped = absl::Now();
  a.Stop();
  EXPECT_EQ(a.deposed_.load(), 1);
  ASSERT_TRUE(b.WaitElected());
  // Closing the session deletes the znode at once: far below the 10 s
  // session timeout a crashed leader would cost.
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(5));
  EXPECT_EQ(b.LeaderId(), "b");
}

TEST_F(LeaderContenderTest, ALeaderWhoseZnodeVanishesStepsDownAndContendsAgain) {
  Candidate a(server_->address(), "a");
  a.Start();
  ASSERT_TRUE(a.WaitElected());
  Candidate b(server_->address(), "b");
  b.Start();
  ASSERT_TRUE(WaitFor([&] { return b.LeaderId() == "a"; }, absl::Seconds(20)));

  // Another client removes the leader's znode (what ZooKeeper does when the
  // leader's session expires).
  AsioEventLoop loop("zk-admin");
  loop.Start();
  std::atomic<int> deleted{0};
  std::unique_ptr<ZkClient> admin;
  loop.Post([&] {
    admin = ZkClient::Connect(&loop, server_->address(), absl::Seconds(10),
                              [&](ZkClient::Session state) {
                                if (state != ZkClient::Session::kConnected) return;
                                admin->Delete(a.member_path_, [&](absl::Status status) {
                                  deleted = status.ok() ? 1 : -1;
                                });
                              })
                .value();
  });
  ASSERT_TRUE(WaitFor([&] { return deleted.load() != 0; }, absl::Seconds(20)));
  ASSERT_EQ(deleted.load(), 1);

  EXPECT_TRUE(WaitFor([&] { return a.deposed_.load() == 1; }, absl::Seconds(20)));
  EXPECT_FALSE(a.Serving());
  ASSERT_TRUE(b.WaitElected());
  // `a` contends again in-process, with a new session, as a follower.
  EXPECT_TRUE(WaitFor([&] { return a.Sessions() == 2 && a.LeaderId() == "b"; }, absl::Seconds(20)));
  EXPECT_EQ(a.elected_.load(), 1);
  loop.Post([&] { admin.reset(); });
  WaitFor([&] { return admin == nullptr; }, absl::Seconds(10));
  loop.Stop();
}

}  // namespace
}  // namespace agora::master
