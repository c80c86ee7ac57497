// WatchHub: the subscribers of the operator Watch stream and what each
// wants, owned by MasterCore on its loop.
//
// The core publishes every cluster change (task, agent and framework
// added/updated/removed) once; the hub hands it to each subscriber whose
// type filter takes it and sends HEARTBEAT to all of them every interval
// while any is subscribed. Each subscriber's WatchSink bounds its own queue:
// one that falls behind is closed with RESOURCE_EXHAUSTED by its sink, its
// Send returns false and the hub forgets it, so a slow watcher never grows
// the master's memory. Closing all (the master stopped leading) ends every
// stream with the given status.
//
// Not thread-safe: loop thread only. No gRPC here; the sink adapts.
#ifndef AGORA_MASTER_WATCH_HUB_HPP_
#define AGORA_MASTER_WATCH_HUB_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agora/v1/master.pb.h"
#include "common/event_loop.hpp"

namespace agora::master {

// One Watch subscriber's stream. Loop thread only.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Queues `event`. False if the stream is closed, or was closed now for
  // falling behind (its queue bound reached).
  virtual bool Send(const v1::WatchEvent& event) = 0;
  // Ends the stream after what is queued.
  virtual void Close(const absl::Status& status) = 0;
};

class WatchHub {
 public:
  WatchHub(EventLoop* loop, absl::Duration heartbeat_interval);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Adds a subscriber that receives the event types in `types` (empty: all;
  // HEARTBEAT always). The caller sends it SUBSCRIBED first. Returns its id.
  uint64_t Add(std::shared_ptr<WatchSink> sink, std::set<int> types);
  // Forgets a subscriber (its stream went away). Unknown ids are ignored.
  void Remove(uint64_t id);
  // True if some subscriber takes events of `type` (to skip building them).
  bool Wants(v1::WatchEvent::Type type) const;
  // Sends `event` to every subscriber that takes its type; drops those
  // whose Send fails.
  void Publish(const v1::WatchEvent& event);
  // Closes every stream with `status` and forgets them all.
  void CloseAll(const absl::Status& status);
  size_t size() const { return subscribers_.size(); }
  // Subscribers dropped by Publish so far.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Subscriber {
    std::shared_ptr<WatchSink> sink;
    std::set<int> types;
  };
  static bool Takes(const Subscriber& subscriber, v1::WatchEvent::Type type);
  void ArmHeartbeat();

  EventLoop* loop_;
  absl::Duration heartbeat_interval_;
  std::map<uint64_t, Subscriber> subscribers_;
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0;
  TimerId heartbeat_timer_ = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_WATCH_HUB_HPP_
