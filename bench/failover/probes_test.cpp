// ElectionProbe against a real ZooKeeper server: it lists the election's
// members in sequence order (the first leads) with the MasterInfo each
// holds, and sees a member's znode go when its session closes.
#include "failover/probes.hpp"

#include <future>

#include "common/zk_layout.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"

namespace agora::bench {
namespace {

// A contender: its own ZooKeeper session holding one election member.
class Contender {
 public:
  Contender(const std::string& servers, const std::string& address) : loop_("contender") {
    loop_.Start();
    Run([&](auto done) {
      auto client = ZkClient::Connect(&loop_, servers, absl::Seconds(10), nullptr);
      ASSERT_TRUE(client.ok()) << client.status();
      zk_ = std::move(*client);
      zk_->CreatePath("/agora/election", [this, address, done](absl::Status status) {
        ASSERT_TRUE(status.ok()) << status;
        std::string json = "{\"id\": \"m-" + address + "\", \"address\": \"" + address + "\"}";
        zk_->Create("/agora/election/member_", json, true, true, [done](auto created) {
          ASSERT_TRUE(created.ok()) << created.status();
          done();
        });
      });
    });
  }
  ~Contender() { Leave(); }
  // Closes the session: the member znode goes at once.
  void Leave() {
    if (stopped_) return;
    Run([&](auto done) {
      zk_.reset();
      done();
    });
    loop_.Stop();
    stopped_ = true;
  }

 private:
  template <typename Fn>
  void Run(Fn fn) {
    std::promise<void> finished;
    loop_.Post([&] { fn([&finished] { finished.set_value(); }); });
    ASSERT_EQ(finished.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  }
  AsioEventLoop loop_;
  std::unique_ptr<ZkClient> zk_;
  bool stopped_ = false;
};

TEST(ElectionProbeTest, ListsMembersInSequenceOrderAndSeesTheLeaderGo) {
  testing::TempDir dir;
  auto server = testing::ZooKeeperServer::Start(dir.path());
  ASSERT_TRUE(server.ok()) << server.status();
  auto probe = ElectionProbe::Connect("zk://" + (*server)->address() + "/agora", absl::Seconds(30));
  ASSERT_TRUE(probe.ok()) << probe.status();
  auto none = (*probe)->Members();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  auto first = std::make_unique<Contender>((*server)->address(), "127.0.0.1:1001");
  Contender second((*server)->address(), "127.0.0.1:1002");
  auto members = (*probe)->Members();
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].info.address(), "127.0.0.1:1001");
  EXPECT_EQ((*members)[1].info.address(), "127.0.0.1:1002");
  EXPECT_LT((*members)[0].znode, (*members)[1].znode);

  first->Leave();
  members = (*probe)->Members();
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().info.address(), "127.0.0.1:1002");
}

}  // namespace
}  // namespace agora::bench
