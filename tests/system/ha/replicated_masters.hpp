// ReplicatedMasters: N agora-master processes (the real binary) contending
// in one ZooKeeper with --registry=zk, each with its own probed ports, work
// dir and log under a test dir. Tests kill, freeze and restart them and ask
// each, over HTTP, whether it leads.
#ifndef AGORA_TESTS_SYSTEM_HA_REPLICATED_MASTERS_HPP_
#define AGORA_TESTS_SYSTEM_HA_REPLICATED_MASTERS_HPP_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

class ReplicatedMasters {
 public:
  // `zk_url` is "zk://servers/path"; `flags` are added to every master.
  ReplicatedMasters(std::string dir, std::string zk_url, size_t count,
                    std::vector<std::string> flags);
  ~ReplicatedMasters();

  // Starts every master and waits until one leads.
  absl::Status Start();
  // Starts master `index` again (after Kill) on its ports and work dir.
  absl::Status Restart(size_t index);
  void Kill(size_t index);    // kill -9, reaped.
  void Freeze(size_t index);  // SIGSTOP
  void Thaw(size_t index);    // SIGCONT

  // Index of a master whose /ready answers 200, or -1. Frozen or dead
  // masters count as not leading.
  int Leader();
  // Waits up to `timeout` for a leader other than `not_index` (-1: any).
  int WaitForLeader(absl::Duration timeout, int not_index = -1);
  // Indices of the masters whose /metrics say agora_master_serving 1.
  std::vector<size_t> Serving();
  // The sum of agora_master_elections_won_total over the live masters.
  double ElectionsWon();

  size_t size() const { return masters_.size(); }
  // "127.0.0.1:p1,127.0.0.1:p2,..." (the gRPC addresses).
  std::string List() const;
  std::string address(size_t index) const;
  int http_port(size_t index) const { return masters_.at(index).http_port; }
  bool running(size_t index);
  std::string Logs() const;

 private:
  struct Replica {
    int port = 0;
    int http_port = 0;
    int starts = 0;
    bool frozen = false;
    std::unique_ptr<Subprocess> process;
  };
  absl::Status Spawn(size_t index);
  bool Reachable(size_t index);

  std::string dir_;
  std::string zk_url_;
  std::vector<std::string> flags_;
  std::vector<Replica> masters_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_HA_REPLICATED_MASTERS_HPP_
