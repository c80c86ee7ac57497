// SimChannels: the gRPC channels that a SimAgentHost's agents share.
//
// `per_address` channels per master address (each its own TCP connection),
// created on first use and kept until the pool is destroyed; agent i uses
// channel i % per_address. gRPC's own reconnect backoff is capped at 1 s so
// that the agents' backoff, not gRPC's (up to 2 minutes), paces
// reconnection to a restarted or newly elected master. Thread-safe.
#ifndef AGORA_BENCH_SIM_SIM_CHANNELS_HPP_
#define AGORA_BENCH_SIM_SIM_CHANNELS_HPP_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agora/internal/agent_master.grpc.pb.h"

namespace agora::sim {

class SimChannels {
 public:
  explicit SimChannels(int per_address);

  // The stub for agent `index` talking to `address` ("host:port").
  internal::AgentChannel::Stub* Stub(const std::string& address, int index);

 private:
  struct Slot {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<internal::AgentChannel::Stub> stub;
  };

  const int per_address_;
  std::mutex mu_;
  std::map<std::pair<std::string, int>, Slot> slots_;
};

}  // namespace agora::sim

#endif  // AGORA_BENCH_SIM_SIM_CHANNELS_HPP_
