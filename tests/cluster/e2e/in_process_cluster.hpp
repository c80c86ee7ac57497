// InProcessCluster: a real Master and real Agents in this process, talking
// real gRPC on 127.0.0.1 with ephemeral ports, plus RecordingScheduler, a
// scheduler that records every callback so tests can wait on what a
// framework author would observe. Executors are the real agora-executor
// processes.
#ifndef AGORA_TESTS_CLUSTER_E2E_IN_PROCESS_CLUSTER_HPP_
#define AGORA_TESTS_CLUSTER_E2E_IN_PROCESS_CLUSTER_HPP_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agora/scheduler.hpp"
#include "master/master.hpp"
#include "tests/cluster/e2e/agent_link_proxy.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

// Options tuned for tests: fast allocation sweeps and heartbeats.
master::MasterOptions TestMasterOptions(const std::string& work_dir);

class InProcessCluster {
 public:
  explicit InProcessCluster(std::string dir) : dir_(std::move(dir)) {}
  ~InProcessCluster();

  // Starts (or restarts, on the same work dir and port) the master.
  absl::Status StartMaster(master::MasterOptions options);
  absl::Status StartMaster() { return StartMaster(TestMasterOptions(dir_ + "/master")); }
  void StopMaster();

  // Puts an AgentLinkProxy between the master and agents started from now
  // on (the proxy follows master restarts on the same address).
  AgentLinkProxy* EnableAgentProxy();

  // Starts agent `index` (a new one, or a restart on the same work dir and
  // port) with `resources` and waits until it is registered.
  absl::Status StartAgent(size_t index, const std::string& resources);
  agent::Agent* agent(size_t index) { return agents_.at(index).get(); }
  // Stops agent `index` as a crash would: its executors keep running.
  void CrashAgent(size_t index);

  master::Master* master() { return master_.get(); }
  std::string master_address() const { return master_address_; }

 private:
  std::string dir_;
  std::string master_address_;
  std::unique_ptr<master::Master> master_;
  std::unique_ptr<AgentLinkProxy> proxy_;
  std::map<size_t, std::unique_ptr<agent::Agent>> agents_;
  // Ports of agents ever started: a restarted agent binds its old port, so
  // its executors (which know that endpoint) find it again.
  std::map<size_t, int> agent_ports_;
};

// FrameworkInfo named `name` in role "*".
v1::FrameworkInfo TestFramework(const std::string& name);

// A TaskInfo running `command` under the command executor on `offer`'s
// agent with the given cpus and mem.
v1::TaskInfo CommandTask(const std::string& id, const std::string& command, double cpus,
                         double mem);

// Records every scheduler callback. `on_offers`, if set, runs on the
// driver's thread for each offers callback (to launch or decline).
class RecordingScheduler : public Scheduler {
 public:
  using OffersHandler = std::function<void(SchedulerDriver*, const std::vector<v1::Offer>&)>;
  explicit RecordingScheduler(OffersHandler on_offers = nullptr)
      : on_offers_(std::move(on_offers)) {}

  void registered(SchedulerDriver*, const v1::FrameworkID& id, const v1::MasterInfo&) override;
  void reregistered(SchedulerDriver*, const v1::MasterInfo&) override;
  void disconnected(SchedulerDriver*) override;
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void offerRescinded(SchedulerDriver*, const v1::OfferID& id) override;
  void statusUpdate(SchedulerDriver*, const v1::TaskStatus& status) override;
  void error(SchedulerDriver*, const std::string& message) override;
  void callFailed(SchedulerDriver*, const std::string& call, const std::string& message) override;

  // Waits until `condition` (evaluated under the lock) holds.
  bool WaitUntil(const std::function<bool()>& condition,
                 absl::Duration timeout = absl::Seconds(30));

  // Guarded state, readable inside WaitUntil conditions or after it.
  std::string framework_id;
  int registrations = 0;
  int reregistrations = 0;
  int disconnections = 0;
  std::vector<v1::Offer> offers;
  std::vector<std::string> rescinded;
  std::vector<v1::TaskStatus> updates;
  std::vector<std::string> errors;
  std::vector<std::string> failed_calls;

  // Latest state of `task_id`, TASK_STATE_UNSPECIFIED if never reported.
  v1::TaskState LatestState(const std::string& task_id);
  // States reported for `task_id`, in arrival order.
  std::vector<v1::TaskState> StatesOf(const std::string& task_id);
  int CountInState(v1::TaskState state);

  std::mutex mutex;

 private:
  void Changed();
  OffersHandler on_offers_;
  std::condition_variable cv_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_E2E_IN_PROCESS_CLUSTER_HPP_
