// The operator Watch stream over real gRPC: the snapshot first, then a
// task's changes in order; type filters; a subscriber that never reads is
// dropped with RESOURCE_EXHAUSTED while the master keeps serving; watchers
// are closed when the master stops.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/cluster/master/operator_test_fixture.hpp"

namespace agora::master {
namespace {

using agora::testing::FakeAgentClient;
using agora::testing::Inbox;
using agora::testing::SchedulerClient;
using Stub = v1::MasterOperator::Stub;

// A Watch subscriber that reads on its own thread into `events`; `status`
// is set once the stream ended (the inbox then gets a TYPE_UNSPECIFIED
// sentinel).
class Watcher {
 public:
  Watcher(Stub* stub, std::vector<v1::WatchEvent::Type> types = {}) {
    v1::WatchRequest request;
    for (auto type : types) request.add_types(type);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    reader_ = stub->Watch(&context_, request);
    thread_ = std::thread([this] {
      v1::WatchEvent event;
      while (reader_->Read(&event)) events.Push(event);
      status = reader_->Finish();
      events.Push(v1::WatchEvent());
    });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }
  int WaitFor(v1::WatchEvent::Type type, const std::string& task_id = "",
              v1::TaskState state = v1::TASK_STATE_UNSPECIFIED, size_t from = 0) {
    return events.WaitFor(
        [&](const v1::WatchEvent& e) {
          if (e.type() != type) return false;
          if (!task_id.empty() && e.task().task_id().value() != task_id) return false;
          return state == v1::TASK_STATE_UNSPECIFIED || e.status().state() == state;
        },
        from);
  }
  // Waits for the end of the stream (the sentinel).
  bool WaitForEnd() { return WaitFor(v1::WatchEvent::TYPE_UNSPECIFIED) >= 0; }
  // Whether the stream has ended, now.
  bool Ended() {
    return events.WaitFor(
               [](const v1::WatchEvent& e) { return e.type() == v1::WatchEvent::TYPE_UNSPECIFIED; },
               0, std::chrono::milliseconds(0)) >= 0;
  }

  Inbox<v1::WatchEvent> events;
  grpc::Status status;

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  std::thread thread_;
};

using WatchTest = OperatorTest;

TEST_F(WatchTest, SnapshotFirstThenATasksChangesInOrder) {
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  const std::string agent_id = agent.Register(Res("cpus:2;mem:1024"));
  ASSERT_FALSE(agent_id.empty());

  Watcher watcher(stub_.get());
  ASSERT_EQ(watcher.WaitFor(v1::WatchEvent::SUBSCRIBED), 0);
  const v1::WatchEvent first = watcher.events.At(0);
  const v1::MasterState& snapshot = first.snapshot();
  ASSERT_EQ(snapshot.agents_size(), 1);
  EXPECT_EQ(snapshot.agents(0).info().id().value(), agent_id);
  EXPECT_EQ(snapshot.frameworks_size(), 1);
  EXPECT_EQ(snapshot.tasks_size(), 0);
  EXPECT_EQ(snapshot.masters_size(), 1);

  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "watched", &from));
  const int added = watcher.WaitFor(v1::WatchEvent::TASK_ADDED, "watched");
  const int running =
      watcher.WaitFor(v1::WatchEvent::TASK_UPDATED, "watched", v1::TASK_RUNNING, added + 1);
  ASSERT_GT(added, 0);
  ASSERT_GT(running, added);
  EXPECT_EQ(watcher.events.At(running).task().state(), v1::TASK_RUNNING);

  v1::KillRequest kill;
  kill.mutable_task_id()->set_value("watched");
  ASSERT_TRUE(scheduler.Call(&v1::Scheduler::Stub::Kill, kill).ok());
  ASSERT_GE(WaitForKill(&agent, "watched"), 0);
  agent.SendStatus(scheduler.header.framework_id().value(), "watched", v1::TASK_KILLED, "k");
  const int killed =
      watcher.WaitFor(v1::WatchEvent::TASK_UPDATED, "watched", v1::TASK_KILLED, running + 1);
  EXPECT_GT(killed, running);

  // Agent changes: deactivation is an AGENT_UPDATED with the new status.
  v1::DeactivateAgentRequest deactivate;
  deactivate.mutable_agent_id()->set_value(agent_id);
  ASSERT_TRUE(Call(&Stub::DeactivateAgent, deactivate).ok());
  const int updated = watcher.events.WaitFor([&](const v1::WatchEvent& e) {
    return e.type() == v1::WatchEvent::AGENT_UPDATED &&
           e.agent().status() == v1::AgentSummary::DEACTIVATED;
  });
  EXPECT_GT(updated, killed);
}

