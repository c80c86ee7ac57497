// AllocatorThread: an Allocation that lives on its own thread, so that the
// master's event loop never waits for an allocation cycle.
//
// It owns the wrapped Allocation (the DRF adapter or the placeholder); after
// construction only the allocator thread touches it. Every Allocation call
// made on the loop is queued, in order, as a message and returns OK at once
// (the thread runs queued calls when a cycle is queued, not one by one);
// a call that fails on the thread is reported to `on_error` on the loop
// (the master counts it as a broken invariant exactly as it does a failure
// returned in place). StartCycle() queues a cycle: it sees every call queued
// before it and none queued after, and its decisions come back to the loop
// in a posted closure. The wrapped allocation sees the same calls in the
// same order as it would on the loop, so it stays deterministic; only where
// the cycles fall between the calls changes.
//
// Stale view: when the decisions reach the loop, the loop may have queued
// calls the cycle did not see. A decision is still booked by the allocator
// unless its agent or its framework was removed after the cycle was queued
// (RemoveAgent / RemoveFramework free everything allocated to them; an agent
// added again starts from the usage the master reported, which does not
// include the decision). Booked() tells the two apart: the master drops the
// decisions the allocator no longer books and Recovers the booked ones it
// can no longer offer (agent inactive or gone, framework disconnected, role
// suppressed), so nothing is offered twice and nothing leaks.
//
// Threads: every method is for the loop thread. The destructor (loop thread)
// lets a running cycle finish, drops the calls still queued and joins.
#ifndef AGORA_MASTER_ALLOCATOR_THREAD_HPP_
#define AGORA_MASTER_ALLOCATOR_THREAD_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/event_loop.hpp"
#include "master/allocation.hpp"

namespace agora::master {

class AllocatorThread : public Allocation {
 public:
  // What one cycle decided, as delivered to the loop.
  struct Cycle {
    // The cycle's place in the call order: it saw every call queued before.
    uint64_t sequence = 0;
    std::vector<OfferDecision> decisions;
    // Time the wrapped Allocate() took on the allocator thread.
    absl::Duration duration;
  };
  using CycleDone = std::function<void(Cycle)>;
  // `call` names the failed call ("AddAgent", "Recover", ...).
  using ErrorSink = std::function<void(const absl::Status& status, const std::string& call)>;

  // Starts the thread. `on_error` runs on `loop`.
  AllocatorThread(EventLoop* loop, std::unique_ptr<Allocation> allocation, ErrorSink on_error);
  ~AllocatorThread() override;
  AllocatorThread(const AllocatorThread&) = delete;
  AllocatorThread& operator=(const AllocatorThread&) = delete;

  // Queues a cycle at `now`; `done` runs on the loop with its decisions
  // (unless this object is destroyed first).
  void StartCycle(absl::Time now, CycleDone done);

  // Whether the allocator still books `decision` of `cycle`: its agent and
  // framework were not removed (nor removed and added again) since the
  // cycle was queued.
  bool Booked(const OfferDecision& decision, const Cycle& cycle) const;

  // Allocation: queued; each returns OK (failures go to `on_error`).
  absl::Status AddAgent(const std::string& agent_id, const Resources& total,
                        const std::vector<ResourceUse>& used) override;
  absl::Status RemoveAgent(const std::string& agent_id) override;
  absl::Status SetAgentActive(const std::string& agent_id, bool active) override;
  absl::Status AddFramework(const std::string& framework_id, const std::vector<std::string>& roles,
                            const std::set<std::string>& suppressed_roles) override;
  absl::Status UpdateFramework(const std::string& framework_id,
                               const std::vector<std::string>& roles,
                               const std::set<std::string>& suppressed_roles) override;
  absl::Status RemoveFramework(const std::string& framework_id) override;
  absl::Status SetFrameworkActive(const std::string& framework_id, bool active) override;
  absl::Status Suppress(const std::string& framework_id,
                        const std::set<std::string>& roles) override;
  absl::Status Revive(const std::string& framework_id, const std::set<std::string>& roles) override;
  absl::Status Recover(const std::string& framework_id, const std::string& agent_id,
                       const std::string& role, const Resources& resources,
                       std::optional<absl::Duration> refuse, absl::Time now) override;
  absl::Status UpdateQuota(const std::string& role, const Resources& guarantee,
                           const Resources& limit) override;
  absl::Status UpdateWeights(const std::map<std::string, double>& weights) override;

  // A cycle the caller waits for (blocks the calling thread until the
  // allocator thread has run every queued call and the cycle); nothing can
  // go stale meanwhile. For tools and tests; the master uses StartCycle().
  std::vector<OfferDecision> Allocate(absl::Time now) override;

  // The shares as of the end of the last cycle (the operator API reads them
  // between cycles; they change only through cycles and recoveries).
  std::map<std::string, double> DominantShares() const override { return shares_; }

 private:
  class Worker;
  using Message = std::function<void(Allocation&)>;

  // Queues `call` (named `name` in errors) and returns its sequence number.
  uint64_t Queue(const char* name, std::function<absl::Status(Allocation&)> call);

  EventLoop* loop_;
  // Points at this object while it lives: closures the thread posts hold a
  // weak_ptr and check it on the loop, where this object is destroyed.
  std::shared_ptr<AllocatorThread*> self_;
  ErrorSink on_error_;
  std::unique_ptr<Worker> worker_;  // Last: its thread stops first.
  // Loop-side books: the sequence number of the call that last added each
  // agent and framework still in the allocator.
  uint64_t next_sequence_ = 1;
  std::unordered_map<std::string, uint64_t> agents_added_;
  std::unordered_map<std::string, uint64_t> frameworks_added_;
  std::map<std::string, double> shares_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_ALLOCATOR_THREAD_HPP_
