#include "launch/launch_framework.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "offer_fit.hpp"

namespace agora::bench {
namespace {

constexpr double kTaskCpus = 0.05;
constexpr double kTaskMem = 16;

// Refusing for 0 s would bounce a useless offer between master and
// framework as fast as they can; a short refusal keeps that off the figures.
v1::Filters Refuse(double seconds) {
  v1::Filters filters;
  filters.set_refuse_seconds(seconds);
  return filters;
}

}  // namespace

LaunchFramework::LaunchFramework(LaunchMode mode, int tasks) : mode_(mode), tasks_(tasks) {}

LaunchFramework::~LaunchFramework() { Stop(); }

void LaunchFramework::Start(const std::string& master) {
  v1::FrameworkInfo framework;
  framework.set_name("launch-bench");
  driver_ = std::make_unique<AgoraSchedulerDriver>(this, framework, master);
  driver_->start();
}

void LaunchFramework::Stop() {
  if (driver_ == nullptr) return;
  driver_->stop(/*failover=*/false);
  driver_->join();
  driver_.reset();
}

bool LaunchFramework::offered() {
  std::lock_guard<std::mutex> lock(mu_);
  return offered_;
}

int LaunchFramework::terminal() {
  std::lock_guard<std::mutex> lock(mu_);
  return terminal_;
}

std::map<std::string, TaskTimes> LaunchFramework::times() {
  std::lock_guard<std::mutex> lock(mu_);
  return times_;
}

int LaunchFramework::LaunchOn(SchedulerDriver* driver, const v1::Offer& offer, int count) {
  static const auto kTaskResources =
      Resources::Parse(absl::StrCat("cpus:", kTaskCpus, ";mem:", kTaskMem))->ToProto();
  int fit = TasksThatFit(offer, kTaskCpus, kTaskMem);
  count = std::min({count, fit, tasks_ - launched_});
  if (count <= 0) {
    driver->declineOffer(offer.id(), Refuse(0.2));
    return 0;
  }
  std::vector<v1::TaskInfo> tasks;
  tasks.reserve(count);
  for (int i = 0; i < count; ++i) {
    v1::TaskInfo task;
    task.set_name("true");
    task.mutable_task_id()->set_value(absl::StrCat("task-", launched_ + i));
    *task.mutable_resources() = kTaskResources;
    task.mutable_command()->set_value("true");
    tasks.push_back(std::move(task));
  }
  absl::Time now = absl::Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const v1::TaskInfo& task : tasks) times_[task.task_id().value()].launched = now;
  }
  launched_ += count;
  // The remainder goes back at once: the next launch needs a fresh offer.
  driver->launchTasks({offer.id()}, tasks, Refuse(0));
  if (launched_ >= tasks_) driver->suppressOffers();
  return count;
}

void LaunchFramework::LaunchNextSequential(SchedulerDriver* driver) {
  while (!in_flight_ && launched_ < tasks_ && !held_.empty()) {
    v1::Offer offer = std::move(held_.front());
    held_.pop_front();
    in_flight_ = LaunchOn(driver, offer, 1) == 1;
  }
}

void LaunchFramework::resourceOffers(SchedulerDriver* driver,
                                     const std::vector<v1::Offer>& offers) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    offered_ = true;
  }
  for (const v1::Offer& offer : offers) {
    if (launched_ >= tasks_) {
      driver->declineOffer(offer.id(), Refuse(3600));
    } else if (mode_ == LaunchMode::kBurst) {
      LaunchOn(driver, offer, tasks_);
    } else {
      held_.push_back(offer);
    }
  }
  if (mode_ == LaunchMode::kSequential) LaunchNextSequential(driver);
}

void LaunchFramework::offerRescinded(SchedulerDriver* driver, const v1::OfferID& offer_id) {
  held_.erase(std::remove_if(
                  held_.begin(), held_.end(),
                  [&](const v1::Offer& offer) { return offer.id().value() == offer_id.value(); }),
              held_.end());
}

void LaunchFramework::statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {
  const bool terminal = IsTerminalState(status.state());
  bool first_terminal = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = times_.find(status.task_id().value());
    if (it == times_.end()) return;  // Not ours (cannot happen: one framework).
    TaskTimes& task = it->second;
    absl::Time now = absl::Now();
    task.state = status.state();
    if (status.state() == v1::TASK_RUNNING && task.running == absl::InfinitePast())
      task.running = now;
    if (terminal) {
      if (task.terminal_updates++ == 0) {
        first_terminal = true;
        task.terminal = now;
        task.message = status.message();
        ++terminal_;
      }
    }
  }
  if (first_terminal && mode_ == LaunchMode::kSequential) {
    in_flight_ = false;
    LaunchNextSequential(driver);
  }
}

void LaunchFramework::error(SchedulerDriver* driver, const std::string& message) {
  LOG(ERROR) << "Framework error: " << message;
}

}  // namespace agora::bench
