// The executor driver on a ManualEventLoop (the testing constructor): its
// re-subscription backoff and recovery timeout run on a clock the test
// moves, against a fake agent over real gRPC on loopback.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agora/executor.hpp"
#include "agora/v1/executor.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/manual_event_loop.hpp"

namespace agora {
namespace {

using testing::ManualEventLoop;

// Answers the first Subscribe with SUBSCRIBED and keeps it open until
// Break(); refuses every later one with UNAVAILABLE (the agent is gone).
class FakeAgent : public v1::Executor::Service {
 public:
  FakeAgent() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  ~FakeAgent() override {
    Break();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::ExecutorSubscribeRequest*,
                         grpc::ServerWriter<v1::ExecutorEvent>* writer) override {
    if (subscriptions_++ > 0) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent gone");
    v1::ExecutorEvent subscribed;
    subscribed.set_type(v1::ExecutorEvent::SUBSCRIBED);
    writer->Write(subscribed);
    while (!broken_ && !context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // A server thread's wait.
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "agent stopped");
  }

  void Break() { broken_ = true; }
  int subscriptions() const { return subscriptions_.load(); }
  const std::string& address() const { return address_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<int> subscriptions_{0};
  std::atomic<bool> broken_{false};
};

class RecordingExecutor : public Executor {
 public:
  void registered(ExecutorDriver*, const v1::ExecutorInfo&, const v1::FrameworkInfo&,
                  const v1::AgentInfo&) override {
    ++registered_;
  }
  void disconnected(ExecutorDriver*) override { ++disconnected_; }
  void launchTask(ExecutorDriver*, const v1::TaskInfo&) override {}
  void killTask(ExecutorDriver*, const v1::TaskID&) override {}
  void error(ExecutorDriver*, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(message);
  }
  std::vector<std::string> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  std::atomic<int> registered_{0};
  std::atomic<int> disconnected_{0};

 private:
  std::mutex mu_;
  std::vector<std::string> errors_;
};

TEST(ExecutorDriverClockTest, ReSubscribesWithBackoffThenGivesUpAtTheRecoveryTimeout) {
  FakeAgent agent;
  ::setenv("AGORA_AGENT_ENDPOINT", agent.address().c_str(), 1);
  ::setenv("AGORA_FRAMEWORK_ID", "fw-1", 1);
  ::setenv("AGORA_EXECUTOR_ID", "ex-1", 1);
  ::setenv("AGORA_RECOVERY_TIMEOUT", "5", 1);
  ManualEventLoop loop;
  RecordingExecutor executor;
  AgoraExecutorDriver driver(&executor, &loop);
  ASSERT_EQ(driver.start(), ExecutorDriverStatus::RUNNING);
  ASSERT_TRUE(loop.RunUntil([&] { return executor.registered_ == 1; }));

  agent.Break();
  ASSERT_TRUE(loop.RunUntil([&] { return executor.disconnected_ == 1; }));
  // Re-subscription attempts follow the backoff (100 ms doubling to 2 s)
  // on the manual clock; the agent refuses each. Before the recovery
  // timeout (5 s) the driver keeps trying; after it, it gives up.
  absl::Duration elapsed;
  while (executor.errors().empty() && elapsed < absl::Seconds(10)) {
    loop.AdvanceTime(absl::Milliseconds(100));
    elapsed += absl::Milliseconds(100);
    // An attempt that fell due is answered (refused) and the next one is
    // scheduled before time moves on.
    ASSERT_TRUE(
        loop.RunUntil([&] { return loop.pending_timers() > 0 || !executor.errors().empty(); }));
  }
  ASSERT_EQ(executor.errors().size(), 1u);
  EXPECT_NE(executor.errors()[0].find("recovery timeout"), std::string::npos);
  EXPECT_GT(elapsed, absl::Seconds(5));
  EXPECT_LE(elapsed, absl::Seconds(5) + absl::Seconds(2) + absl::Milliseconds(100));
  // Doubling backoff: far fewer attempts than one per 100 ms tick.
  EXPECT_GE(agent.subscriptions(), 4);
  EXPECT_LE(agent.subscriptions(), 10);
  EXPECT_EQ(driver.join(), ExecutorDriverStatus::ABORTED);
}

}  // namespace
}  // namespace agora
