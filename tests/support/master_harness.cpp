#include "tests/support/master_harness.hpp"

#include <gtest/gtest.h>

#include "common/resources.hpp"
#include "master/allocation.hpp"

namespace agora::testing {

absl::StatusOr<internal::Registry> InMemoryRegistry::Recover() {
  state_ = store_->durable;
  return state_;
}

void InMemoryRegistry::Apply(std::vector<internal::Operation> operations, Callback done) {
  for (const auto& op : operations) master::ApplyOperation(op, &state_);
  absl::Status status = absl::OkStatus();
  if (store_->fail_writes) {
    status = store_->failure;
  } else {
    store_->durable = state_;
    ++store_->writes;
  }
  if (done) loop_->Post([done = std::move(done), status] { done(status); });
}

bool RecordingFrameworkSink::Send(v1::Event event) {
  if (closed) return false;
  events.push_back(std::move(event));
  return true;
}

void RecordingFrameworkSink::Close(absl::Status status) {
  closed = true;
  close_status = std::move(status);
}

std::vector<v1::TaskStatus> RecordingFrameworkSink::Updates() const {
  std::vector<v1::TaskStatus> updates;
  for (const auto& event : events) {
    if (event.type() == v1::Event::UPDATE) updates.push_back(event.update().status());
  }
  return updates;
}

std::vector<v1::TaskStatus> RecordingFrameworkSink::UpdatesFor(const std::string& task_id) const {
  std::vector<v1::TaskStatus> updates;
  for (const auto& status : Updates()) {
    if (status.task_id().value() == task_id) updates.push_back(status);
  }
  return updates;
}

int RecordingFrameworkSink::Count(v1::Event::Type type) const {
  int count = 0;
  for (const auto& event : events) count += event.type() == type;
  return count;
}

bool RecordingAgentSink::Send(internal::MasterMessage message) {
  if (closed) return false;
  messages.push_back(std::move(message));
  return true;
}

void RecordingAgentSink::Close(absl::Status status) {
  closed = true;
  close_status = std::move(status);
}

std::vector<internal::MasterMessage> RecordingAgentSink::OfType(
    internal::MasterMessage::Type type) const {
  std::vector<internal::MasterMessage> found;
  for (const auto& message : messages) {
    if (message.type() == type) found.push_back(message);
  }
  return found;
}

int RecordingAgentSink::Count(internal::MasterMessage::Type type) const {
  return static_cast<int>(OfType(type).size());
}

master::MasterOptions MasterHarness::DefaultOptions() {
  master::MasterOptions options;
  options.work_dir = "/nonexistent/in-memory";
  options.http_port = -1;
  options.offer_timeout = absl::ZeroDuration();
  // Cycles between calls on the manual loop, so tests see exact offers.
  options.allocation_thread = false;
  return options;
}

MasterHarness::MasterHarness(master::MasterOptions options, AllocationFactory allocation)
    : options_(std::move(options)), allocation_factory_(std::move(allocation)) {
  CreateCore();
}

std::unique_ptr<master::Allocation> MasterHarness::NewAllocation() const {
  if (allocation_factory_) return allocation_factory_();
  return master::NewDrfAllocation(options_.default_refuse, options_.max_refuse);
}

MasterHarness::~MasterHarness() {
  if (core_) core_->Shutdown();
  loop_.RunUntilIdle();
}

void MasterHarness::CreateCore() {
  core_ = std::make_unique<master::MasterCore>(
      &loop_, options_, "master-under-test", "127.0.0.1:5050",
      std::make_unique<InMemoryRegistry>(&loop_, store_), NewAllocation());
  core_->set_on_step_down([this](const absl::Status& status) { step_downs_.push_back(status); });
  absl::Status recovered = core_->Recover();
  EXPECT_TRUE(recovered.ok()) << recovered;
  core_->Start();
  loop_.RunUntilIdle();
}

absl::Status MasterHarness::Restart() {
  core_->Shutdown();
  dead_cores_.push_back(std::move(core_));
  loop_.RunUntilIdle();
  core_ = std::make_unique<master::MasterCore>(
      &loop_, options_, "master-under-test", "127.0.0.1:5050",
      std::make_unique<InMemoryRegistry>(&loop_, store_), NewAllocation());
  core_->set_on_step_down([this](const absl::Status& status) { step_downs_.push_back(status); });
  absl::Status recovered = core_->Recover();
  if (!recovered.ok()) return recovered;
  core_->Start();
  loop_.RunUntilIdle();
  return absl::OkStatus();
}

v1::CallHeader MasterHarness::Scheduler::header() const {
  v1::CallHeader header;
  header.mutable_framework_id()->set_value(framework_id);
  header.set_stream_id(stream_id);
  return header;
}

v1::FrameworkInfo MasterHarness::FrameworkInfo(const std::string& name, double failover_timeout) {
  v1::FrameworkInfo info;
  info.set_name(name);
  info.set_user("nobody");
  info.add_roles("*");
  info.set_failover_timeout(failover_timeout);
  return info;
}

MasterHarness::Scheduler MasterHarness::Resubscribe(const std::string& framework_id,
                                                    const std::string& name) {
  v1::FrameworkInfo info = FrameworkInfo(name);
  info.mutable_id()->set_value(framework_id);
  return Subscribe(std::move(info));
}

MasterHarness::Scheduler MasterHarness::Subscribe(v1::FrameworkInfo info) {
  Scheduler scheduler;
  scheduler.sink = std::make_shared<RecordingFrameworkSink>();
  v1::SubscribeRequest request;
  *request.mutable_framework_info() = std::move(info);
  absl::Status status = core_->Subscribe(request, scheduler.sink, &scheduler.token);
  if (!status.ok()) {
    scheduler.sink->Close(status);
    return scheduler;
  }
  loop_.RunUntilIdle();
  for (const auto& event : scheduler.sink->events) {
    if (event.type() == v1::Event::SUBSCRIBED) {
      scheduler.framework_id = event.subscribed().framework_id().value();
      scheduler.stream_id = event.subscribed().stream_id();
    }
  }
  return scheduler;
}

void MasterHarness::Disconnect(const Scheduler& scheduler) {
  scheduler.sink->Close(absl::CancelledError("scheduler went away"));
  core_->OnFrameworkStreamClosed(scheduler.token);
  loop_.RunUntilIdle();
}

absl::Status MasterHarness::Reconcile(const Scheduler& scheduler, const std::string& task_id,
                                      const std::string& agent_id) {
  v1::ReconcileRequest request;
  *request.mutable_header() = scheduler.header();
  auto* task = request.add_tasks();
  task->mutable_task_id()->set_value(task_id);
  if (!agent_id.empty()) task->mutable_agent_id()->set_value(agent_id);
  absl::Status status = core_->Reconcile(request);
  loop_.RunUntilIdle();
  return status;
}

absl::Status MasterHarness::Kill(const Scheduler& scheduler, const std::string& task_id,
                                 const std::string& agent_id) {
  v1::KillRequest request;
  *request.mutable_header() = scheduler.header();
  request.mutable_task_id()->set_value(task_id);
  if (!agent_id.empty()) request.mutable_agent_id()->set_value(agent_id);
  absl::Status status = core_->Kill(request);
  loop_.RunUntilIdle();
  return status;
}

absl::Status MasterHarness::Acknowledge(const Scheduler& scheduler, const std::string& agent_id,
                                        const std::string& task_id, const std::string& uuid) {
  v1::AcknowledgeRequest request;
  *request.mutable_header() = scheduler.header();
  request.mutable_agent_id()->set_value(agent_id);
  request.mutable_task_id()->set_value(task_id);
  request.set_uuid(uuid);
  absl::Status status = core_->Acknowledge(request);
  loop_.RunUntilIdle();
  return status;
}

absl::Status MasterHarness::Teardown(const Scheduler& scheduler) {
  v1::TeardownRequest request;
  *request.mutable_header() = scheduler.header();
  absl::Status status = core_->Teardown(request);
  loop_.RunUntilIdle();
  return status;
}

MasterHarness::AgentConn MasterHarness::RegisterAgent(const std::string& hostname,
                                                      const std::string& resources) {
  AgentConn agent;
  agent.connection = next_connection_++;
  agent.sink = std::make_shared<RecordingAgentSink>();
  core_->OnAgentConnected(agent.connection, agent.sink);
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::REGISTER);
  v1::AgentInfo* info = message.mutable_register_()->mutable_agent_info();
  info->set_hostname(hostname);
  *info->mutable_resources() = Resources::Parse(resources)->ToProto();
  message.mutable_register_()->set_version("test");
  EXPECT_TRUE(core_->OnAgentMessage(agent.connection, message).ok());
  loop_.RunUntilIdle();
  for (const auto& reply : agent.sink->OfType(internal::MasterMessage::REGISTERED)) {
    agent.agent_id = reply.registered().agent_id().value();
  }
  agent.info = *info;
  agent.info.mutable_id()->set_value(agent.agent_id);
  return agent;
}

