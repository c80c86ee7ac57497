// Exercises ServerEventStream over real gRPC on loopback, with the scheduler
// service's Subscribe as the carrier.
#include "common/server_event_stream.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "agora/v1/scheduler.grpc.pb.h"
#include "common/asio_event_loop.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora {
namespace {

// What the service does on every subscription, on its loop: send `count`
// HEARTBEAT events (error.message: the event's number, then `padding`
// bytes) into a stream of `capacity`, finish with `status`, then optionally
// block the loop until Release().
struct Script {
  Script(int count, size_t capacity) : count(count), capacity(capacity) {}
  int count;
  size_t capacity;
  size_t padding = 0;
  grpc::Status status = grpc::Status::OK;
  bool block_loop = false;
};

// Small flow-control windows (no BDP growth): a client that does not read
// holds the server to a few events in flight.
grpc::ChannelArguments SmallWindows() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  return args;
}

class EventsService : public v1::Scheduler::CallbackService {
 public:
  EventsService(EventLoop* loop, Script script) : loop_(loop), script_(std::move(script)) {}

  grpc::ServerWriteReactor<v1::Event>* Subscribe(grpc::CallbackServerContext*,
                                                 const v1::SubscribeRequest*) override {
    auto stream = ServerEventStream<v1::Event>::Create(loop_, script_.capacity);
    loop_->Post([this, stream] {
      stream->set_on_closed([this] { ++closed_; });
      const std::string pad(script_.padding, 'x');
      for (int i = 0; i < script_.count; ++i) {
        v1::Event event;
        event.set_type(v1::Event::HEARTBEAT);
        event.mutable_error()->set_message(std::to_string(i) + pad);
        if (!stream->Send(std::move(event))) {
          ++refused_;
          return;
        }
      }
      stream->Finish(script_.status);
      if (script_.block_loop) BlockUntilReleased();
    });
    return stream->reactor();
  }

  // Unblocks the loop (see Script::block_loop).
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  std::atomic<int> closed_{0};
  std::atomic<int> refused_{0};
  std::atomic<bool> loop_blocked_{false};

 private:
  void BlockUntilReleased() {
    std::unique_lock<std::mutex> lock(mu_);
    loop_blocked_ = true;
    cv_.wait_for(lock, std::chrono::seconds(30), [this] { return released_; });
    loop_blocked_ = false;
  }

  EventLoop* loop_;
  const Script script_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

bool WaitUntil(const std::function<bool()>& condition) {
  return testing::WaitFor(condition, absl::Seconds(10), absl::Milliseconds(1));
}

class ServerEventStreamTest : public ::testing::Test {
 protected:
  void StartServer(Script script, grpc::ChannelArguments args = {}) {
    loop_.Start();
    service_ = std::make_unique<EventsService>(&loop_, std::move(script));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Scheduler::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  }

  void TearDown() override {
    if (service_) service_->Release();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    loop_.Stop();
  }

  // Reads every event (checking their numbers) and returns the final status.
  grpc::Status ReadAll(grpc::ClientContext* context, int* received) {
    v1::SubscribeRequest request;
    auto reader = stub_->Subscribe(context, request);
    v1::Event event;
    *received = 0;
    while (reader->Read(&event)) {
      EXPECT_EQ(event.error().message().substr(0, std::to_string(*received).size()),
                std::to_string(*received));
      ++*received;
    }
    return reader->Finish();
  }

  AsioEventLoop loop_{"stream-test"};
  std::unique_ptr<EventsService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Scheduler::Stub> stub_;
};

TEST_F(ServerEventStreamTest, DeliversEveryEventInOrderThenFinishes) {
  StartServer(Script(500, 1000));
  grpc::ClientContext context;
  int received = 0;
  EXPECT_TRUE(ReadAll(&context, &received).ok());
  EXPECT_EQ(received, 500);
}

TEST_F(ServerEventStreamTest, FinishAfterQueuedEventsDeliversThemAllThenTheStatus) {
  Script script(300, 1000);
  script.status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "over");
  StartServer(script);
  grpc::ClientContext context;
  int received = 0;
  grpc::Status status = ReadAll(&context, &received);
  EXPECT_EQ(received, 300);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "over");
}

// The loop queues a burst, finishes, and then never turns again (until the
// test ends): gRPC alone must deliver the burst and the status.
TEST_F(ServerEventStreamTest, ABlockedLoopStillDrainsAQueuedBurst) {
  Script script(2000, 2000);
  script.block_loop = true;
  StartServer(script);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  int received = 0;
  grpc::Status status = ReadAll(&context, &received);
  EXPECT_TRUE(service_->loop_blocked_) << "the loop turned while the burst was delivered";
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(received, 2000);
}

TEST_F(ServerEventStreamTest, OverflowDisconnectsTheSubscriberWithResourceExhausted) {
  // A client that reads nothing until the server gave up, with small
  // flow-control windows: at most a few 64 KiB events leave the server, so
  // the loop's burst overflows the 10 that may wait behind the one in flight.
  Script script(1000, 10);
  script.padding = 64 * 1024;
  StartServer(script, SmallWindows());
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  auto reader = stub_->Subscribe(&context, request);
  ASSERT_TRUE(WaitUntil([&] { return service_->refused_ > 0; }));
  v1::Event event;
  int received = 0;
  while (reader->Read(&event)) ++received;
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "subscriber too slow: outbound queue full");
  EXPECT_EQ(service_->refused_, 1);
  EXPECT_LT(received, 1000);
}

TEST_F(ServerEventStreamTest, CancelMidBurstClosesTheStreamOnTheLoop) {
  // Far more than the windows let through before the client cancels.
  Script script(5000, 5000);
  script.padding = 4096;
  StartServer(script, SmallWindows());
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  auto reader = stub_->Subscribe(&context, request);
  v1::Event event;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader->Read(&event));
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitUntil([&] { return service_->closed_ == 1; }));
}

}  // namespace
}  // namespace agora
