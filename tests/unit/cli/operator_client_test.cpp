#include "cli/operator_client.hpp"

#include "common/grpc_status.hpp"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

TEST(DescribeCallErrorTest, OneLinePerFailureKind) {
  EXPECT_EQ(DescribeCallError("h:1", "GetTasks", absl::UnavailableError("connection refused")),
            "cannot reach the master at h:1: connection refused");
  EXPECT_EQ(DescribeCallError("h:1", "GetTasks", absl::DeadlineExceededError("x")),
            "cannot reach the master at h:1: no answer in time");
  EXPECT_EQ(DescribeCallError("h:1", "GetOffers", absl::UnimplementedError("x")),
            "the master at h:1 does not support GetOffers");
  EXPECT_EQ(DescribeCallError("h:1", "GetTasks", NotLeaderError("", "")),
            "the master at h:1 is not the leader: not the leader; no leader is elected yet");
  EXPECT_EQ(DescribeCallError("h:1", "GetTasks", absl::InvalidArgumentError("page.limit: bad")),
            "GetTasks failed: page.limit: bad");
}

TEST(OperatorClientTest, UnreachableMasterIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  OperatorClient client("127.0.0.1:1", 2);
  absl::StatusOr<v1::GetTasksResponse> response = client.GetTasks(v1::GetTasksRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
}

TEST(OperatorClientTest, ListTriesEveryMasterAndNamesEachFailure) {
  OperatorClient client("127.0.0.1:1,127.0.0.1:2", 2);
  absl::StatusOr<v1::GetTasksResponse> response = client.GetTasks(v1::GetTasksRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(response.status().message());
  EXPECT_EQ(message.rfind("no master answered (127.0.0.1:1: ", 0), 0u) << message;
  EXPECT_NE(message.find("; 127.0.0.1:2: "), std::string::npos) << message;
  EXPECT_EQ(client.master(), "127.0.0.1:1,127.0.0.1:2");
  EXPECT_EQ(DescribeCallError(client.master(), "GetTasks", response.status()),
            "cannot reach any master in 127.0.0.1:1,127.0.0.1:2: " + message);
}

TEST(OperatorClientTest, ZooKeeperWithoutAnswerIsAClearError) {
  // Nothing listens on port 1: no leader is ever found.
  OperatorClient client("zk://127.0.0.1:1/agora", 1);
  absl::StatusOr<v1::GetTasksResponse> response = client.GetTasks(v1::GetTasksRequest());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(DescribeCallError(client.master(), "GetTasks", response.status()),
            "cannot find the leading master in zk://127.0.0.1:1/agora within 1s: no leading "
            "master known yet in zk://127.0.0.1:1/agora");
}

}  // namespace
}  // namespace agora::cli
