// What the scale benchmark measures on the master process: its memory
// (/proc), GetState (wall time and response size, the response received
// but not parsed), and the round trip of GetHealth, a call the master
// answers on its event loop, as a probe of how long the loop stalls.
// Thread-safe unless stated.
#ifndef AGORA_BENCH_FLEET_SCALE_PROBES_HPP_
#define AGORA_BENCH_FLEET_SCALE_PROBES_HPP_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "agora/v1/master.pb.h"

namespace agora::bench {

// VmRSS and VmHWM (peak) of `pid` from /proc/<pid>/status, in bytes.
struct MemorySample {
  int64_t rss = 0;
  int64_t peak = 0;
};
absl::StatusOr<MemorySample> ReadMemory(pid_t pid);

// Percentiles over a set of milliseconds.
struct Millis {
  std::vector<double> values;
  double Percentile(double p) const;
  double Max() const;
};

// Calls on the master's MasterOperator service over one channel.
class MasterQueries {
 public:
  // `own_connection`: a TCP connection of this channel's own. Otherwise
  // gRPC shares one connection among channels to the same address with the
  // same arguments, so a small call waits behind a large answer's bytes on
  // it (HTTP/2 head-of-line blocking, not the master's loop).
  explicit MasterQueries(const std::string& address, bool own_connection = false);

  // One GetState, received but not parsed: wall time and size.
  struct Timed {
    double ms = 0;
    size_t bytes = 0;
  };
  absl::StatusOr<Timed> TimeGetState();
  // One GetState, parsed.
  absl::StatusOr<v1::MasterState> GetState();
  // One GetHealth (answered on the master's loop): round trip in ms.
  absl::StatusOr<double> TimeGetHealth();

 private:
  std::shared_ptr<grpc::Channel> channel_;
};

// Issues GetHealth every `interval_ms` on a thread of its own from Start()
// to Stop(), recording each round trip. Start/Stop from one thread.
// `own_connection`: see MasterQueries (true measures the loop, not the
// connection GetState's answers travel on).
class LoopProbe {
 public:
  LoopProbe(const std::string& address, int interval_ms, bool own_connection = true);
  ~LoopProbe();
  void Start();
  // Joins the thread; returns the round trips and how many calls failed.
  Millis Stop(int* failures);

 private:
  MasterQueries queries_;
  const int interval_ms_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Millis round_trips_;  // Probe thread only until Stop() joins it.
  int failures_ = 0;    // Likewise.
};

}  // namespace agora::bench

#endif  // AGORA_BENCH_FLEET_SCALE_PROBES_HPP_
