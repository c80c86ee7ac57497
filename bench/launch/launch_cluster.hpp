// LaunchCluster: one real agora-master and one real agora-agent (with its
// real agora-executor), child processes of the benchmark on free loopback
// ports, each logging to a file under the work dir. Destroying it kills the
// agent's descendants (executors, tasks), then the agent and the master.
// Not thread-safe: owned by the benchmark's main thread.
#ifndef AGORA_BENCH_LAUNCH_LAUNCH_CLUSTER_HPP_
#define AGORA_BENCH_LAUNCH_LAUNCH_CLUSTER_HPP_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.hpp"

namespace agora::bench {

struct LaunchClusterOptions {
  // Parent of both daemons' work dirs and logs; must exist.
  std::string work_dir;
  // The agora-master and agora-agent programs (agora-executor beside the agent).
  std::string master_binary;
  std::string agent_binary;
  // What the agent advertises.
  std::string agent_resources = "cpus:64;mem:262144";
};

class LaunchCluster {
 public:
  // Starts the master, waits until it is ready, then starts the agent. The
  // agent's registration is seen by the framework's first offer.
  // UNAVAILABLE names the daemon that did not come up and its log.
  static absl::StatusOr<std::unique_ptr<LaunchCluster>> Start(LaunchClusterOptions options,
                                                              absl::Duration timeout);
  ~LaunchCluster();

  std::string master_address() const { return "127.0.0.1:" + std::to_string(master_port_); }
  pid_t master_pid() const { return master_->pid(); }
  pid_t agent_pid() const { return agent_->pid(); }
  // UNAVAILABLE naming the log of a daemon that exited.
  absl::Status CheckAlive();

 private:
  explicit LaunchCluster(LaunchClusterOptions options) : options_(std::move(options)) {}

  LaunchClusterOptions options_;
  int master_port_ = 0;
  std::unique_ptr<testing::Subprocess> master_;
  std::unique_ptr<testing::Subprocess> agent_;
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_LAUNCH_LAUNCH_CLUSTER_HPP_
