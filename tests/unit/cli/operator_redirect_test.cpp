// Every MasterOperator call the CLI makes follows a standby's LeaderRedirect
// to the leader: two fake masters on loopback gRPC (a generic service that
// records each method), one redirecting, one answering.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "agora/v1/master.pb.h"
#include "cli/operator_client.hpp"
#include "common/grpc_status.hpp"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

// Answers every method: with UNAVAILABLE + LeaderRedirect to `leader` if
// set, else with one empty message (a valid encoding of every response).
class FakeMaster : public grpc::CallbackGenericService {
 public:
  explicit FakeMaster(std::string leader) : leader_(std::move(leader)) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(this);
    server_ = builder.BuildAndStart();
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  ~FakeMaster() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      methods_.insert(context->method());
    }
    return new Reactor(leader_);
  }

  const std::string& address() const { return address_; }
  std::set<std::string> methods() {
    std::lock_guard<std::mutex> lock(mu_);
    return methods_;
  }

 private:
  class Reactor : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(std::string leader) : leader_(std::move(leader)) { StartRead(&request_); }
    void OnReadDone(bool) override {
      if (!leader_.empty()) {
        Finish(ToGrpcStatus(NotLeaderError(leader_, "leader-id")));
        return;
      }
      grpc::Slice empty("");
      response_ = grpc::ByteBuffer(&empty, 1);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    std::string leader_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  std::string leader_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  std::set<std::string> methods_;
};

TEST(OperatorRedirectTest, EveryCallFollowsTheStandbysRedirectToTheLeader) {
  FakeMaster leader("");
  FakeMaster standby(leader.address());
  OperatorClient client(standby.address(), 5);
  EXPECT_TRUE(client.GetHealth().ok());
  EXPECT_TRUE(client.GetState().ok());
  EXPECT_TRUE(client.GetTasks({}).ok());
  EXPECT_TRUE(client.GetAgents({}).ok());
  EXPECT_TRUE(client.GetFrameworks({}).ok());
  EXPECT_TRUE(client.GetOffers({}).ok());
  EXPECT_TRUE(client.GetRoles().ok());
  EXPECT_TRUE(client.GetQuota().ok());
  EXPECT_TRUE(client.UpdateQuota({}).ok());
  EXPECT_TRUE(client.GetWeights().ok());
  EXPECT_TRUE(client.UpdateWeights({}).ok());
  EXPECT_TRUE(client.DrainAgent({}).ok());
  EXPECT_TRUE(client.DeactivateAgent({}).ok());
  EXPECT_TRUE(client.ReactivateAgent({}).ok());
  EXPECT_TRUE(client.MarkAgentGone({}).ok());
  EXPECT_TRUE(client.TeardownFramework({}).ok());
  EXPECT_TRUE(client.KillTask({}).ok());
  int events = 0;
  EXPECT_TRUE(client.Watch({}, [&](const v1::WatchEvent&) { return ++events < 1; }).ok());
  EXPECT_EQ(events, 1);
  EXPECT_EQ(client.master(), leader.address());

  // Every operator method but the two the CLI never calls reached the
  // leader, each after a redirect from the standby.
  std::set<std::string> expected;
  const google::protobuf::ServiceDescriptor* service =
      v1::GetStateRequest::descriptor()->file()->FindServiceByName("MasterOperator");
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    if (name == "GetVersion" || name == "GetFlags") continue;
    expected.insert(absl::StrCat("/agora.v1.MasterOperator/", name));
  }
  EXPECT_EQ(leader.methods(), expected);
  EXPECT_EQ(standby.methods(), expected);
}

}  // namespace
}  // namespace agora::cli
