// LaunchQueue: which executor launches may start now.
//
// The agent starts at most `max_in_flight` executor processes that have not
// subscribed yet; further launches wait here in arrival order, at most
// `max_queued` of them (beyond that a launch is refused). A launch is "in
// flight" from the moment it is started until Finished() (its executor
// subscribed, died or timed out). Pure policy: no processes, no clock, no
// logging.
//
// Owner: AgentImpl. Thread: the agent loop (not thread-safe).
// Invariants: an id is at most once in the queue or in flight, never both;
// in_flight() <= max_in_flight; queued() <= max_queued; nothing is queued
// while a slot is free (Add and TakeStartable keep slots busy first).
#ifndef AGORA_AGENT_LAUNCH_QUEUE_HPP_
#define AGORA_AGENT_LAUNCH_QUEUE_HPP_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace agora::agent {

class LaunchQueue {
 public:
  // (framework id, executor id).
  using Id = std::pair<std::string, std::string>;
  enum class Admission {
    kStartNow,  // A slot was free: the launch is in flight, start it now.
    kQueued,    // Waits for a slot; TakeStartable returns it later.
    kFull,      // The queue is full: refuse the launch.
  };

  // max_in_flight >= 1 (checked by AgentOptions::Validate).
  LaunchQueue(size_t max_in_flight, size_t max_queued);

  // Admits a new launch. `id` must be neither queued nor in flight.
  Admission Add(const Id& id);
  // Removes a queued launch (it will never start). False if `id` is not
  // queued (in flight or unknown).
  bool Cancel(const Id& id);
  // An in-flight launch ended (subscribed, exited, timed out or failed to
  // start): its slot is free. No-op if `id` is not in flight.
  void Finished(const Id& id);
  // Moves queued launches, oldest first, into the free slots and returns
  // them: the caller starts each one.
  std::vector<Id> TakeStartable();

  bool IsQueued(const Id& id) const { return queued_index_.count(id) != 0; }
  bool IsInFlight(const Id& id) const { return in_flight_.count(id) != 0; }
  size_t queued() const { return queue_.size(); }
  size_t in_flight() const { return in_flight_.size(); }
  // Launches started (Add returning kStartNow, or taken) since creation.
  uint64_t started_total() const { return started_total_; }
  // The most launches ever in flight at once.
  size_t max_in_flight_seen() const { return max_in_flight_seen_; }
  size_t max_in_flight() const { return max_in_flight_; }
  size_t max_queued() const { return max_queued_; }

 private:
  void Start(const Id& id);

  size_t max_in_flight_;
  size_t max_queued_;
  std::list<Id> queue_;  // Oldest first.
  std::map<Id, std::list<Id>::iterator> queued_index_;
  std::set<Id> in_flight_;
  uint64_t started_total_ = 0;
  size_t max_in_flight_seen_ = 0;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_LAUNCH_QUEUE_HPP_
