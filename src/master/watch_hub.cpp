// WatchHub: fan-out of operator Watch events with per-subscriber filters,
// heartbeats while anyone listens.
#include "master/watch_hub.hpp"

#include <utility>
#include <vector>

#include "glog/logging.h"

namespace agora::master {

WatchHub::WatchHub(EventLoop* loop, absl::Duration heartbeat_interval)
    : loop_(loop), heartbeat_interval_(heartbeat_interval) {}

WatchHub::~WatchHub() { loop_->Cancel(heartbeat_timer_); }

uint64_t WatchHub::Add(std::shared_ptr<WatchSink> sink, std::set<int> types) {
  const uint64_t id = next_id_++;
  subscribers_[id] = Subscriber{std::move(sink), std::move(types)};
  if (heartbeat_timer_ == 0) ArmHeartbeat();
  VLOG(1) << "Watch subscriber " << id << " added; " << subscribers_.size() << " in all";
  return id;
}

void WatchHub::Remove(uint64_t id) {
  subscribers_.erase(id);
  if (subscribers_.empty()) {
    loop_->Cancel(heartbeat_timer_);
    heartbeat_timer_ = 0;
  }
}

bool WatchHub::Takes(const Subscriber& subscriber, v1::WatchEvent::Type type) {
  return type == v1::WatchEvent::HEARTBEAT || subscriber.types.empty() ||
         subscriber.types.count(type) > 0;
}

bool WatchHub::Wants(v1::WatchEvent::Type type) const {
  for (const auto& [id, subscriber] : subscribers_)
    if (Takes(subscriber, type)) return true;
  return false;
}

void WatchHub::Publish(const v1::WatchEvent& event) {
  std::vector<uint64_t> dropped;
  for (auto& [id, subscriber] : subscribers_) {
    if (!Takes(subscriber, event.type())) continue;
    if (!subscriber.sink->Send(event)) dropped.push_back(id);
  }
  for (uint64_t id : dropped) {
    LOG(WARNING) << "Watch subscriber " << id << " dropped (fell behind or went away)";
    ++dropped_;
    Remove(id);
  }
}

void WatchHub::CloseAll(const absl::Status& status) {
  auto subscribers = std::move(subscribers_);
  subscribers_.clear();
  for (auto& [id, subscriber] : subscribers) subscriber.sink->Close(status);
  loop_->Cancel(heartbeat_timer_);
  heartbeat_timer_ = 0;
}

void WatchHub::ArmHeartbeat() {
  heartbeat_timer_ = loop_->RunAfter(heartbeat_interval_, [this] {
    heartbeat_timer_ = 0;
    if (subscribers_.empty()) return;
    v1::WatchEvent heartbeat;
    heartbeat.set_type(v1::WatchEvent::HEARTBEAT);
    heartbeat.set_timestamp(absl::ToDoubleSeconds(loop_->Now() - absl::UnixEpoch()));
    Publish(heartbeat);
    if (!subscribers_.empty() && heartbeat_timer_ == 0) ArmHeartbeat();
  });
}

}  // namespace agora::master
