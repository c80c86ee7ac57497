#include "sim/sim_channels.hpp"

#include <grpcpp/grpcpp.h>

namespace agora::sim {

SimChannels::SimChannels(int per_address) : per_address_(per_address < 1 ? 1 : per_address) {}

internal::AgentChannel::Stub* SimChannels::Stub(const std::string& address, int index) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = slots_[{address, index % per_address_}];
  if (slot.stub == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Distinct arguments give each slot its own subchannel (TCP connection).
    args.SetInt("agora.sim_channel_slot", index % per_address_);
    slot.channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    slot.stub = internal::AgentChannel::NewStub(slot.channel);
  }
  return slot.stub.get();
}

}  // namespace agora::sim
