#include "tests/cluster/master/agent_fleet.hpp"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/resources.hpp"

namespace agora::testing {

class AgentFleet::Agent
    : public grpc::ClientBidiReactor<internal::AgentMessage, internal::MasterMessage> {
 public:
  Agent(AgentFleet* fleet, internal::AgentChannel::Stub* stub, internal::AgentMessage hello)
      : fleet_(fleet), hello_(std::move(hello)) {
    stub->async()->Connect(&context_, this);
    StartWrite(&hello_);
    StartRead(&in_);
    StartCall();
  }
  void Cancel() { context_.TryCancel(); }

  void OnWriteDone(bool) override {}
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.type() == internal::MasterMessage::REREGISTERED) fleet_->OnReregistered();
    StartRead(&in_);
  }
  void OnDone(const grpc::Status&) override { fleet_->OnDone(); }

 private:
  AgentFleet* fleet_;
  grpc::ClientContext context_;
  internal::AgentMessage hello_;
  internal::MasterMessage in_;
};

std::string AgentFleet::AgentId(size_t i) { return absl::StrFormat("fleet-agent-%05d", i); }

std::string AgentFleet::TaskId(size_t i, size_t j) {
  return absl::StrFormat("task-%05d-%02d", i, j);
}

AgentFleet::AgentFleet(const std::string& address, Options options) {
  for (size_t c = 0; c < options.channels; ++c) {
    grpc::ChannelArguments args;
    // A distinct argument per channel: one TCP connection each.
    args.SetInt("agora.fleet_channel", static_cast<int>(c));
    channels_.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(internal::AgentChannel::NewStub(channels_.back()));
  }
  const auto agent_resources = Resources::Parse(options.agent_resources)->ToProto();
  const auto task_resources = Resources::Parse("cpus:1;mem:128")->ToProto();
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  for (size_t i = 0; i < options.agents; ++i) {
    internal::AgentMessage hello;
    hello.set_type(internal::AgentMessage::REREGISTER);
    auto* reregister = hello.mutable_reregister();
    reregister->set_version("fleet");
    v1::AgentInfo* info = reregister->mutable_agent_info();
    info->mutable_id()->set_value(AgentId(i));
    info->set_hostname(absl::StrCat("host-", i, ".fleet.example"));
    *info->mutable_resources() = agent_resources;
    for (size_t j = 0; j < options.tasks_per_agent; ++j) {
      v1::Task* task = reregister->add_tasks();
      const std::string task_id = TaskId(i, j);
      task->set_name(absl::StrCat("fleet task ", task_id));
      task->mutable_task_id()->set_value(task_id);
      task->mutable_framework_id()->set_value(options.framework_id);
      task->mutable_agent_id()->set_value(AgentId(i));
      task->set_state(v1::TASK_RUNNING);
      task->set_role("*");
      *task->mutable_resources() = task_resources;
      v1::TaskInfo* task_info = task->mutable_info();
      task_info->set_name(task->name());
      *task_info->mutable_task_id() = task->task_id();
      *task_info->mutable_agent_id() = task->agent_id();
      *task_info->mutable_resources() = task_resources;
      task_info->mutable_command()->set_value("sleep 3600");
      task_info->mutable_command()->set_shell(true);
      v1::TaskStatus* status = task->mutable_status();
      *status->mutable_task_id() = task->task_id();
      *status->mutable_agent_id() = task->agent_id();
      status->set_state(v1::TASK_RUNNING);
      status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
      status->set_uuid(absl::StrCat("uuid-", task_id));
      status->set_timestamp(now);
      *task->add_statuses() = *status;
    }
    agents_.push_back(
        std::make_unique<Agent>(this, stubs_[i % stubs_.size()].get(), std::move(hello)));
  }
}

AgentFleet::~AgentFleet() {
  for (auto& agent : agents_) agent->Cancel();
  std::unique_lock<std::mutex> lock(mutex_);
  // Cancellation ends every stream, so this terminates (the test's timeout
  // catches a bug).
  cv_.wait(lock, [this] { return done_ == agents_.size(); });
}

void AgentFleet::OnReregistered() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++reregistered_;
  cv_.notify_all();
}

void AgentFleet::OnDone() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  cv_.notify_all();
}

bool AgentFleet::WaitReregistered(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return reregistered_ == agents_.size(); });
}

size_t AgentFleet::reregistered() {
  std::lock_guard<std::mutex> lock(mutex_);
  return reregistered_;
}

}  // namespace agora::testing
