#include "failover/packing_framework.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "offer_fit.hpp"

namespace agora::bench {
namespace {

constexpr double kTaskCpus = 0.1;
constexpr double kTaskMem = 128;

}  // namespace

PackingFramework::PackingFramework(int agents, int tasks_per_agent)
    : agents_(agents), tasks_per_agent_(tasks_per_agent) {}

PackingFramework::~PackingFramework() { Stop(); }

void PackingFramework::Start(const std::string& master) {
  v1::FrameworkInfo framework;
  framework.set_name("failover-bench");
  // Long enough that the master keeps the framework through any failover.
  framework.set_failover_timeout(3600);
  driver_ = std::make_unique<AgoraSchedulerDriver>(this, framework, master);
  driver_->start();
}

void PackingFramework::Stop() {
  if (driver_ == nullptr) return;
  driver_->stop(/*failover=*/true);
  driver_->join();
  driver_.reset();
}

int PackingFramework::running() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(states_.begin(), states_.end(), [](const auto& entry) {
    return entry.second == v1::TASK_RUNNING;
  }));
}

int PackingFramework::terminal() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(states_.begin(), states_.end(), [](const auto& entry) {
    return IsTerminalState(entry.second);
  }));
}

absl::Time PackingFramework::reregistered_at() {
  std::lock_guard<std::mutex> lock(mu_);
  return reregistered_at_;
}

bool PackingFramework::subscribed() {
  std::lock_guard<std::mutex> lock(mu_);
  return registered_;
}

void PackingFramework::registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                                  const v1::MasterInfo& master) {
  LOG(INFO) << "Framework registered as framework_id=" << framework_id.value();
  std::lock_guard<std::mutex> lock(mu_);
  registered_ = true;
}

void PackingFramework::reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) {
  LOG(INFO) << "Framework re-registered with master " << master.address();
  std::lock_guard<std::mutex> lock(mu_);
  reregistered_at_ = absl::Now();
}

void PackingFramework::resourceOffers(SchedulerDriver* driver,
                                      const std::vector<v1::Offer>& offers) {
  static const auto kTaskResources =
      Resources::Parse(absl::StrCat("cpus:", kTaskCpus, ";mem:", kTaskMem))->ToProto();
  v1::Filters long_refusal;
  long_refusal.set_refuse_seconds(3600);
  for (const v1::Offer& offer : offers) {
    const std::string& agent = offer.agent_id().value();
    int wanted = tasks_per_agent_ - launched_per_agent_[agent];
    int fit = TasksThatFit(offer, kTaskCpus, kTaskMem);
    int count = std::min(wanted, fit);
    if (count <= 0) {
      driver->declineOffer(offer.id(), long_refusal);
      continue;
    }
    std::vector<v1::TaskInfo> tasks;
    for (int i = 0; i < count; ++i) {
      v1::TaskInfo task;
      int number = launched_per_agent_[agent]++;
      task.set_name("packed");
      task.mutable_task_id()->set_value(absl::StrCat(offer.agent_id().value(), "-task-", number));
      *task.mutable_resources() = kTaskResources;
      task.mutable_command()->set_value("sleep infinity");
      tasks.push_back(std::move(task));
    }
    launched_ += count;
    driver->launchTasks({offer.id()}, tasks, long_refusal);
  }
  if (launched_ >= target()) driver->suppressOffers();
}

void PackingFramework::statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[status.task_id().value()] = status.state();
}

void PackingFramework::error(SchedulerDriver* driver, const std::string& message) {
  LOG(ERROR) << "Framework error: " << message;
}

}  // namespace agora::bench
