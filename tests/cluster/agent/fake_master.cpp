#include "fake_master.hpp"

#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"

namespace agora::testing {

using internal::AgentMessage;
using internal::MasterMessage;

FakeMaster::FakeMaster() {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeMaster::~FakeMaster() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  server_->Wait();
}

bool FakeMaster::Send(const MasterMessage& message) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  grpc::ServerReaderWriter<MasterMessage, AgentMessage>* stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream = current_;
  }
  return stream != nullptr && stream->Write(message);
}

void FakeMaster::BreakStream() {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_context_ != nullptr) current_context_->TryCancel();
}

void FakeMaster::set_auto_ack(bool auto_ack) {
  std::lock_guard<std::mutex> lock(mu_);
  auto_ack_ = auto_ack;
}

void FakeMaster::set_accept_update_batches(bool accept) {
  std::lock_guard<std::mutex> lock(mu_);
  accept_update_batches_ = accept;
}

bool FakeMaster::WaitFor(const std::function<bool()>& predicate, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), predicate);
}

std::vector<v1::TaskStatus> FakeMaster::UpdatesFor(const std::string& task_id) const {
  std::vector<v1::TaskStatus> updates;
  std::set<std::string> seen;
  auto add = [&](const v1::TaskStatus& status) {
    if (status.task_id().value() != task_id) return;
    if (!seen.insert(status.uuid()).second) return;
    updates.push_back(status);
  };
  for (const AgentMessage& message : messages_) {
    if (message.type() == AgentMessage::STATUS_UPDATE) add(message.status_update().status());
    if (message.type() == AgentMessage::STATUS_UPDATES) {
      for (const auto& update : message.status_updates()) add(update.status());
    }
  }
  return updates;
}

std::vector<AgentMessage> FakeMaster::Messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}

grpc::Status FakeMaster::Connect(grpc::ServerContext* context,
                                 grpc::ServerReaderWriter<MasterMessage, AgentMessage>* stream) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_context_ = context;
    current_ = stream;
    streams_opened_++;
  }
  AgentMessage message;
  while (stream->Read(&message)) Handle(message, stream);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ == stream) {
      current_ = nullptr;
      current_context_ = nullptr;
    }
  }
  // Wait for concurrent writers to leave the stream before it dies.
  std::lock_guard<std::mutex> write_lock(write_mu_);
  return grpc::Status::OK;
}

void FakeMaster::Handle(const AgentMessage& message,
                        grpc::ServerReaderWriter<MasterMessage, AgentMessage>* stream) {
  MasterMessage reply;
  bool send = false;
  std::vector<MasterMessage> acks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back(message);
    switch (message.type()) {
      case AgentMessage::REGISTER:
      case AgentMessage::REREGISTER:
        registrations_.push_back(message);
        reply.set_type(message.type() == AgentMessage::REGISTER ? MasterMessage::REGISTERED
                                                                : MasterMessage::REREGISTERED);
        reply.mutable_registered()->mutable_agent_id()->set_value("agent-1");
        reply.mutable_registered()->set_master_id("fake-master");
        reply.mutable_registered()->set_heartbeat_interval_seconds(0.5);
        reply.mutable_registered()->set_max_missed_heartbeats(10);
        reply.mutable_registered()->set_accepts_status_update_batches(accept_update_batches_);
        send = true;
        break;
      case AgentMessage::STATUS_UPDATES:
        for (const auto& update : message.status_updates()) {
          if (!auto_ack_ || update.status().uuid().empty()) continue;
          MasterMessage& ack = acks.emplace_back();
          ack.set_type(MasterMessage::ACKNOWLEDGE);
          *ack.mutable_acknowledge()->mutable_framework_id() = update.framework_id();
          *ack.mutable_acknowledge()->mutable_task_id() = update.status().task_id();
          ack.mutable_acknowledge()->set_uuid(update.status().uuid());
        }
        break;
      case AgentMessage::STATUS_UPDATE:
        if (auto_ack_ && !message.status_update().status().uuid().empty()) {
          reply.set_type(MasterMessage::ACKNOWLEDGE);
          *reply.mutable_acknowledge()->mutable_framework_id() =
              message.status_update().framework_id();
          *reply.mutable_acknowledge()->mutable_task_id() =
              message.status_update().status().task_id();
          reply.mutable_acknowledge()->set_uuid(message.status_update().status().uuid());
          send = true;
        }
        break;
      case AgentMessage::HEARTBEAT:
        reply.set_type(MasterMessage::HEARTBEAT);
        send = true;
        break;
      default:
        break;
    }
  }
  cv_.notify_all();
  if (send) acks.insert(acks.begin(), reply);
  if (!acks.empty()) {
    std::lock_guard<std::mutex> write_lock(write_mu_);
    for (const MasterMessage& out : acks) stream->Write(out);
  }
}

}  // namespace agora::testing
