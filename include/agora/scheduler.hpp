// The scheduler API: what a framework author implements to receive offers
// and task updates, and the driver that connects that code to the master.
//
// A framework creates a `Scheduler` (callbacks) and an
// `AgoraSchedulerDriver`, then calls `driver.run()`:
//
//   class MyScheduler : public agora::Scheduler {
//     void resourceOffers(agora::SchedulerDriver* driver,
//                         const std::vector<agora::v1::Offer>& offers) override {
//       for (const auto& offer : offers) {
//         agora::v1::TaskInfo task = ...;   // resources taken from `offer`
//         driver->launchTasks({offer.id()}, {task});
//       }
//     }
//     void statusUpdate(agora::SchedulerDriver* driver,
//                       const agora::v1::TaskStatus& status) override { ... }
//   };
//   int main() {
//     MyScheduler scheduler;
//     agora::v1::FrameworkInfo framework;
//     framework.set_name("my-framework");
//     agora::AgoraSchedulerDriver driver(&scheduler, framework, "127.0.0.1:5050");
//     return driver.run() == agora::SchedulerDriverStatus::STOPPED ? 0 : 1;
//   }
//
// Threading: callbacks run one at a time on the driver's own thread, never
// concurrently, in the order the master sent the events; they must not
// block for long. Every SchedulerDriver method is thread-safe and may be
// called from callbacks or from any other thread; commands are sent
// asynchronously and their outcomes arrive as callbacks.
//
// Connection: the driver subscribes to the master named by `master`
// ("host:port"; a list "h1:p1,h2:p2,..." tried in turn; or
// "zk://servers/path", the leader elected in ZooKeeper, re-subscribing at
// once when a new leader is elected) and follows the LeaderRedirect detail
// of a non-leading master's UNAVAILABLE replies. When
// the stream breaks or three heartbeats are missed it calls `disconnected`,
// then re-subscribes with its framework id (exponential backoff with
// jitter) and calls `reregistered` once the master accepts it.
//
// Acknowledgements: with implicit acknowledgements (the default) the driver
// acknowledges an update that carries a uuid after `statusUpdate` returns.
// With them off, the scheduler calls `acknowledgeStatusUpdate` itself once
// it has durably handled the update; unacknowledged updates are re-sent by
// the agent, so delivery is at least once. Acknowledgements are coalesced:
// one Acknowledge call is in flight at a time, and those made meanwhile
// leave together in the next call (a lone one leaves at once).
//
// Commands while disconnected: `launchTasks`/`acceptOffers` answer every
// task with a TASK_DROPPED update (reason REASON_MASTER_DISCONNECTED, no
// uuid); other commands are dropped (the offers they refer to are gone
// anyway). A command the master rejects is reported through `callFailed`;
// a rejected launch also yields a TASK_ERROR update per task.
//
// This header needs only the generated message types; no gRPC headers.
#ifndef AGORA_SCHEDULER_HPP_
#define AGORA_SCHEDULER_HPP_

#include <memory>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "agora/v1/master.pb.h"

namespace agora {

class SchedulerDriver;
class EventLoop;  // src/common/event_loop.hpp; only for SchedulerDriverOptions::loop.

// The state of a SchedulerDriver, returned by every driver method.
enum class SchedulerDriverStatus {
  // Constructed; start() not yet called.
  NOT_STARTED,
  // start() succeeded; the driver talks (or tries to talk) to the master.
  RUNNING,
  // abort() was called, or a fatal error ended the driver (error() was
  // called). The framework is left to fail over.
  ABORTED,
  // stop() was called.
  STOPPED,
};

// "RUNNING", "STOPPED"...: for logs and messages.
const char* SchedulerDriverStatusName(SchedulerDriverStatus status);

// Callbacks from the driver, implemented by the framework author. Each runs
// on the driver's thread, serially. Every callback has an empty default so a
// scheduler overrides only what it needs.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The first successful subscription: the master assigned `framework_id`
  // (or accepted the one in FrameworkInfo.id). `master` carries the leading
  // master's id and address.
  virtual void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                          const v1::MasterInfo& master) {}

  // A later successful subscription after a disconnection (or a master
  // failover). Offers made before it are gone; consider reconciling.
  virtual void reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) {}

  // The connection to the master was lost (stream broken or heartbeats
  // missed). The driver is re-subscribing in the background.
  virtual void disconnected(SchedulerDriver* driver) {}

  // New offers. Each must be accepted (launchTasks / acceptOffers) or
  // declined; unanswered offers are rescinded after the master's offer
  // timeout.
  virtual void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {}

  // An offer is no longer valid (agent lost, timeout, another framework's
  // reservation...). Commands using it will fail.
  virtual void offerRescinded(SchedulerDriver* driver, const v1::OfferID& offer_id) {}

  // A task changed state (or a reconciliation answer). With explicit
  // acknowledgements, call driver->acknowledgeStatusUpdate(status) when done.
  virtual void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {}

  // Opaque data sent by an executor.
  virtual void frameworkMessage(SchedulerDriver* driver, const v1::ExecutorID& executor_id,
                                const v1::AgentID& agent_id, const std::string& data) {}

  // An agent became unreachable or was removed. Its tasks get their own
  // updates (TASK_UNREACHABLE, TASK_GONE...).
  virtual void agentLost(SchedulerDriver* driver, const v1::AgentID& agent_id) {}

  // A custom executor terminated; `status` is its wait status (or -1 when
  // unknown).
  virtual void executorLost(SchedulerDriver* driver, const v1::ExecutorID& executor_id,
                            const v1::AgentID& agent_id, int status) {}

  // A fatal error: the master ended the subscription (e.g. the framework
  // failed over to another scheduler, was torn down, or its FrameworkInfo
  // was refused). The driver is ABORTED before this runs.
  virtual void error(SchedulerDriver* driver, const std::string& message) {}

  // Agora extension: the master rejected a command, e.g. "decline" or
  // "reconcile", with `message` (which names the bad field for invalid
  // arguments). The driver keeps running.
  virtual void callFailed(SchedulerDriver* driver, const std::string& call,
                          const std::string& message) {}
};

