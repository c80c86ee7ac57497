// Raw gRPC clients for master cluster tests: a scheduler (Subscribe stream +
// unary calls) and FakeAgentClient speaking AgentChannel. Each collects what
// it receives on a reader thread; tests wait on conditions with deadlines.
#ifndef AGORA_TESTS_CLUSTER_MASTER_MASTER_TEST_CLIENTS_HPP_
#define AGORA_TESTS_CLUSTER_MASTER_MASTER_TEST_CLIENTS_HPP_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agora/internal/agent_master.grpc.pb.h"
#include "agora/v1/master.grpc.pb.h"
#include "agora/v1/scheduler.grpc.pb.h"

namespace agora::testing {

// Collects messages from a reader thread.
template <typename T>
class Inbox {
 public:
  void Push(T item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  // Waits until some item at index >= `from` matches; returns its index or -1.
  int WaitFor(const std::function<bool(const T&)>& match, size_t from = 0,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    int found = -1;
    cv_.wait_for(lock, timeout, [&] {
      for (size_t i = from; i < items_.size(); ++i) {
        if (match(items_[i])) {
          found = static_cast<int>(i);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  T At(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.at(i);
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }
  std::vector<T> All() {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<T> items_;
};

class SchedulerClient {
 public:
  explicit SchedulerClient(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(v1::Scheduler::NewStub(channel_)) {}
  ~SchedulerClient() { Close(); }

  // Subscribes and waits for SUBSCRIBED (false on error/timeout).
  bool Subscribe(v1::FrameworkInfo info) {
    v1::SubscribeRequest request;
    *request.mutable_framework_info() = std::move(info);
    reader_ = stub_->Subscribe(&context_, request);
    thread_ = std::thread([this] {
      v1::Event event;
      while (reader_->Read(&event)) events.Push(event);
      status_ = reader_->Finish();
      finished_ = true;
      events.Push(v1::Event());  // Sentinel: stream ended.
    });
    int index = events.WaitFor([](const v1::Event& e) {
      return e.type() == v1::Event::SUBSCRIBED || e.type() == v1::Event::TYPE_UNSPECIFIED;
    });
    if (index < 0 || events.At(index).type() != v1::Event::SUBSCRIBED) return false;
    header.mutable_framework_id()->set_value(events.At(index).subscribed().framework_id().value());
    header.set_stream_id(events.At(index).subscribed().stream_id());
    return true;
  }

  void Close() {
    if (thread_.joinable()) {
      context_.TryCancel();
      thread_.join();
    }
  }

  // Waits for an OFFERS event after index `from`; returns its first offer.
  bool NextOffer(v1::Offer* offer, size_t* from,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    int i = events.WaitFor([](const v1::Event& e) { return e.type() == v1::Event::OFFERS; }, *from,
                           timeout);
    if (i < 0) return false;
    *offer = events.At(i).offers().offers(0);
    *from = i + 1;
    return true;
  }

  int WaitForUpdate(const std::string& task_id, v1::TaskState state, size_t from = 0) {
    return events.WaitFor(
        [&](const v1::Event& e) {
          return e.type() == v1::Event::UPDATE &&
                 e.update().status().task_id().value() == task_id &&
                 e.update().status().state() == state;
        },
        from);
  }

  template <typename Request>
  grpc::Status Call(grpc::Status (v1::Scheduler::Stub::*method)(grpc::ClientContext*,
                                                                const Request&, v1::CallResponse*),
                    Request request) {
    *request.mutable_header() = header;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CallResponse response;
    return (stub_.get()->*method)(&context, request, &response);
  }

  v1::Scheduler::Stub* stub() { return stub_.get(); }
  bool finished() const { return finished_; }
  // How the stream ended; read only once finished() (or the sentinel event).
  grpc::Status status() const { return status_; }

  Inbox<v1::Event> events;
  v1::CallHeader header;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Scheduler::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  std::thread thread_;
  grpc::Status status_;
  std::atomic<bool> finished_{false};
};

// Speaks the agent side of AgentChannel.
class FakeAgentClient {
 public:
  explicit FakeAgentClient(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(internal::AgentChannel::NewStub(channel_)) {
    stream_ = stub_->Connect(&context_);
    thread_ = std::thread([this] {
      internal::MasterMessage message;
      while (stream_->Read(&message)) messages.Push(message);
    });
  }
  ~FakeAgentClient() { Close(); }

  void Send(const internal::AgentMessage& message) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    stream_->Write(message);
  }

  // Registers with `resources` (proto) and waits for REGISTERED. Announces
  // ACKNOWLEDGEMENTS batches only when `ack_batches`.
  std::string Register(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                       bool ack_batches = false) {
    internal::AgentMessage message;
    message.set_type(internal::AgentMessage::REGISTER);
    message.mutable_register_()->set_accepts_acknowledgement_batches(ack_batches);
    message.mutable_register_()->mutable_agent_info()->set_hostname("fake-agent");
    *message.mutable_register_()->mutable_agent_info()->mutable_resources() = resources;
    Send(message);
    int i = messages.WaitFor([](const internal::MasterMessage& m) {
      return m.type() == internal::MasterMessage::REGISTERED;
    });
    if (i < 0) return "";
    agent_id = messages.At(i).registered().agent_id().value();
    return agent_id;
  }

  void SendStatus(const std::string& framework_id, const std::string& task_id, v1::TaskState state,
                  const std::string& uuid) {
    internal::AgentMessage message;
    message.set_type(internal::AgentMessage::STATUS_UPDATE);
    auto* update = message.mutable_status_update();
    update->mutable_framework_id()->set_value(framework_id);
    update->mutable_status()->mutable_task_id()->set_value(task_id);
    update->mutable_status()->set_state(state);
    update->mutable_status()->set_uuid(uuid);
    update->mutable_status()->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    update->set_latest_state(state);
    Send(message);
  }

  void Close() {
    if (thread_.joinable()) {
      context_.TryCancel();
      thread_.join();
    }
  }

  Inbox<internal::MasterMessage> messages;
  std::string agent_id;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<internal::AgentChannel::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<internal::AgentMessage, internal::MasterMessage>>
      stream_;
  std::mutex write_mutex_;
  std::thread thread_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_MASTER_MASTER_TEST_CLIENTS_HPP_
