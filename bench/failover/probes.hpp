// Probes that the failover benchmark polls: a master's operator API (tasks
// by state), its HTTP /ready, and who leads the ZooKeeper election.
#ifndef AGORA_BENCH_FAILOVER_PROBES_HPP_
#define AGORA_BENCH_FAILOVER_PROBES_HPP_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agora/v1/common.pb.h"
#include "agora/v1/master.pb.h"
#include "common/asio_event_loop.hpp"
#include "common/zk_client.hpp"

namespace agora::bench {

// How many tasks the master at `address` ("host:port") reports in `state`,
// through MasterOperator.GetTasks (paged). UNAVAILABLE while it does not
// answer (or is not the leader).
absl::StatusOr<int> CountTasks(const std::string& address, v1::TaskState state);

// True when http://127.0.0.1:<port>/ready answers 200.
bool MasterReady(int http_port);

// One member of the election: its znode name and the MasterInfo it holds.
struct ElectionMember {
  std::string znode;  // "member_0000000003"
  v1::MasterInfo info;
};

// Reads `<root>/election` of a ZooKeeper ensemble with blocking calls (a
// ZkClient on a loop of its own). Not thread-safe; one caller at a time.
class ElectionProbe {
 public:
  // `zk_url` is "zk://host:port/root". UNAVAILABLE if no session comes up
  // within `timeout`.
  static absl::StatusOr<std::unique_ptr<ElectionProbe>> Connect(const std::string& zk_url,
                                                                absl::Duration timeout);
  ~ElectionProbe();

  // Members sorted by sequence (the first leads); empty if none.
  absl::StatusOr<std::vector<ElectionMember>> Members();

 private:
  ElectionProbe() : loop_("zk-probe") {}

  AsioEventLoop loop_;
  std::unique_ptr<ZkClient> zk_;
  std::string election_path_;
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FAILOVER_PROBES_HPP_
