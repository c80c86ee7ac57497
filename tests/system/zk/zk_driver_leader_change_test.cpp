// A scheduler driver given a zk:// master follows a leader change: when a
// new master is elected (the leader's election znode goes while its server
// keeps the subscription open), the driver leaves the old master and
// re-subscribes with the new one within 2 s, with the default backoff.
// Real ZooKeeper, fake masters (tests/cluster/driver/fake_master.hpp).
#include "agora/scheduler.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "recording_scheduler.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "zk_contender.hpp"

namespace agora::testing {
namespace {

TEST(ZkDriverLeaderChangeTest, ResubscribesWithTheNewLeaderWithinTwoSeconds) {
  TempDir dir;
  auto server = ZooKeeperServer::Start(dir.path() + "/zk");
  ASSERT_TRUE(server.ok()) << server.status();
  FakeMaster master_a;
  FakeMaster master_b;
  ZkContender contender_a((*server)->address(), absl::Seconds(10));
  ZkContender contender_b((*server)->address(), absl::Seconds(10));
  std::string a_node = contender_a.JoinAs("master-a", master_a.address());
  contender_b.JoinAs("master-b", master_b.address());

  RecordingScheduler scheduler;
  v1::FrameworkInfo framework;
  framework.set_name("zk-test-framework");
  AgoraSchedulerDriver driver(&scheduler, framework, "zk://" + (*server)->address() + "/agora");
  ASSERT_EQ(driver.start(), SchedulerDriverStatus::RUNNING);
  ASSERT_TRUE(scheduler.WaitFor("registered", 1, absl::Seconds(20)));
  EXPECT_EQ(scheduler.events()[0], "registered fw-1 " + master_a.address());

  absl::Time elected = absl::Now();
  ASSERT_TRUE(contender_a.Delete(a_node).ok());  // master-b leads from now on.
  ASSERT_TRUE(scheduler.WaitFor("reregistered " + master_b.address(), 1, absl::Seconds(20)));
  absl::Duration took = absl::Now() - elected;
  std::cout << "The driver re-subscribed with the new leader in " << took << std::endl;
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ(driver.master_address(), master_b.address());
  ASSERT_EQ(master_b.subscribes().size(), 1u);
  EXPECT_EQ(master_b.subscribes()[0].framework_info().id().value(), "fw-1");
  driver.stop();
  driver.join();
}

}  // namespace
}  // namespace agora::testing
