// An elected master still loading its registry holds the agents that
// connect (instead of refusing them into backoff) and admits them the moment
// it serves; if recovery fails it refuses them with the reason. Real
// ZooKeeper, a real in-process replicated master (--registry=zk) whose
// registry load the test starts (MasterOptions::before_registry_load), a raw
// agent stream, a real in-process agent and a raw scheduler subscription.
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "agent/agent.hpp"
#include "agora/internal/agent_master.grpc.pb.h"
#include "agora/v1/scheduler.grpc.pb.h"
#include "common/resources.hpp"
#include "gtest/gtest.h"
#include "master/master.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/zookeeper_server.hpp"
#include "zk_contender.hpp"

namespace agora::testing {
namespace {

// Holds the master's registry load until the test starts it.
class LoadGate {
 public:
  std::function<void(std::function<void()>)> Hook() {
    return [this](std::function<void()> load) {
      std::lock_guard<std::mutex> lock(mu_);
      load_ = std::move(load);
      ++elections_;
      cv_.notify_all();
    };
  }
  // Waits until the master was elected (the hook ran) `count` times.
  bool WaitForElection(int count = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return elections_ >= count; });
  }
  void Open() {
    std::function<void()> load;
    {
      std::lock_guard<std::mutex> lock(mu_);
      load = std::move(load_);
    }
    ASSERT_TRUE(load) << "the master was not elected";
    load();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> load_;
  int elections_ = 0;
};

// One agent stream opened by hand: REGISTER, then the master's answer.
class RawAgentStream {
 public:
  explicit RawAgentStream(const std::string& address)
      : stub_(internal::AgentChannel::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream_ = stub_->Connect(&context_);
    internal::AgentMessage message;
    message.set_type(internal::AgentMessage::REGISTER);
    v1::AgentInfo* info = message.mutable_register_()->mutable_agent_info();
    info->set_hostname("raw-agent");
    *info->mutable_resources() = Resources::Parse("cpus:1;mem:128")->ToProto();
    message.mutable_register_()->set_version("test");
    written_ = stream_->Write(message);
  }
  bool written() const { return written_; }
  // The first message from the master, or the stream's end status.
  absl::StatusOr<internal::MasterMessage> Answer() {
    internal::MasterMessage message;
    if (stream_->Read(&message)) return message;
    grpc::Status status = stream_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  void Cancel() { context_.TryCancel(); }

 private:
  std::unique_ptr<internal::AgentChannel::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<internal::AgentMessage, internal::MasterMessage>>
      stream_;
  bool written_ = false;
};

// A scheduler's Subscribe stream opened by hand.
class RawSubscription {
 public:
  explicit RawSubscription(const std::string& address)
      : stub_(v1::Scheduler::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::SubscribeRequest request;
    request.mutable_framework_info()->set_name("held");
    request.mutable_framework_info()->set_user("nobody");
    request.mutable_framework_info()->add_roles("*");
    reader_ = stub_->Subscribe(&context_, request);
  }
  // The first event, or the stream's end status.
  absl::StatusOr<v1::Event> First() {
    v1::Event event;
    if (reader_->Read(&event)) return event;
    grpc::Status status = reader_->Finish();
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  void Cancel() { context_.TryCancel(); }

 private:
  std::unique_ptr<v1::Scheduler::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
};

class ZkRecoveryHoldTest : public ZooKeeperTest {
 protected:
  std::string Url() const { return "zk://" + server_->address() + "/agora"; }

  void StartMaster() {
    master::MasterOptions options;
    options.port = 0;
    options.http_port = 0;
    options.registry = "zk";
    options.zk = Url();
    options.work_dir = dir_.path() + "/master";
    options.before_registry_load = gate_.Hook();
    std::filesystem::create_directories(options.work_dir);
    auto started = master::Master::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    master_ = std::move(*started);
  }
  void TearDown() override {
    if (master_) master_->Stop();
  }

