// MasterLink (the agent's and the simulated agents' stream to the master)
// against the fake master over real gRPC: a burst of status updates sent in
// one loop turn arrives whole and in order; merged into STATUS_UPDATES
// batches once the link may batch (the master announced them), one
// STATUS_UPDATE each otherwise (a master from before batches).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "agent/master_link.hpp"
#include "common/asio_event_loop.hpp"
#include "common/link_batches.hpp"
#include "fake_master.hpp"

namespace agora::agent {
namespace {

using internal::AgentMessage;

constexpr int kUpdates = 300;

class MasterLinkBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_.set_auto_ack(false);
    loop_.Start();
    channel_ = grpc::CreateChannel(master_.address(), grpc::InsecureChannelCredentials());
    stub_ = internal::AgentChannel::NewStub(channel_);
    OnLoop([this] {
      link_ = MasterLink::Start(
          &loop_, stub_.get(), [](const internal::MasterMessage&) {},
          [this](const absl::Status&) { closed_.set_value(); });
      AgentMessage reg;
      reg.set_type(AgentMessage::REGISTER);
      reg.mutable_register_()->mutable_agent_info()->set_hostname("link-test");
      link_->Send(reg);
    });
    ASSERT_TRUE(master_.WaitFor([this] { return !master_.registrations().empty(); }));
  }

  void TearDown() override {
    OnLoop([this] { link_->Close(); });
    ASSERT_EQ(closed_.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
    OnLoop([this] { link_.reset(); });
    loop_.Stop();
  }

  // Runs `fn` on the loop and waits for it.
  void OnLoop(std::function<void()> fn) {
    std::promise<void> done;
    loop_.Post([&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Sends kUpdates updates in one loop turn (each written at once or queued
  // behind the write in flight).
  void SendBurst() {
    OnLoop([this] {
      for (int i = 0; i < kUpdates; ++i) {
        AgentMessage message;
        message.set_type(AgentMessage::STATUS_UPDATE);
        auto* update = message.mutable_status_update();
        update->mutable_framework_id()->set_value("f");
        update->mutable_status()->mutable_task_id()->set_value("t" + std::to_string(i));
        update->mutable_status()->set_state(v1::TASK_RUNNING);
        update->mutable_status()->set_uuid("u" + std::to_string(i));
        ASSERT_TRUE(link_->Send(std::move(message)));
      }
    });
  }

  // Waits for every update; returns their uuids in arrival order and counts
  // the messages that carried them.
  std::vector<std::string> Received(int* singles, int* batches) {
    std::vector<std::string> uuids;
    EXPECT_TRUE(master_.WaitFor([&] {
      uuids.clear();
      *singles = *batches = 0;
      for (const AgentMessage& m : master_.messages()) {
        if (m.type() == AgentMessage::STATUS_UPDATE) {
          ++*singles;
          uuids.push_back(m.status_update().status().uuid());
        } else if (m.type() == AgentMessage::STATUS_UPDATES) {
          ++*batches;
          EXPECT_LE(m.status_updates_size(), kMaxLinkBatchEntries);
          for (const auto& u : m.status_updates()) uuids.push_back(u.status().uuid());
        }
      }
      return uuids.size() >= static_cast<size_t>(kUpdates);
    }));
    return uuids;
  }

  static std::vector<std::string> Expected() {
    std::vector<std::string> uuids;
    for (int i = 0; i < kUpdates; ++i) uuids.push_back("u" + std::to_string(i));
    return uuids;
  }

  testing::FakeMaster master_;
  AsioEventLoop loop_{"link-test"};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<internal::AgentChannel::Stub> stub_;
  std::shared_ptr<MasterLink> link_;
  std::promise<void> closed_;
};

TEST_F(MasterLinkBatchTest, ABurstLeavesAsBatchesWholeAndInOrderOnceTheMasterTakesThem) {
  link_->SetUpdateBatching(true);
  SendBurst();
  int singles = 0, batches = 0;
  EXPECT_EQ(Received(&singles, &batches), Expected());
  // What queued behind a write in flight (the first update's, or still the
  // registration's) left merged.
  EXPECT_GE(batches, 1);
  EXPECT_LT(singles + batches, kUpdates);
  EXPECT_GT(link_->merged_messages(), 0u);
}

TEST_F(MasterLinkBatchTest, WithoutTheMastersWordEveryUpdateLeavesAlone) {
  SendBurst();
  int singles = 0, batches = 0;
  EXPECT_EQ(Received(&singles, &batches), Expected());
  EXPECT_EQ(singles, kUpdates);
  EXPECT_EQ(batches, 0);
  EXPECT_EQ(link_->merged_messages(), 0u);
}

}  // namespace
}  // namespace agora::agent
