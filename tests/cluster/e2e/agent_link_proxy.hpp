// AgentLinkProxy: a man in the middle of the agent <-> master stream, for
// in-process fault injection.
//
// It serves the AgentChannel service on 127.0.0.1:0; agents pointed at it
// get their `Connect` stream forwarded to the real master, message by
// message, through a filter the test sets: pass, drop, duplicate, or delay
// a specific message in either direction. BreakStreams() cuts every live
// stream at once (both sides see it end), as a network blip would.
//
// Threading: gRPC's sync server threads run the forwarding (one thread per
// direction per stream); the filter runs on them and must be thread-safe.
#ifndef AGORA_TESTS_CLUSTER_E2E_AGENT_LINK_PROXY_HPP_
#define AGORA_TESTS_CLUSTER_E2E_AGENT_LINK_PROXY_HPP_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "agora/internal/agent_master.grpc.pb.h"

namespace agora::testing {

class AgentLinkProxy : public internal::AgentChannel::Service {
 public:
  enum class Verdict { kPass, kDrop, kDuplicate, kDelay };
  // Decides the fate of one message. `to_master` is the direction.
  struct Filter {
    std::function<Verdict(const internal::AgentMessage&)> to_master;
    std::function<Verdict(const internal::MasterMessage&)> to_agent;
    absl::Duration delay = absl::Milliseconds(500);  // For kDelay.
  };

  explicit AgentLinkProxy(std::string master_address);
  ~AgentLinkProxy() override;

  std::string address() const { return address_; }
  void set_filter(Filter filter);
  void clear_filter() { set_filter(Filter{}); }
  // Ends every live stream (agents reconnect through the proxy).
  void BreakStreams();
  // Messages dropped so far, in both directions.
  int dropped() const { return dropped_.load(); }

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::MasterMessage, internal::AgentMessage>* stream) override;

 private:
  Filter filter();

  std::string master_address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<internal::AgentChannel::Stub> stub_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<int> dropped_{0};

  std::mutex mu_;
  Filter filter_;
  std::set<grpc::ServerContext*> servers_;
  std::set<grpc::ClientContext*> clients_;
};

// Matches agent -> master status updates in `state` (any task).
std::function<AgentLinkProxy::Verdict(const internal::AgentMessage&)> OnStatusUpdate(
    int state, AgentLinkProxy::Verdict verdict, int times = 1 << 30);

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_E2E_AGENT_LINK_PROXY_HPP_
