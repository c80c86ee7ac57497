// A request whose bytes do not parse answers INVALID_ARGUMENT naming the
// method, on every method of every master service (gRPC's callback API on
// its own answers UNIMPLEMENTED with an empty message, as for a method that
// does not exist). Sent over a real channel with grpc::GenericStub.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "agora/internal/agent_master.pb.h"
#include "agora/v1/master.pb.h"
#include "agora/v1/scheduler.pb.h"
#include "common/grpc_status.hpp"
#include "common/validation.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/standalone_master_test.hpp"

namespace agora::master {
namespace {

// Field 1 with wire type 7, which no protobuf message accepts.
const std::string kGarbage("\x0f\xff\xff\xff", 4);

grpc::ByteBuffer Bytes(const std::string& data) {
  grpc::Slice slice(data);
  return grpc::ByteBuffer(&slice, 1);
}

// Waits for the next completion (deadline: the call's own).
bool Next(grpc::CompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq->Next(&tag, &ok));
  return ok;
}

// Shuts the queue down and drains it (required before it is destroyed).
void Drain(grpc::CompletionQueue* cq) {
  cq->Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
  }
}

class UnparsableRequestTest : public StandaloneMasterTest {
 protected:
  void SetUp() override {
    StartMaster();
    channel_ = grpc::CreateChannel(master_->address(), grpc::InsecureChannelCredentials());
  }

  void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  // One unary call with `request` as its raw bytes.
  grpc::Status Unary(const std::string& method, const std::string& request) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::CompletionQueue cq;
    grpc::ByteBuffer response;
    grpc::Status status;
    auto call = stub.PrepareUnaryCall(&context, method, Bytes(request), &cq);
    call->StartCall();
    call->Finish(&response, &status, nullptr);
    Next(&cq);
    Drain(&cq);
    return status;
  }

  // A streaming call: sends `messages`, half-closes, reads until the end and
  // returns the final status.
  grpc::Status Stream(const std::string& method, const std::vector<std::string>& messages) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(&context, method, &cq);
    call->StartCall(nullptr);
    Next(&cq);
    for (const auto& message : messages) {
      call->Write(Bytes(message), nullptr);
      if (!Next(&cq)) break;  // The server already ended the call.
    }
    call->WritesDone(nullptr);
    Next(&cq);
    grpc::ByteBuffer ignored;
    do {
      call->Read(&ignored, nullptr);
    } while (Next(&cq));
    grpc::Status status;
    call->Finish(&status, nullptr);
    Next(&cq);
    Drain(&cq);
    return status;
  }

  // Sends garbage to every method of `service` and checks each answer.
  void ExpectEveryMethodRejectsGarbage(const std::string& service) {
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = descriptor->method(i);
      const std::string path = "/" + service + "/" + method->name();
      SCOPED_TRACE(path);
      grpc::Status status = method->client_streaming() || method->server_streaming()
                                ? Stream(path, {kGarbage})
                                : Unary(path, kGarbage);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << status.error_code() << " " << status.error_message();
      EXPECT_EQ(status.error_message(), path + ": the request could not be parsed as " +
                                            method->input_type()->full_name() +
                                            " (its bytes are not that protobuf message)");
      // Like every INVALID_ARGUMENT, it carries a FieldViolation; its field
      // is empty because the whole message is bad.
      EXPECT_EQ(ViolatedField(FromGrpcStatus(status)), std::optional<std::string>(""));
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(UnparsableRequestTest, EverySchedulerMethodAnswersInvalidArgument) {
  ExpectEveryMethodRejectsGarbage("agora.v1.Scheduler");
}

TEST_F(UnparsableRequestTest, EveryOperatorMethodAnswersInvalidArgument) {
  ExpectEveryMethodRejectsGarbage("agora.v1.MasterOperator");
}

TEST_F(UnparsableRequestTest, AgentChannelEndsTheStreamWithInvalidArgument) {
  ExpectEveryMethodRejectsGarbage("agora.internal.AgentChannel");
}

TEST_F(UnparsableRequestTest, MissingMethodStillAnswersUnimplemented) {
  grpc::Status status = Unary("/agora.v1.Scheduler/NoSuchMethod", "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
}

TEST_F(UnparsableRequestTest, ParsableRequestsAreStillServed) {
  // An empty message is a valid GetHealthRequest (zero bytes on the wire).
  grpc::Status health = Unary("/agora.v1.MasterOperator/GetHealth", "");
  EXPECT_TRUE(health.ok()) << health.error_message();
  // A well-formed but invalid call gets the core's own answer.
  v1::AcceptRequest accept;
  grpc::Status status = Unary("/agora.v1.Scheduler/Accept", accept.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(FromGrpcStatus(status)), "header.framework_id") << status.error_message();
  // An empty message is a valid GetQuotaRequest too: answered by the core.
  grpc::Status quota = Unary("/agora.v1.MasterOperator/GetQuota", "");
  EXPECT_TRUE(quota.ok()) << quota.error_message();
}

}  // namespace
}  // namespace agora::master