MasterHarness::AgentConn MasterHarness::Reregister(const v1::AgentInfo& info,
                                                   std::vector<v1::Task> tasks) {
  AgentConn agent;
  agent.connection = next_connection_++;
  agent.sink = std::make_shared<RecordingAgentSink>();
  agent.agent_id = info.id().value();
  agent.info = info;
  core_->OnAgentConnected(agent.connection, agent.sink);
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::REREGISTER);
  *message.mutable_reregister()->mutable_agent_info() = info;
  message.mutable_reregister()->set_version("test");
  for (auto& task : tasks) *message.mutable_reregister()->add_tasks() = std::move(task);
  EXPECT_TRUE(core_->OnAgentMessage(agent.connection, message).ok());
  loop_.RunUntilIdle();
  return agent;
}

void MasterHarness::Disconnect(const AgentConn& agent) {
  agent.sink->Close(absl::CancelledError("agent went away"));
  core_->OnAgentDisconnected(agent.connection);
  loop_.RunUntilIdle();
}

void MasterHarness::Heartbeat(const AgentConn& agent) {
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::HEARTBEAT);
  EXPECT_TRUE(core_->OnAgentMessage(agent.connection, message).ok());
}

void MasterHarness::AdvanceWithHeartbeats(absl::Duration delta,
                                          const std::vector<AgentConn>& agents) {
  while (delta > absl::ZeroDuration()) {
    const absl::Duration step = std::min(delta, absl::Seconds(1));
    for (const auto& agent : agents) Heartbeat(agent);
    loop_.AdvanceTime(step);
    delta -= step;
  }
}

