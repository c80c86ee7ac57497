#include "fleet/scale_framework.hpp"

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

ScaleFramework::ScaleFramework(std::string name, int quota, int per_agent)
    : name_(std::move(name)), quota_(quota), per_agent_(per_agent) {}

ScaleFramework::~ScaleFramework() { Stop(); }

void ScaleFramework::Start(const std::string& master) {
  v1::FrameworkInfo framework;
  framework.set_name(name_);
  framework.set_failover_timeout(3600);
  driver_ = std::make_unique<AgoraSchedulerDriver>(this, framework, master);
  driver_->start();
}

void ScaleFramework::Stop() {
  if (driver_ == nullptr) return;
  driver_->stop(/*failover=*/true);
  driver_->join();
  driver_.reset();
}

int ScaleFramework::running() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(running_.size());
}

int ScaleFramework::terminal() {
  std::lock_guard<std::mutex> lock(mu_);
  return terminal_;
}

std::string ScaleFramework::last_error() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void ScaleFramework::registered(SchedulerDriver*, const v1::FrameworkID& framework_id,
                                const v1::MasterInfo&) {
  VLOG(1) << "Framework " << name_ << " registered as framework_id=" << framework_id.value();
}

void ScaleFramework::reregistered(SchedulerDriver*, const v1::MasterInfo& master) {
  LOG(WARNING) << "Framework " << name_ << " re-registered with " << master.address();
}

void ScaleFramework::resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
  static const auto kTaskResources =
      Resources::Parse(absl::StrCat("cpus:", kTaskCpus, ";mem:", kTaskMem))->ToProto();
  v1::Filters long_refusal;
  long_refusal.set_refuse_seconds(3600);
  for (const v1::Offer& offer : offers) {
    const std::string& agent = offer.agent_id().value();
    const int wanted = std::min(quota_ - launched_, per_agent_ - launched_per_agent_[agent]);
    const int fit = TasksThatFit(offer, kTaskCpus, kTaskMem);
    const int count = std::min(wanted, fit);
    if (count <= 0) {
      driver->declineOffer(offer.id(), long_refusal);
      continue;
    }
    std::vector<v1::TaskInfo> tasks;
    tasks.reserve(count);
    for (int i = 0; i < count; ++i) {
      v1::TaskInfo task;
      task.set_name("scale");
      task.mutable_task_id()->set_value(absl::StrCat("t-", launched_ + i));
      *task.mutable_resources() = kTaskResources;
      task.mutable_command()->set_value("sleep infinity");
      tasks.push_back(std::move(task));
    }
    launched_ += count;
    launched_per_agent_[agent] += count;
    driver->launchTasks({offer.id()}, tasks, long_refusal);
  }
  if (launched_ >= quota_) driver->suppressOffers();
}

void ScaleFramework::statusUpdate(SchedulerDriver*, const v1::TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status.state() == v1::TASK_RUNNING) running_.insert(status.task_id().value());
  if (IsTerminalState(status.state())) {
    ++terminal_;
    running_.erase(status.task_id().value());
  }
}

void ScaleFramework::error(SchedulerDriver*, const std::string& message) {
  LOG(ERROR) << "Framework " << name_ << " error: " << message;
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = message;
}

}  // namespace agora::bench
