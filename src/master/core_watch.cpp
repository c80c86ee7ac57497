// MasterCore: the operator Watch stream. Subscribing sends a SUBSCRIBED
// snapshot built on the loop, so no change can fall between the snapshot and
// the first event; changes are published from where they happen (the task
// book's observer for tasks; admission, disconnection, unreachability,
// maintenance and removal for agents; subscription, disconnection, update and
// removal for frameworks).
#include "absl/strings/str_cat.h"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/core_types.hpp"

namespace agora::master {

absl::StatusOr<uint64_t> MasterCore::Watch(const v1::WatchRequest& request,
                                           std::shared_ptr<WatchSink> sink,
                                           std::vector<v1::MasterInfo> masters) {
  DCHECK(loop_->IsInLoopThread());
  CountMessage("operator_watch");
  if (shut_down_) return absl::UnavailableError("master shutting down");
  std::set<int> types;
  for (int i = 0; i < request.types_size(); ++i) {
    const int type = request.types(i);
    if (!v1::WatchEvent::Type_IsValid(type) || type == v1::WatchEvent::TYPE_UNSPECIFIED) {
      return InvalidField(IndexedField("types", i), absl::StrCat(type, " is not an event type"));
    }
    types.insert(type);
  }
  v1::WatchEvent subscribed;
  subscribed.set_type(v1::WatchEvent::SUBSCRIBED);
  subscribed.set_timestamp(UnixSeconds(loop_->Now()));
  *subscribed.mutable_snapshot() = BuildState();
  for (v1::MasterInfo& info : masters) *subscribed.mutable_snapshot()->add_masters() = info;
  if (!sink->Send(subscribed)) {
    return absl::ResourceExhaustedError("the snapshot could not be queued");
  }
  const uint64_t id = watchers_.Add(std::move(sink), std::move(types));
  LOG(INFO) << "Operator watch subscribed id=" << id << "; " << watchers_.size() << " watching";
  return id;
}

void MasterCore::OnWatchClosed(uint64_t id) {
  DCHECK(loop_->IsInLoopThread());
  watchers_.Remove(id);
}

void MasterCore::PublishTask(const v1::Task& task, const v1::TaskStatus* status) {
  const auto type = status == nullptr ? v1::WatchEvent::TASK_ADDED : v1::WatchEvent::TASK_UPDATED;
  if (!watchers_.Wants(type)) return;
  v1::WatchEvent event;
  event.set_type(type);
  event.set_timestamp(UnixSeconds(loop_->Now()));
  *event.mutable_task() = task;
  if (status != nullptr) *event.mutable_status() = *status;
  watchers_.Publish(event);
}

void MasterCore::PublishAgent(const std::string& agent_id, v1::WatchEvent::Type type) {
  if (!watchers_.Wants(type)) return;
  v1::WatchEvent event;
  event.set_type(type);
  event.set_timestamp(UnixSeconds(loop_->Now()));
  event.mutable_agent_id()->set_value(agent_id);
  auto it = agents_.find(agent_id);
  if (type != v1::WatchEvent::AGENT_REMOVED && it != agents_.end()) {
    *event.mutable_agent() = AgentSummaryOf(*it->second);
  }
  watchers_.Publish(event);
}

void MasterCore::PublishFramework(const std::string& framework_id, v1::WatchEvent::Type type) {
  if (!watchers_.Wants(type)) return;
  v1::WatchEvent event;
  event.set_type(type);
  event.set_timestamp(UnixSeconds(loop_->Now()));
  event.mutable_framework_id()->set_value(framework_id);
  auto it = frameworks_.find(framework_id);
  if (type != v1::WatchEvent::FRAMEWORK_REMOVED && it != frameworks_.end()) {
    *event.mutable_framework() = FrameworkSummaryOf(*it->second);
  }
  watchers_.Publish(event);
}

}  // namespace agora::master