void MasterHarness::SendUpdate(const AgentConn& agent, const std::string& framework_id,
                               const std::string& task_id, v1::TaskState state,
                               const std::string& uuid) {
  internal::AgentMessage message;
  message.set_type(internal::AgentMessage::STATUS_UPDATE);
  auto* update = message.mutable_status_update();
  update->mutable_framework_id()->set_value(framework_id);
  update->mutable_status()->mutable_task_id()->set_value(task_id);
  update->mutable_status()->set_state(state);
  update->mutable_status()->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  update->mutable_status()->set_uuid(uuid);
  *update->mutable_status()->mutable_agent_id() = agent.info.id();
  update->set_latest_state(state);
  EXPECT_TRUE(core_->OnAgentMessage(agent.connection, message).ok());
  loop_.RunUntilIdle();
}

v1::Task MasterHarness::Launch(const Scheduler& scheduler, const AgentConn& agent,
                               const std::string& task_id) {
  loop_.RunUntilIdle();
  std::string offer_id;
  for (const auto& event : scheduler.sink->events) {
    if (event.type() != v1::Event::OFFERS) continue;
    for (const auto& offer : event.offers().offers()) {
      if (offer.agent_id().value() == agent.agent_id) offer_id = offer.id().value();
    }
  }
  EXPECT_FALSE(offer_id.empty()) << "no offer for agent " << agent.agent_id;
  v1::AcceptRequest request;
  *request.mutable_header() = scheduler.header();
  request.add_offer_ids()->set_value(offer_id);
  auto* op = request.add_operations();
  op->set_type(v1::Offer::Operation::LAUNCH);
  v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
  task->set_name(task_id);
  task->mutable_task_id()->set_value(task_id);
  *task->mutable_agent_id() = agent.info.id();
  *task->mutable_resources() = Resources::Parse("cpus:1;mem:128")->ToProto();
  task->mutable_command()->set_shell(true);
  task->mutable_command()->set_value("sleep 1000");
  absl::Status status = core_->Accept(request);
  EXPECT_TRUE(status.ok()) << status;
  loop_.RunUntilIdle();

  v1::Task reported;
  reported.set_name(task_id);
  reported.mutable_task_id()->set_value(task_id);
  reported.mutable_framework_id()->set_value(scheduler.framework_id);
  reported.mutable_executor_id()->set_value(task_id);
  *reported.mutable_agent_id() = agent.info.id();
  reported.set_state(v1::TASK_STAGING);
  *reported.mutable_resources() = task->resources();
  reported.set_role("*");
  *reported.mutable_info() = *task;
  return reported;
}

v1::Task MasterHarness::Reported(v1::Task task, v1::TaskState state) {
  task.set_state(state);
  return task;
}

v1::AgentSummary MasterHarness::AgentSummary(const std::string& agent_id) {
  const v1::GetAgentsResponse response = core_->GetAgents(v1::GetAgentsRequest());
  for (const auto& agent : response.agents()) {
    if (agent.info().id().value() == agent_id) return agent;
  }
  return v1::AgentSummary();
}

v1::FrameworkSummary MasterHarness::FrameworkSummary(const std::string& framework_id) {
  const v1::GetFrameworksResponse response = core_->GetFrameworks(v1::GetFrameworksRequest());
  for (const auto& framework : response.frameworks()) {
    if (framework.info().id().value() == framework_id) return framework;
  }
  return v1::FrameworkSummary();
}

v1::TaskState MasterHarness::TaskState(const std::string& task_id) {
  v1::GetTasksRequest request;
  request.mutable_task_id()->set_value(task_id);
  auto tasks = core_->GetTasks(request);
  if (!tasks.ok() || tasks->tasks_size() == 0) return v1::TASK_STATE_UNSPECIFIED;
  return tasks->tasks(0).state();
}

}  // namespace agora::testing
