// AgentFleet: thousands of fake agents on a handful of gRPC channels, for
// tests that need a master holding a large cluster (5,000 agents, 50,000
// tasks) within seconds.
//
// Each agent is one AgentChannel stream driven by a callback reactor (no
// thread per agent): it sends one REREGISTER carrying its tasks (as agents do
// after a master fail-over, so the master learns every task at once, without
// offers and launches) and then only reads. It sends no heartbeats: give the
// master a long agent_heartbeat_interval.
//
// Thread-safety: construct, WaitReregistered and destroy from one thread; the
// reactors run on gRPC threads and only touch the counters under the mutex.
#ifndef AGORA_TESTS_CLUSTER_MASTER_AGENT_FLEET_HPP_
#define AGORA_TESTS_CLUSTER_MASTER_AGENT_FLEET_HPP_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agora/internal/agent_master.grpc.pb.h"

namespace agora::testing {

class AgentFleet {
 public:
  struct Options {
    size_t agents = 5000;
    size_t tasks_per_agent = 10;
    // Framework of every task (must be subscribed, or its tasks are refused).
    std::string framework_id;
    // Agent resources; each task uses cpus:1;mem:128 (the agent is full).
    std::string agent_resources = "cpus:10;mem:1280";
    size_t channels = 8;
  };

  // Opens every stream and sends every REREGISTER.
  AgentFleet(const std::string& address, Options options);
  // Cancels every stream and waits until each has ended.
  ~AgentFleet();

  // Waits until every agent got REREGISTERED; false on timeout.
  bool WaitReregistered(std::chrono::milliseconds timeout);
  size_t reregistered();

  // Agent `i`'s id and its `j`th task id.
  static std::string AgentId(size_t i);
  static std::string TaskId(size_t i, size_t j);

 private:
  class Agent;
  void OnReregistered();
  void OnDone();

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<internal::AgentChannel::Stub>> stubs_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t reregistered_ = 0;
  size_t done_ = 0;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_MASTER_AGENT_FLEET_HPP_
