#include "tests/cluster/e2e/in_process_cluster.hpp"

#include <filesystem>

namespace agora::testing {

master::MasterOptions TestMasterOptions(const std::string& work_dir) {
  master::MasterOptions options;
  options.ip = "127.0.0.1";
  options.port = 0;
  options.http_port = 0;
  options.work_dir = work_dir;
  options.allocation_interval = absl::Milliseconds(50);
  options.agent_heartbeat_interval = absl::Milliseconds(500);
  options.framework_heartbeat_interval = absl::Seconds(1);
  return options;
}

InProcessCluster::~InProcessCluster() {
  for (auto& [index, agent] : agents_) {
    if (agent) agent->Shutdown();
  }
  StopMaster();
  proxy_.reset();
}

absl::Status InProcessCluster::StartMaster(master::MasterOptions options) {
  std::filesystem::create_directories(options.work_dir);
  if (!master_address_.empty() && options.port == 0) {
    // A restart keeps the address agents and schedulers know.
    options.port = std::stoi(master_address_.substr(master_address_.rfind(':') + 1));
  }
  auto master = master::Master::Start(options);
  if (!master.ok()) return master.status();
  master_ = std::move(*master);
  master_address_ = master_->address();
  return absl::OkStatus();
}

void InProcessCluster::StopMaster() {
  if (master_) master_->Stop();
  master_.reset();
}

absl::Status InProcessCluster::StartAgent(size_t index, const std::string& resources) {
  agent::AgentOptions options;
  options.master = proxy_ ? proxy_->address() : master_address_;
  options.work_dir = dir_ + "/agent" + std::to_string(index);
  options.resources = resources;
  options.port = agent_ports_.count(index) ? agent_ports_[index] : 0;
  options.http_port = 0;  // /metrics for tests.
  options.executor_path = BinaryPath("agora-executor");
  options.registration_backoff_min = absl::Milliseconds(20);
  options.registration_backoff_max = absl::Milliseconds(500);
  options.status_update_retry_min = absl::Milliseconds(200);
  options.status_update_retry_max = absl::Seconds(2);
  std::filesystem::create_directories(options.work_dir);
  auto agent = agent::Agent::Start(options);
  if (!agent.ok()) return agent.status();
  agents_[index] = std::move(*agent);
  agent_ports_[index] = agents_[index]->port();
  agent::Agent* started = agents_[index].get();
  if (!WaitFor([started] { return started->registered(); }, absl::Seconds(30))) {
    return absl::DeadlineExceededError("agent " + std::to_string(index) + " did not register");
  }
  return absl::OkStatus();
}

AgentLinkProxy* InProcessCluster::EnableAgentProxy() {
  if (!proxy_) proxy_ = std::make_unique<AgentLinkProxy>(master_address_);
  return proxy_.get();
}

void InProcessCluster::CrashAgent(size_t index) {
  agents_.at(index)->Stop();
  agents_.erase(index);
}

v1::FrameworkInfo TestFramework(const std::string& name) {
  v1::FrameworkInfo info;
  info.set_name(name);
  info.add_roles("*");
  return info;
}

v1::TaskInfo CommandTask(const std::string& id, const std::string& command, double cpus,
                         double mem) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_command()->set_shell(true);
  task.mutable_command()->set_value(command);
  for (auto [name, value] : {std::pair<const char*, double>{"cpus", cpus}, {"mem", mem}}) {
    v1::Resource* resource = task.add_resources();
    resource->set_name(name);
    resource->set_type(v1::Resource::SCALAR);
    resource->set_scalar(value);
  }
  return task;
}

void RecordingScheduler::Changed() { cv_.notify_all(); }

void RecordingScheduler::registered(SchedulerDriver*, const v1::FrameworkID& id,
                                    const v1::MasterInfo&) {
  std::lock_guard<std::mutex> lock(mutex);
  framework_id = id.value();
  ++registrations;
  Changed();
}

void RecordingScheduler::reregistered(SchedulerDriver*, const v1::MasterInfo&) {
  std::lock_guard<std::mutex> lock(mutex);
  ++reregistrations;
  Changed();
}

void RecordingScheduler::disconnected(SchedulerDriver*) {
  std::lock_guard<std::mutex> lock(mutex);
  ++disconnections;
  Changed();
}

void RecordingScheduler::resourceOffers(SchedulerDriver* driver,
                                        const std::vector<v1::Offer>& new_offers) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    offers.insert(offers.end(), new_offers.begin(), new_offers.end());
    Changed();
  }
  if (on_offers_) on_offers_(driver, new_offers);
}

void RecordingScheduler::offerRescinded(SchedulerDriver*, const v1::OfferID& id) {
  std::lock_guard<std::mutex> lock(mutex);
  rescinded.push_back(id.value());
  Changed();
}

void RecordingScheduler::statusUpdate(SchedulerDriver*, const v1::TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mutex);
  updates.push_back(status);
  Changed();
}

void RecordingScheduler::error(SchedulerDriver*, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex);
  errors.push_back(message);
  Changed();
}

void RecordingScheduler::callFailed(SchedulerDriver*, const std::string& call,
                                    const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex);
  failed_calls.push_back(call + ": " + message);
  Changed();
}

bool RecordingScheduler::WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), condition);
}

v1::TaskState RecordingScheduler::LatestState(const std::string& task_id) {
  for (auto it = updates.rbegin(); it != updates.rend(); ++it) {
    if (it->task_id().value() == task_id) return it->state();
  }
  return v1::TASK_STATE_UNSPECIFIED;
}

std::vector<v1::TaskState> RecordingScheduler::StatesOf(const std::string& task_id) {
  std::vector<v1::TaskState> states;
  for (const v1::TaskStatus& status : updates) {
    if (status.task_id().value() == task_id) states.push_back(status.state());
  }
  return states;
}

int RecordingScheduler::CountInState(v1::TaskState state) {
  std::map<std::string, v1::TaskState> latest;
  for (const v1::TaskStatus& status : updates) latest[status.task_id().value()] = status.state();
  int count = 0;
  for (const auto& [id, s] : latest) count += s == state ? 1 : 0;
  return count;
}

}  // namespace agora::testing
