// Exercises ServerEventStream over real gRPC on loopback, with the scheduler
// service's Subscribe as the carrier.
#include "common/server_event_stream.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <memory>

#include "agora/v1/scheduler.grpc.pb.h"
#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"

namespace agora {
namespace {

// Sends `count` HEARTBEAT events on every subscription, then finishes OK —
// or, with `capacity` smaller than `count` and a client that does not read,
// overflows.
class EventsService : public v1::Scheduler::CallbackService {
 public:
  EventsService(EventLoop* loop, int count, size_t capacity)
      : loop_(loop), count_(count), capacity_(capacity) {}

  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext*,
                                                 const v1::SubscribeRequest*) override {
    auto stream = ServerEventStream<v1::Event>::Create(loop_, capacity_);
    loop_->Post([this, stream] {
      stream->set_on_closed([this] { ++closed_; });
      for (int i = 0; i < count_; ++i) {
        v1::Event event;
        event.set_type(v1::Event::HEARTBEAT);
        event.mutable_error()->set_message(std::to_string(i));
        if (!stream->Send(std::move(event))) {
          ++refused_;
          return;
        }
      }
      stream->Finish(grpc::Status::OK);
    });
    return stream->reactor();
  }

  std::atomic<int> closed_{0};
  std::atomic<int> refused_{0};

 private:
  EventLoop* loop_;
  int count_;
  size_t capacity_;
};

class ServerEventStreamTest : public ::testing::Test {
 protected:
  void StartServer(int count, size_t capacity) {
    loop_.Start();
    service_ = std::make_unique<EventsService>(&loop_, count, capacity);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Scheduler::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                       grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    loop_.Stop();
  }

  AsioEventLoop loop_{"stream-test"};
  std::unique_ptr<EventsService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Scheduler::Stub> stub_;
};

TEST_F(ServerEventStreamTest, DeliversEveryEventInOrderThenFinishes) {
  StartServer(/*count=*/500, /*capacity=*/1000);
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  auto reader = stub_->Subscribe(&context, request);
  v1::Event event;
  int received = 0;
  while (reader->Read(&event)) {
    EXPECT_EQ(event.error().message(), std::to_string(received));
    ++received;
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(received, 500);
}

TEST_F(ServerEventStreamTest, OverflowDisconnectsTheSubscriberWithResourceExhausted) {
  // The loop queues 100 events at once; only 10 fit behind the one in flight.
  StartServer(/*count=*/100, /*capacity=*/10);
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  auto reader = stub_->Subscribe(&context, request);
  v1::Event event;
  while (reader->Read(&event)) {
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "subscriber too slow: outbound queue full");
  EXPECT_EQ(service_->refused_, 1);
}

}  // namespace
}  // namespace agora