// The scheduler's handle on the master. Abstract so schedulers can be
// tested with a fake driver. Every method returns the driver's status after
// the call; commands issued when the driver is not RUNNING are ignored.
class SchedulerDriver {
 public:
  virtual ~SchedulerDriver() = default;

  // Starts the driver thread and subscribes. Returns RUNNING, or ABORTED
  // after calling Scheduler::error when the master spec is invalid.
  virtual SchedulerDriverStatus start() = 0;

  // Stops the driver and wakes join(). failover = false (the default)
  // tears the framework down first: the master kills its tasks and forgets
  // it. failover = true only closes the connection: the tasks keep running
  // and a new scheduler may re-subscribe with the framework id within the
  // failover timeout.
  virtual SchedulerDriverStatus stop(bool failover = false) = 0;

  // Closes the connection at once (no teardown) and wakes join().
  virtual SchedulerDriverStatus abort() = 0;

  // Blocks until the driver has stopped or aborted (after a stop(false), the
  // teardown has been answered or timed out). Returns the final status.
  virtual SchedulerDriverStatus join() = 0;

  // start() then join().
  virtual SchedulerDriverStatus run() = 0;

  // Launches `tasks` on the resources of `offer_ids` (all from one agent).
  // The remaining resources of the offers are declined with `filters`.
  virtual SchedulerDriverStatus launchTasks(const std::vector<v1::OfferID>& offer_ids,
                                            const std::vector<v1::TaskInfo>& tasks,
                                            const v1::Filters& filters = v1::Filters()) = 0;

  // Applies `operations` (LAUNCH, RESERVE, UNRESERVE) to the offers.
  virtual SchedulerDriverStatus acceptOffers(const std::vector<v1::OfferID>& offer_ids,
                                             const std::vector<v1::Offer::Operation>& operations,
                                             const v1::Filters& filters = v1::Filters()) = 0;

  // Declines an offer; its resources are not re-offered to this framework
  // for filters.refuse_seconds (default 5 s).
  virtual SchedulerDriverStatus declineOffer(const v1::OfferID& offer_id,
                                             const v1::Filters& filters = v1::Filters()) = 0;

  // Clears the framework's filters and unsuppresses `roles` (all of its roles
  // when empty).
  virtual SchedulerDriverStatus reviveOffers(const std::vector<std::string>& roles = {}) = 0;

  // Stops offers for `roles` (all of its roles when empty) until revived.
  virtual SchedulerDriverStatus suppressOffers(const std::vector<std::string>& roles = {}) = 0;

  // Kills a task; its terminal update (usually TASK_KILLED) follows.
  // `agent_id` is optional.
  virtual SchedulerDriverStatus killTask(const v1::TaskID& task_id,
                                         const v1::AgentID& agent_id = v1::AgentID()) = 0;

  // Acknowledges an update received in statusUpdate (explicit
  // acknowledgements only; ignored with a warning otherwise, and a no-op for
  // updates without a uuid).
  virtual SchedulerDriverStatus acknowledgeStatusUpdate(const v1::TaskStatus& status) = 0;

  // Sends opaque data to an executor (best effort).
  virtual SchedulerDriverStatus sendFrameworkMessage(const v1::ExecutorID& executor_id,
                                                     const v1::AgentID& agent_id,
                                                     const std::string& data) = 0;

  // Asks the master for the latest state of tasks; answers arrive as
  // statusUpdate calls (without uuids). Each status needs task_id (and
  // optionally agent_id). Empty: implicit reconciliation of every task the
  // master knows for this framework.
  virtual SchedulerDriverStatus reconcileTasks(const std::vector<v1::TaskStatus>& statuses) = 0;