  double Metric(const std::string& series) {
    return MetricValue(HttpGet(master_->http_port(), "/metrics"), series);
  }
  // Waits (up to 10 s) until the master holds `count` streams.
  bool WaitForHeld(double count) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Metric("agora_master_recovery_held_streams") == count) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  LoadGate gate_;
  std::unique_ptr<master::Master> master_;
};

TEST_F(ZkRecoveryHoldTest,
       AgentsAndSchedulersConnectingWhileTheLeaderRecoversAreAdmittedTheMomentItServes) {
  StartMaster();
  ASSERT_TRUE(gate_.WaitForElection());
  EXPECT_EQ(Metric("agora_master_elected"), 1);
  EXPECT_EQ(Metric("agora_master_serving"), 0);

  // All three connect while the master recovers: none is refused.
  RawAgentStream raw(master_->address());
  ASSERT_TRUE(raw.written());
  agent::AgentOptions options;  // Default registration backoff: 100 ms doubling.
  options.master = Url();
  options.work_dir = dir_.path() + "/agent";
  options.port = 0;
  options.resources = "cpus:1;mem:128;disk:128";
  auto agent = agent::Agent::Start(std::move(options));
  ASSERT_TRUE(agent.ok()) << agent.status();
  RawSubscription scheduler(master_->address());
  ASSERT_TRUE(WaitForHeld(3)) << "held: " << Metric("agora_master_recovery_held_streams");

  // Recovery takes 2 s (about what 10,000 agents' records take): a refused
  // agent would by then retry only every 0.8-1.6 s.
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(Metric("agora_master_recovery_held_streams"), 3);
  EXPECT_FALSE((*agent)->registered());
  const absl::Time opened = absl::Now();
  gate_.Open();

  absl::StatusOr<internal::MasterMessage> answer = raw.Answer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->type(), internal::MasterMessage::REGISTERED);
  const absl::Duration raw_took = absl::Now() - opened;
  while (!(*agent)->registered() && absl::Now() - opened < absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Duration agent_took = absl::Now() - opened;
  std::cout << "admitted after the load started: raw stream " << raw_took << ", agent "
            << agent_took << std::endl;
  EXPECT_TRUE((*agent)->registered());
  absl::StatusOr<v1::Event> subscribed = scheduler.First();
  ASSERT_TRUE(subscribed.ok()) << subscribed.status();
  EXPECT_EQ(subscribed->type(), v1::Event::SUBSCRIBED);
  // One ZooKeeper write each (the load's directories, the agent's record)
  // after the load starts; no retry (the raw stream's one attempt was
  // admitted) and no backoff.
  EXPECT_LT(raw_took, absl::Seconds(1));
  EXPECT_LT(agent_took, absl::Seconds(1));
  EXPECT_EQ(Metric("agora_master_recovery_held_streams"), 0);
  EXPECT_EQ(Metric("agora_master_recovery_hold_refused_total"), 0);
  (*agent)->Stop();
  raw.Cancel();
  scheduler.Cancel();
}

TEST_F(ZkRecoveryHoldTest, ARecoveryFailureRefusesTheHeldAgentWithTheReason) {
  // A record that does not parse: the load fails with DATA_LOSS.
  ZkContender writer(server_->address(), absl::Seconds(10));
  for (const char* path : {"/agora", "/agora/registry", "/agora/registry/agents"}) {
    ASSERT_TRUE(writer.CreatePersistent(path, "").ok()) << path;
  }
  ASSERT_TRUE(writer.CreatePersistent("/agora/registry/agents/bad", "not a record").ok());
  StartMaster();
  ASSERT_TRUE(gate_.WaitForElection());

  RawAgentStream raw(master_->address());
  ASSERT_TRUE(raw.written());
  ASSERT_TRUE(WaitForHeld(1));
  gate_.Open();

  absl::StatusOr<internal::MasterMessage> answer = raw.Answer();
  ASSERT_FALSE(answer.ok()) << "admitted by a master that could not recover";
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(answer.status().message().find("elected leader could not load the registry"),
            std::string::npos)
      << answer.status();
  EXPECT_NE(answer.status().message().find("/agora/registry/agents/bad"), std::string::npos)
      << answer.status();
  EXPECT_EQ(Metric("agora_master_serving"), 0);
}

}  // namespace
}  // namespace agora::testing
