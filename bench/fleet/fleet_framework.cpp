#include "fleet/fleet_framework.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"
#include "offer_fit.hpp"

namespace agora::bench {
namespace {

v1::Filters Refuse(double seconds) {
  v1::Filters filters;
  filters.set_refuse_seconds(seconds);
  return filters;
}

}  // namespace

FleetFramework::FleetFramework(FleetFrameworkOptions options, StageRecorder* recorder)
    : options_(std::move(options)), recorder_(recorder) {
  task_resources_ =
      Resources::Parse(absl::StrCat("cpus:", options_.task_cpus, ";mem:", options_.task_mem))
          ->ToProto();
}

FleetFramework::~FleetFramework() { Stop(); }

void FleetFramework::Start(const std::string& master) {
  v1::FrameworkInfo framework;
  framework.set_name(options_.name);
  framework.add_roles(options_.role);
  SchedulerDriverOptions driver_options;
  driver_options.implicit_acknowledgements = false;
  driver_ = std::make_unique<AgoraSchedulerDriver>(this, framework, master, driver_options);
  driver_->start();
}

void FleetFramework::RequestStop() {
  if (driver_ != nullptr) driver_->stop(/*failover=*/false);
}

void FleetFramework::Stop() {
  if (driver_ == nullptr) return;
  RequestStop();
  driver_->join();
  driver_.reset();
}

void FleetFramework::registered(SchedulerDriver*, const v1::FrameworkID&, const v1::MasterInfo&) {
  subscribed_ = true;
}

void FleetFramework::resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {
  const absl::Time now = absl::Now();
  offers_ += static_cast<int64_t>(offers.size());
  for (const v1::Offer& offer : offers) {
    if (options_.load == FleetLoad::kDecline) {
      driver->declineOffer(offer.id(), Refuse(options_.refuse_seconds));
      continue;
    }
    int fit = TasksThatFit(offer, options_.task_cpus, options_.task_mem);
    if (fit <= 0) {
      driver->declineOffer(offer.id(), Refuse(1));
      continue;
    }
    held_.push_back(HeldOffer{offer, now, fit});
  }
  Drain(driver);
}

void FleetFramework::Drain(SchedulerDriver* driver) {
  // An offer held this long would soon expire (the master's --offer_timeout,
  // 60 s): it goes back for a second instead.
  const absl::Time too_old = absl::Now() - absl::Seconds(30);
  while (!held_.empty() && held_.front().received < too_old) {
    driver->declineOffer(held_.front().offer.id(), Refuse(1));
    held_.pop_front();
  }
  while (!held_.empty()) {
    const int batch = std::min(held_.front().fit, options_.tasks_per_offer);
    if (options_.window - static_cast<int>(unstarted_.size()) < batch) return;
    HeldOffer held = std::move(held_.front());
    held_.pop_front();
    std::vector<v1::TaskInfo> tasks;
    tasks.reserve(batch);
    const absl::Time now = absl::Now();
    for (int i = 0; i < batch; ++i) {
      v1::TaskInfo task;
      task.set_name("fleet");
      task.mutable_task_id()->set_value(absl::StrCat(options_.name, "-", next_task_++));
      *task.mutable_agent_id() = held.offer.agent_id();
      *task.mutable_resources() = task_resources_;
      task.mutable_command()->set_value("sleep 5");
      recorder_->Offered(task.task_id().value(), held.received, now);
      unstarted_.insert(task.task_id().value());
      tasks.push_back(std::move(task));
    }
    // The rest of the offer goes back at once, for the next allocation. The
    // tasks move into the call (driver_ is the `driver` of the callbacks).
    driver_->launchTasks({held.offer.id()}, std::move(tasks), Refuse(0));
  }
}

void FleetFramework::offerRescinded(SchedulerDriver*, const v1::OfferID& offer_id) {
  held_.erase(std::remove_if(held_.begin(), held_.end(),
                             [&](const HeldOffer& held) {
                               return held.offer.id().value() == offer_id.value();
                             }),
              held_.end());
}

void FleetFramework::statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {
  const absl::Time now = absl::Now();
  if (!status.uuid().empty()) driver->acknowledgeStatusUpdate(status);
  if (status.state() == v1::TASK_RUNNING) {
    recorder_->Running(status.task_id().value(), now);
    unstarted_.erase(status.task_id().value());
  } else if (IsTerminalState(status.state())) {
    recorder_->Terminal(status.state());
    // A task that ended before RUNNING frees its window slot too.
    unstarted_.erase(status.task_id().value());
  }
  Drain(driver);
}

void FleetFramework::error(SchedulerDriver*, const std::string& message) {
  ++errors_;
  LOG(ERROR) << options_.name << ": framework error: " << message;
}

void FleetFramework::callFailed(SchedulerDriver*, const std::string& call,
                                const std::string& message) {
  ++errors_;
  LOG(WARNING) << options_.name << ": " << call << " failed: " << message;
}

}  // namespace agora::bench
