// Framework identity over real gRPC with two raw scheduler clients: a
// made-up id is NOT_FOUND and never collides with an assigned one, another
// principal cannot take a framework over, a removed id is refused, and a
// takeover by the same principal closes the first stream with ERROR.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/grpc_status.hpp"
#include "common/validation.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/master_test_clients.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"

namespace agora::master {
namespace {

using agora::testing::SchedulerClient;

class MasterIdentityTest : public StandaloneMasterTest {
 protected:
  void SetUp() override {
    options_.http_port = -1;
    StartMaster();
  }

  static v1::FrameworkInfo Info(const std::string& principal, const std::string& id = "") {
    v1::FrameworkInfo info;
    info.set_name("identity");
    info.set_user("nobody");
    info.add_roles("*");
    info.set_principal(principal);
    if (!id.empty()) info.mutable_id()->set_value(id);
    return info;
  }

  // Subscribes `client`, expecting the master to refuse; returns the status.
  static absl::Status Refused(SchedulerClient& client, v1::FrameworkInfo info) {
    EXPECT_FALSE(client.Subscribe(std::move(info)));
    EXPECT_TRUE(client.finished());
    return FromGrpcStatus(client.status());
  }

  v1::GetFrameworksResponse Frameworks() {
    auto channel = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
    auto stub = v1::MasterOperator::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetFrameworksResponse response;
    grpc::Status status = stub->GetFrameworks(&context, v1::GetFrameworksRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(MasterIdentityTest, TakeoverBySecondClientClosesTheFirstStreamWithAnError) {
  SchedulerClient first(master_->address());
  ASSERT_TRUE(first.Subscribe(Info("alice")));
  const std::string id = first.header.framework_id().value();
  SchedulerClient second(master_->address());
  ASSERT_TRUE(second.Subscribe(Info("alice", id)));
  EXPECT_EQ(second.header.framework_id().value(), id);

  int error = first.events.WaitFor([](const v1::Event& e) { return e.type() == v1::Event::ERROR; });
  ASSERT_GE(error, 0);
  EXPECT_NE(first.events.At(error).error().message().find("replaced"), std::string::npos)
      << first.events.At(error).error().message();
  // The first stream ends after the ERROR.
  EXPECT_GE(first.events.WaitFor(
                [](const v1::Event& e) { return e.type() == v1::Event::TYPE_UNSPECIFIED; }),
            error);
  EXPECT_TRUE(first.finished());
  EXPECT_EQ(first.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(second.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());

  v1::GetFrameworksResponse frameworks = Frameworks();
  ASSERT_EQ(frameworks.frameworks_size(), 1);
  EXPECT_EQ(frameworks.frameworks(0).info().id().value(), id);
  EXPECT_TRUE(frameworks.frameworks(0).connected());
}

TEST_F(MasterIdentityTest, AnotherPrincipalIsRefusedAndTheOwnerKeepsItsStream) {
  SchedulerClient owner(master_->address());
  ASSERT_TRUE(owner.Subscribe(Info("alice")));
  const std::string id = owner.header.framework_id().value();
  SchedulerClient thief(master_->address());
  absl::Status status = Refused(thief, Info("mallory", id));
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_EQ(ViolatedField(status), "framework_info.id");

  EXPECT_TRUE(owner.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());
  EXPECT_FALSE(owner.finished());
  for (const v1::Event& event : owner.events.All()) EXPECT_NE(event.type(), v1::Event::ERROR);
}

TEST_F(MasterIdentityTest, AMadeUpIdIsNotFoundAndNeverCollidesWithAnAssignedOne) {
  // A fresh master (registry epoch 1) assigns "framework-1-1" first.
  SchedulerClient squatter(master_->address());
  absl::Status status = Refused(squatter, Info("", "framework-1-1"));
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(ViolatedField(status), "framework_info.id");

  SchedulerClient fresh(master_->address());
  ASSERT_TRUE(fresh.Subscribe(Info("")));
  EXPECT_EQ(fresh.header.framework_id().value(), "framework-1-1");
  SchedulerClient another(master_->address());
  ASSERT_TRUE(another.Subscribe(Info("")));
  EXPECT_NE(another.header.framework_id().value(), fresh.header.framework_id().value());
  EXPECT_EQ(Frameworks().frameworks_size(), 2);
  EXPECT_TRUE(fresh.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());
  EXPECT_TRUE(another.Call(&v1::Scheduler::Stub::Revive, v1::ReviveRequest()).ok());
}

TEST_F(MasterIdentityTest, ATornDownIdIsRefusedAsRemoved) {
  SchedulerClient first(master_->address());
  ASSERT_TRUE(first.Subscribe(Info("alice")));
  const std::string id = first.header.framework_id().value();
  ASSERT_TRUE(first.Call(&v1::Scheduler::Stub::Teardown, v1::TeardownRequest()).ok());
  SchedulerClient again(master_->address());
  absl::Status status = Refused(again, Info("alice", id));
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(ViolatedField(status), "framework_info.id");
  EXPECT_NE(status.message().find("removed"), std::string::npos) << status;
  EXPECT_EQ(Frameworks().frameworks_size(), 0);
}

}  // namespace
}  // namespace agora::master
