// The `agora` CLI with --master=zk://... (and a list): it asks ZooKeeper
// who leads and talks to that master, and says clearly when no master in
// ZooKeeper or in the list answers. Real ZooKeeper, a real in-process
// master published in the election by a ZkContender, the real binary.
#include <filesystem>

#include "gtest/gtest.h"
#include "master/master.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "zk_contender.hpp"

namespace agora::testing {
namespace {

class ZkCliTest : public ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    if (HasFatalFailure()) return;
    master::MasterOptions options;
    options.port = 0;
    options.http_port = -1;
    options.work_dir = dir_.path() + "/master";
    std::filesystem::create_directories(options.work_dir);
    auto started = master::Master::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    master_ = std::move(*started);
  }
  void TearDown() override {
    if (master_) master_->Stop();
  }

  std::string Url() const { return "zk://" + server_->address() + "/agora"; }

  static CommandResult Agora(const std::vector<std::string>& args,
                             const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {BinaryPath("agora")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunCommand(argv, absl::Seconds(30), env);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(CommandResult());
  }

  std::unique_ptr<master::Master> master_;
};

TEST_F(ZkCliTest, FindsTheLeaderInZooKeeperFromTheFlagOrTheEnvironment) {
  ZkContender contender(server_->address(), absl::Seconds(10));
  contender.JoinAs("master-1", master_->address());
  CommandResult flag = Agora({"agents", "--master", Url()});
  EXPECT_EQ(flag.exit_code, 0) << flag.output;
  EXPECT_NE(flag.output.find("HOSTNAME"), std::string::npos) << flag.output;
  CommandResult env = Agora({"frameworks"}, {"AGORA_MASTER=" + Url()});
  EXPECT_EQ(env.exit_code, 0) << env.output;
}

TEST_F(ZkCliTest, ListTriesTheNextMasterWhenOneDoesNotAnswer) {
  CommandResult result = Agora({"agents", "--master", "127.0.0.1:1," + master_->address()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("HOSTNAME"), std::string::npos) << result.output;
}

TEST_F(ZkCliTest, SaysClearlyWhenNoMasterAnswers) {
  CommandResult list = Agora({"agents", "--master", "127.0.0.1:1,127.0.0.1:2"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_NE(list.output.find("agora: cannot reach any master in 127.0.0.1:1,127.0.0.1:2: no "
                             "master answered (127.0.0.1:1: "),
            std::string::npos)
      << list.output;

  CommandResult nobody = Agora({"agents", "--master", Url()});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.output.find("agora: cannot find the leading master in " + Url() +
                               " within 5s: no master has joined the election in " + Url()),
            std::string::npos)
      << nobody.output;

  ZkContender contender(server_->address(), absl::Seconds(10));
  contender.JoinAs("gone", "127.0.0.1:1");
  CommandResult gone = Agora({"agents", "--master", Url()});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.output.find("agora: cannot reach the master at 127.0.0.1:1: "), std::string::npos)
      << gone.output;
}

}  // namespace
}  // namespace agora::testing
