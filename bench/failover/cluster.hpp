// BenchCluster: the daemons a failover benchmark runs as child processes:
// in kFailover mode a standalone ZooKeeper and three masters electing a
// leader through it (--zk, --registry=zk); in kRestart mode one standalone
// master that is killed and restarted on its work dir. Every daemon logs to
// a file under the work dir; all are killed when the cluster is destroyed.
// Not thread-safe: owned by the benchmark's main thread.
#ifndef AGORA_BENCH_FAILOVER_CLUSTER_HPP_
#define AGORA_BENCH_FAILOVER_CLUSTER_HPP_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "failover/probes.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/zookeeper_server.hpp"

namespace agora::bench {

enum class ClusterMode { kRestart, kFailover };

struct ClusterOptions {
  ClusterMode mode = ClusterMode::kRestart;
  // Parent of every daemon's work dir and log; must exist.
  std::string work_dir;
  // The agora-master program.
  std::string master_binary;
  // --zk_session_timeout of the masters (failover mode), in seconds.
  double zk_session_timeout_seconds = 10;
  // Further flags for every master (e.g. "--allocation_thread=false").
  std::vector<std::string> master_flags;
};

struct MasterProcess {
  std::string work_dir;
  std::string log_path;
  int port = 0;
  int http_port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  std::unique_ptr<testing::Subprocess> process;  // Null while killed.
};

class BenchCluster {
 public:
  // Starts the daemons and waits (up to `timeout`) until one master is
  // ready. UNAVAILABLE names the daemon that did not come up.
  static absl::StatusOr<std::unique_ptr<BenchCluster>> Start(ClusterOptions options,
                                                             absl::Duration timeout);
  ~BenchCluster();

  // What agents and frameworks are given: "zk://127.0.0.1:P/agora" or the
  // standalone master's "127.0.0.1:P".
  std::string MasterSpec() const;
  // The leading master's index: the election's first member (failover), or
  // 0 (restart). UNAVAILABLE while no leader is known.
  absl::StatusOr<int> Leader();
  // The leader's election znode ("" in restart mode).
  absl::StatusOr<std::string> LeaderZnode();
  // True while `znode` is still a member of the election.
  absl::StatusOr<bool> ZnodeExists(const std::string& znode);

  MasterProcess& master(int index) { return masters_.at(index); }
  int masters() const { return static_cast<int>(masters_.size()); }

  // kill -9 and reap (the process is gone when this returns).
  void Kill(int index);
  // Starts the master again on the same work dir and ports.
  absl::Status Restart(int index);

 private:
  explicit BenchCluster(ClusterOptions options) : options_(std::move(options)) {}
  absl::Status Launch(int index);

  ClusterOptions options_;
  std::unique_ptr<testing::ZooKeeperServer> zookeeper_;
  std::unique_ptr<ElectionProbe> election_;
  std::vector<MasterProcess> masters_;
};

// A loopback TCP port that was free a moment ago.
int FreePort();

}  // namespace agora::bench

#endif  // AGORA_BENCH_FAILOVER_CLUSTER_HPP_
