// AgoraSchedulerDriver: the public surface. Every command is validated for
// driver state here and executed on the driver's loop by Impl.
#include "agora/scheduler.hpp"
#include "glog/logging.h"
#include "scheduler_driver/driver_impl.hpp"

namespace agora {

const char* SchedulerDriverStatusName(SchedulerDriverStatus status) {
  switch (status) {
    case SchedulerDriverStatus::NOT_STARTED:
      return "NOT_STARTED";
    case SchedulerDriverStatus::RUNNING:
      return "RUNNING";
    case SchedulerDriverStatus::ABORTED:
      return "ABORTED";
    case SchedulerDriverStatus::STOPPED:
      return "STOPPED";
  }
  return "UNKNOWN";
}

AgoraSchedulerDriver::AgoraSchedulerDriver(Scheduler* scheduler, const v1::FrameworkInfo& framework,
                                           const std::string& master,
                                           const SchedulerDriverOptions& options)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, master, options)) {}

AgoraSchedulerDriver::~AgoraSchedulerDriver() = default;

SchedulerDriverStatus AgoraSchedulerDriver::start() { return impl_->Start(); }

SchedulerDriverStatus AgoraSchedulerDriver::stop(bool failover) { return impl_->Stop(failover); }

SchedulerDriverStatus AgoraSchedulerDriver::abort() { return impl_->Abort(); }

SchedulerDriverStatus AgoraSchedulerDriver::join() { return impl_->Join(); }

SchedulerDriverStatus AgoraSchedulerDriver::run() {
  SchedulerDriverStatus status = start();
  if (status != SchedulerDriverStatus::RUNNING) {
    return status == SchedulerDriverStatus::NOT_STARTED ? status : join();
  }
  return join();
}

SchedulerDriverStatus AgoraSchedulerDriver::launchTasks(const std::vector<v1::OfferID>& offer_ids,
                                                        const std::vector<v1::TaskInfo>& tasks,
                                                        const v1::Filters& filters) {
  // The tasks are copied once, here; from there they move.
  return launchTasks(offer_ids, std::vector<v1::TaskInfo>(tasks), filters);
}

SchedulerDriverStatus AgoraSchedulerDriver::launchTasks(const std::vector<v1::OfferID>& offer_ids,
                                                        std::vector<v1::TaskInfo>&& tasks,
                                                        const v1::Filters& filters) {
  std::vector<v1::Offer::Operation> operations(1);
  v1::Offer::Operation& launch = operations.front();
  launch.set_type(v1::Offer::Operation::LAUNCH);
  launch.mutable_launch()->mutable_task_infos()->Reserve(static_cast<int>(tasks.size()));
  for (v1::TaskInfo& task : tasks) *launch.mutable_launch()->add_task_infos() = std::move(task);
  Impl* impl = impl_.get();
  return impl->Submit([impl, offer_ids, operations = std::move(operations), filters]() mutable {
    impl->DoAccept(std::move(offer_ids), std::move(operations), std::move(filters));
  });
}

SchedulerDriverStatus AgoraSchedulerDriver::acceptOffers(
    const std::vector<v1::OfferID>& offer_ids, const std::vector<v1::Offer::Operation>& operations,
    const v1::Filters& filters) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, offer_ids, operations, filters]() mutable {
    impl->DoAccept(std::move(offer_ids), std::move(operations), std::move(filters));
  });
}

SchedulerDriverStatus AgoraSchedulerDriver::declineOffer(const v1::OfferID& offer_id,
                                                         const v1::Filters& filters) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, offer_id, filters] { impl->DoDecline(offer_id, filters); });
}

SchedulerDriverStatus AgoraSchedulerDriver::reviveOffers(const std::vector<std::string>& roles) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, roles] { impl->DoRevive(roles); });
}

SchedulerDriverStatus AgoraSchedulerDriver::suppressOffers(const std::vector<std::string>& roles) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, roles] { impl->DoSuppress(roles); });
}

SchedulerDriverStatus AgoraSchedulerDriver::killTask(const v1::TaskID& task_id,
                                                     const v1::AgentID& agent_id) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, task_id, agent_id] { impl->DoKill(task_id, agent_id); });
}

SchedulerDriverStatus AgoraSchedulerDriver::acknowledgeStatusUpdate(const v1::TaskStatus& status) {
  if (impl_->implicit_acknowledgements()) {
    LOG(WARNING) << "acknowledgeStatusUpdate ignored: the driver acknowledges implicitly";
    return impl_->status();
  }
  return impl_->Acknowledge(Impl::AckOf(status));
}

SchedulerDriverStatus AgoraSchedulerDriver::sendFrameworkMessage(const v1::ExecutorID& executor_id,
                                                                 const v1::AgentID& agent_id,
                                                                 const std::string& data) {
  Impl* impl = impl_.get();
  return impl->Submit(
      [impl, executor_id, agent_id, data] { impl->DoMessage(executor_id, agent_id, data); });
}

SchedulerDriverStatus AgoraSchedulerDriver::reconcileTasks(
    const std::vector<v1::TaskStatus>& statuses) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, statuses] { impl->DoReconcile(statuses); });
}

SchedulerDriverStatus AgoraSchedulerDriver::updateFramework(
    const v1::FrameworkInfo& framework_info, const std::vector<std::string>& suppressed_roles) {
  Impl* impl = impl_.get();
  return impl->Submit([impl, framework_info, suppressed_roles] {
    impl->DoUpdateFramework(framework_info, suppressed_roles);
  });
}

std::string AgoraSchedulerDriver::framework_id() const { return impl_->framework_id(); }

bool AgoraSchedulerDriver::connected() const { return impl_->connected(); }

std::string AgoraSchedulerDriver::master_address() const { return impl_->master_address(); }

}  // namespace agora