  // Changes the framework's name, roles, failover timeout, capabilities...
  // (not its user or principal). `framework_info.id` may be left empty.
  virtual SchedulerDriverStatus updateFramework(
      const v1::FrameworkInfo& framework_info,
      const std::vector<std::string>& suppressed_roles = {}) = 0;
};

// Options of AgoraSchedulerDriver; the defaults suit production.
struct SchedulerDriverOptions {
  // Acknowledge updates after statusUpdate returns. Off: the scheduler calls
  // acknowledgeStatusUpdate itself.
  bool implicit_acknowledgements = true;
  // Roles (of FrameworkInfo.roles) that start suppressed.
  std::vector<std::string> suppressed_roles;
  // Deadline of each command RPC, in seconds.
  double call_timeout_seconds = 10;
  // Re-subscription backoff: the n-th retry waits a random time in
  // [d/2, d] with d = min(max, initial * 2^n), in seconds.
  double initial_backoff_seconds = 0.1;
  double max_backoff_seconds = 10;
  // Heartbeats missed before the connection counts as dead.
  int max_missed_heartbeats = 3;
  // Testing seam: run the driver and its callbacks on this loop (not owned;
  // must outlive the driver) instead of a thread of its own, so tests can
  // drive time with a manual clock. join() then returns at once; the caller
  // runs the loop. Leave null in frameworks.
  EventLoop* loop = nullptr;
};

// The driver implementation over gRPC. Owns one thread (an event loop) on
// which all callbacks run.
class AgoraSchedulerDriver : public SchedulerDriver {
 public:
  // `scheduler` must outlive the driver. `framework` must have a name; an
  // empty user becomes the current user, empty roles become {"*"}, an empty
  // hostname the machine's hostname. Set framework.id to fail over to an
  // existing framework. `master` is "host:port", "h1:p1,h2:p2,..." or
  // "zk://h1:p1,h2:p2/path".
  AgoraSchedulerDriver(Scheduler* scheduler, const v1::FrameworkInfo& framework,
                       const std::string& master,
                       const SchedulerDriverOptions& options = SchedulerDriverOptions());
  // Aborts the driver if it is running (no teardown) and joins its thread.
  ~AgoraSchedulerDriver() override;

  AgoraSchedulerDriver(const AgoraSchedulerDriver&) = delete;
  AgoraSchedulerDriver& operator=(const AgoraSchedulerDriver&) = delete;

  SchedulerDriverStatus start() override;
  SchedulerDriverStatus stop(bool failover = false) override;
  SchedulerDriverStatus abort() override;
  SchedulerDriverStatus join() override;
  SchedulerDriverStatus run() override;
  SchedulerDriverStatus launchTasks(const std::vector<v1::OfferID>& offer_ids,
                                    const std::vector<v1::TaskInfo>& tasks,
                                    const v1::Filters& filters = v1::Filters()) override;
  // The same, taking the tasks: they move into the Accept call instead of
  // being copied (a framework that builds its TaskInfos for the call).
  SchedulerDriverStatus launchTasks(const std::vector<v1::OfferID>& offer_ids,
                                    std::vector<v1::TaskInfo>&& tasks,
                                    const v1::Filters& filters = v1::Filters());
  SchedulerDriverStatus acceptOffers(const std::vector<v1::OfferID>& offer_ids,
                                     const std::vector<v1::Offer::Operation>& operations,
                                     const v1::Filters& filters = v1::Filters()) override;
  SchedulerDriverStatus declineOffer(const v1::OfferID& offer_id,
                                     const v1::Filters& filters = v1::Filters()) override;
  SchedulerDriverStatus reviveOffers(const std::vector<std::string>& roles = {}) override;
  SchedulerDriverStatus suppressOffers(const std::vector<std::string>& roles = {}) override;
  SchedulerDriverStatus killTask(const v1::TaskID& task_id,
                                 const v1::AgentID& agent_id = v1::AgentID()) override;
  SchedulerDriverStatus acknowledgeStatusUpdate(const v1::TaskStatus& status) override;
  SchedulerDriverStatus sendFrameworkMessage(const v1::ExecutorID& executor_id,
                                             const v1::AgentID& agent_id,
                                             const std::string& data) override;
  SchedulerDriverStatus reconcileTasks(const std::vector<v1::TaskStatus>& statuses) override;
  SchedulerDriverStatus updateFramework(
      const v1::FrameworkInfo& framework_info,
      const std::vector<std::string>& suppressed_roles = {}) override;

  // The framework id once registered (empty before); thread-safe.
  std::string framework_id() const;
  // True while subscribed to a master; thread-safe.
  bool connected() const;
  // The master the driver talks to now ("host:port"); thread-safe.
  std::string master_address() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agora

#endif  // AGORA_SCHEDULER_HPP_