TEST_F(WatchTest, TypesSelectEventsAndHeartbeatsKeepComing) {
  options_.framework_heartbeat_interval = absl::Milliseconds(50);
  Restart();
  grpc::ClientContext context;
  v1::WatchRequest bad;
  bad.add_types(v1::WatchEvent::TYPE_UNSPECIFIED);
  auto reader = stub_->Watch(&context, bad);
  v1::WatchEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status refused = reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(refused), "types[0]") << refused.error_message();

  Watcher agents_only(stub_.get(), {v1::WatchEvent::AGENT_ADDED});
  ASSERT_EQ(agents_only.WaitFor(v1::WatchEvent::SUBSCRIBED), 0);
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  const std::string agent_id = agent.Register(Res("cpus:2;mem:1024"));
  const int added = agents_only.WaitFor(v1::WatchEvent::AGENT_ADDED);
  ASSERT_GT(added, 0);
  EXPECT_EQ(agents_only.events.At(added).agent().info().id().value(), agent_id);
  EXPECT_GT(agents_only.WaitFor(v1::WatchEvent::HEARTBEAT, "", v1::TASK_STATE_UNSPECIFIED, added),
            added);
  for (const auto& e : agents_only.events.All()) {
    EXPECT_TRUE(e.type() == v1::WatchEvent::SUBSCRIBED || e.type() == v1::WatchEvent::AGENT_ADDED ||
                e.type() == v1::WatchEvent::HEARTBEAT)
        << v1::WatchEvent::Type_Name(e.type());
  }
}

TEST_F(WatchTest, SubscriberThatNeverReadsIsDroppedWhileTheMasterKeepsServing) {
  options_.max_watch_queue = 100;
  Restart();
  SchedulerClient scheduler(master_->address());
  ASSERT_TRUE(scheduler.Subscribe(Info()));
  FakeAgentClient agent(master_->address());
  ASSERT_FALSE(agent.Register(Res("cpus:2;mem:1024")).empty());
  size_t from = 0;
  ASSERT_TRUE(LaunchRunning(&scheduler, &agent, "chatty", &from));

  // Opened, never read until the flood is over. Its channel keeps gRPC's
  // default 64 KiB receive window (no BDP probing, which would otherwise
  // grow it to megabytes for a client that never reads).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto slow_stub = v1::MasterOperator::NewStub(
      grpc::CreateCustomChannel(master_->address(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext slow_context;
  slow_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto slow = slow_stub->Watch(&slow_context, v1::WatchRequest());
  Watcher fast(stub_.get());
  ASSERT_EQ(fast.WaitFor(v1::WatchEvent::SUBSCRIBED), 0);

  // Each update is a TASK_UPDATED carrying the task with its recent
  // statuses (~1 KB): far more in all than gRPC's flow-control windows
  // buffer. Sent in chunks the reading watcher keeps up with (a burst
  // larger than the bound would drop any watcher).
  constexpr int kUpdates = 4000;
  constexpr int kChunk = 50;
  const std::string framework_id = scheduler.header.framework_id().value();
  for (int i = 0; i < kUpdates; ++i) {
    agent.SendStatus(framework_id, "chatty", v1::TASK_RUNNING, absl::StrCat("flood-", i));
    if ((i + 1) % kChunk != 0) continue;
    ASSERT_GE(fast.events.WaitFor([&](const v1::WatchEvent& e) {
      return e.type() == v1::WatchEvent::TASK_UPDATED &&
             e.status().uuid() == absl::StrCat("flood-", i);
    }),
              0)
        << "the reading watcher missed update " << i;
  }
  // The master serves on.
  v1::MasterState state;
  ASSERT_TRUE(Call(&Stub::GetState, v1::GetStateRequest(), &state).ok());
  EXPECT_EQ(state.tasks_size(), 1);

  int read = 0;
  v1::WatchEvent event;
  while (slow->Read(&event)) ++read;
  grpc::Status status = slow->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("--max_watch_queue"), std::string::npos)
      << status.error_message();
  EXPECT_LT(read, kUpdates);
  // The fast watcher was not affected.
  EXPECT_FALSE(fast.Ended());
}

TEST_F(WatchTest, WatchersAreClosedWhenTheMasterStops) {
  Watcher watcher(stub_.get());
  ASSERT_EQ(watcher.WaitFor(v1::WatchEvent::SUBSCRIBED), 0);
  master_->Stop();
  ASSERT_TRUE(watcher.WaitForEnd());
  EXPECT_EQ(watcher.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << watcher.status.error_message();
}

}  // namespace
}  // namespace agora::master
