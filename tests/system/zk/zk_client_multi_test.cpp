// ZkClient's multi, exists and digest credentials against a real ZooKeeper
// server, and the credentials file reader.
#include <sys/stat.h>

#include <fstream>

#include "tests/support/zookeeper_server.hpp"
#include "tests/system/zk/zk_session.hpp"

namespace agora::testing {
namespace {

using ZkClientMultiTest = ZooKeeperTest;

TEST_F(ZkClientMultiTest, AMultiIsAllOrNothingAndNamesTheFailingOp) {
  ZkSession session(server_->address(), absl::Seconds(5));
  ASSERT_TRUE(session.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(session.CreatePath("/m").ok());
  EXPECT_TRUE(*session.Exists("/m"));
  EXPECT_FALSE(*session.Exists("/m/a"));

  absl::Status failed =
      session.Multi({ZkOp::Create("/m/a", "x"), ZkOp::Set("/m/missing", "y"), ZkOp::Delete("/m")});
  EXPECT_EQ(failed.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(failed.message().find("multi op 1 (set) /m/missing"), std::string::npos) << failed;
  EXPECT_FALSE(*session.Exists("/m/a"));  // Rolled back.

  ASSERT_TRUE(session
                  .Multi({ZkOp::Check("/m", 0), ZkOp::Create("/m/a", "x"),
                          ZkOp::Create("/m/b", "y"), ZkOp::Set("/m/a", "x2")})
                  .ok());
  EXPECT_EQ(*session.Get("/m/a"), "x2");
  absl::Status stale = session.Multi({ZkOp::Check("/m", 7), ZkOp::Delete("/m/b")});
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.message().find("multi op 0 (check) /m"), std::string::npos) << stale;
  absl::Status exists = session.Multi({ZkOp::Delete("/m/b"), ZkOp::Create("/m/a", "")});
  EXPECT_EQ(exists.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(*session.Exists("/m/b"));
  EXPECT_TRUE(session.Multi({}).ok());
}

TEST_F(ZkClientMultiTest, CredentialedNodesAreWorldReadableButOnlyTheCreatorWrites) {
  ZkSession owner(server_->address(), absl::Seconds(5), "agora:s3cret");
  ASSERT_TRUE(owner.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(owner.CreatePath("/secure/dir").ok());
  ASSERT_TRUE(owner.Multi({ZkOp::Create("/secure/dir/node", "v1")}).ok());
  ASSERT_TRUE(owner.Multi({ZkOp::Set("/secure/dir/node", "v2")}).ok());

  for (const std::string& credentials : {std::string(), std::string("agora:wrong")}) {
    SCOPED_TRACE(credentials.empty() ? "no credentials" : "wrong password");
    ZkSession intruder(server_->address(), absl::Seconds(5), credentials);
    ASSERT_TRUE(intruder.WaitState(ZkClient::Session::kConnected));
    EXPECT_EQ(*intruder.Get("/secure/dir/node"), "v2");
    absl::Status set = intruder.Multi({ZkOp::Set("/secure/dir/node", "mine")});
    EXPECT_EQ(set.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_NE(set.message().find("/secure/dir/node"), std::string::npos) << set;
    EXPECT_NE(set.message().find("credentials"), std::string::npos) << set;
    auto create = intruder.Create("/secure/dir/other", "");
    EXPECT_EQ(create.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(intruder.Delete("/secure/dir/node").code(), absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(*owner.Get("/secure/dir/node"), "v2");
}

TEST_F(ZkClientMultiTest, AMasterWithTheWrongPasswordCannotLoadTheRegistry) {
  ZkSession owner(server_->address(), absl::Seconds(5), "agora:s3cret");
  ASSERT_TRUE(owner.WaitState(ZkClient::Session::kConnected));
  ASSERT_TRUE(owner.OpenRegistry("/agora", owner.JoinElection("/agora")).ok());
  ZkSession wrong(server_->address(), absl::Seconds(5), "agora:wrong");
  ASSERT_TRUE(wrong.WaitState(ZkClient::Session::kConnected));
  auto loaded = wrong.Load("/agora");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("/agora/registry"), std::string::npos)
      << loaded.status();
}

TEST(ZkClientConnectTest, RejectsCredentialsWithoutAUser) {
  AsioEventLoop loop("zk-test");
  for (const char* bad : {"nocolon", ":password"}) {
    auto client = ZkClient::Connect(&loop, "127.0.0.1:1", absl::Seconds(2), nullptr, bad);
    EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ZkCredentialsFileTest, ReadsOneLineAndNamesTheFileInErrors) {
  TempDir dir;
  const std::string good = dir.path() + "/good";
  std::ofstream(good) << "agora:s3cret\n";
  ::chmod(good.c_str(), 0600);
  EXPECT_EQ(*ReadZkCredentials(good), "agora:s3cret");

  auto missing = ReadZkCredentials(dir.path() + "/missing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir.path() + "/missing"), std::string::npos);

  for (const char* content : {"", "nocolon\n", ":pw\n", "a:b\nc:d\n"}) {
    const std::string path = dir.path() + "/bad";
    std::ofstream(path, std::ios::trunc) << content;
    auto bad = ReadZkCredentials(path);
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << content;
    EXPECT_NE(bad.status().message().find(path), std::string::npos) << bad.status();
  }
}

}  // namespace
}  // namespace agora::testing
