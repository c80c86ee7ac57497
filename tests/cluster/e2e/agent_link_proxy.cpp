#include "tests/cluster/e2e/agent_link_proxy.hpp"

#include <thread>

#include "absl/strings/str_cat.h"

namespace agora::testing {

AgentLinkProxy::AgentLinkProxy(std::string master_address)
    : master_address_(std::move(master_address)) {
  channel_ = grpc::CreateChannel(master_address_, grpc::InsecureChannelCredentials());
  stub_ = internal::AgentChannel::NewStub(channel_);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

AgentLinkProxy::~AgentLinkProxy() {
  BreakStreams();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
}

void AgentLinkProxy::set_filter(Filter filter) {
  std::lock_guard<std::mutex> lock(mu_);
  filter_ = std::move(filter);
}

AgentLinkProxy::Filter AgentLinkProxy::filter() {
  std::lock_guard<std::mutex> lock(mu_);
  return filter_;
}

void AgentLinkProxy::BreakStreams() {
  std::lock_guard<std::mutex> lock(mu_);
  for (grpc::ServerContext* server : servers_) server->TryCancel();
  for (grpc::ClientContext* client : clients_) client->TryCancel();
}

grpc::Status AgentLinkProxy::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<internal::MasterMessage, internal::AgentMessage>* agent) {
  grpc::ClientContext upstream_context;
  {
    std::lock_guard<std::mutex> lock(mu_);
    servers_.insert(context);
    clients_.insert(&upstream_context);
  }
  auto master = stub_->Connect(&upstream_context);
  // Agent -> master on a helper thread; master -> agent on this one.
  std::thread uplink([&] {
    internal::AgentMessage message;
    while (agent->Read(&message)) {
      Filter current = filter();
      Verdict verdict = current.to_master ? current.to_master(message) : Verdict::kPass;
      if (verdict == Verdict::kDrop) {
        ++dropped_;
        continue;
      }
      if (verdict == Verdict::kDelay)
        std::this_thread::sleep_for(absl::ToChronoNanoseconds(current.delay));
      if (!master->Write(message)) break;
      if (verdict == Verdict::kDuplicate && !master->Write(message)) break;
    }
    master->WritesDone();
    upstream_context.TryCancel();
  });
  internal::MasterMessage message;
  while (master->Read(&message)) {
    Filter current = filter();
    Verdict verdict = current.to_agent ? current.to_agent(message) : Verdict::kPass;
    if (verdict == Verdict::kDrop) {
      ++dropped_;
      continue;
    }
    if (verdict == Verdict::kDelay)
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(current.delay));
    if (!agent->Write(message)) break;
    if (verdict == Verdict::kDuplicate && !agent->Write(message)) break;
  }
  context->TryCancel();  // Unblocks the uplink's Read.
  uplink.join();
  master->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    servers_.erase(context);
    clients_.erase(&upstream_context);
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "proxied stream ended");
}

std::function<AgentLinkProxy::Verdict(const internal::AgentMessage&)> OnStatusUpdate(
    int state, AgentLinkProxy::Verdict verdict, int times) {
  auto remaining = std::make_shared<std::atomic<int>>(times);
  return [state, verdict, remaining](const internal::AgentMessage& message) {
    if (message.type() != internal::AgentMessage::STATUS_UPDATE ||
        message.status_update().status().state() != state)
      return AgentLinkProxy::Verdict::kPass;
    if (remaining->fetch_sub(1) <= 0) return AgentLinkProxy::Verdict::kPass;
    return verdict;
  };
}

}  // namespace agora::testing
