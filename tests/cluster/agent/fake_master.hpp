// FakeMaster: a minimal AgentChannel server for agent cluster tests.
//
// Registers every agent (REGISTERED / REREGISTERED with agent id
// "agent-1"), answers heartbeats, records every AgentMessage and, unless
// told otherwise, acknowledges every status update that carries a uuid
// (with single ACKNOWLEDGEs, also for the entries of a STATUS_UPDATES). Like
// a master from before link batches it announces no STATUS_UPDATES unless
// set_accept_update_batches(true).
// Tests send RUN_TASKS / KILL_TASK through Send() and break the stream with
// BreakStream(). Sync gRPC server: one thread per stream; all recorded state
// is guarded by mu_. Listens on 127.0.0.1:0.
#ifndef AGORA_TESTS_CLUSTER_AGENT_FAKE_MASTER_HPP_
#define AGORA_TESTS_CLUSTER_AGENT_FAKE_MASTER_HPP_

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agora/internal/agent_master.grpc.pb.h"

namespace agora::testing {

class FakeMaster final : public internal::AgentChannel::Service {
 public:
  FakeMaster();
  ~FakeMaster() override;

  std::string address() const { return address_; }

  // Sends to the current agent stream; false if there is none.
  bool Send(const internal::MasterMessage& message);
  // Cancels the current stream (the agent must reconnect).
  void BreakStream();
  void set_auto_ack(bool auto_ack);
  // Whether Registered says accepts_status_update_batches (default false).
  void set_accept_update_batches(bool accept);

  // Waits until `predicate` (called under the lock) holds; false on timeout.
  bool WaitFor(const std::function<bool()>& predicate, absl::Duration timeout = absl::Seconds(20));

  // Recorded state; read under lock() or after WaitFor.
  std::mutex& mu() { return mu_; }
  const std::vector<internal::AgentMessage>& registrations() const { return registrations_; }
  // Status updates (single or batch entries) in arrival order with
  // duplicates (same uuid) removed.
  std::vector<v1::TaskStatus> UpdatesFor(const std::string& task_id) const;
  std::vector<internal::AgentMessage> Messages() const;
  // Every message received, under lock.
  const std::vector<internal::AgentMessage>& messages() const { return messages_; }
  int streams_opened() const { return streams_opened_; }

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::MasterMessage, internal::AgentMessage>* stream) override;

 private:
  void Handle(const internal::AgentMessage& message,
              grpc::ServerReaderWriter<internal::MasterMessage, internal::AgentMessage>* stream);

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mutex write_mu_;
  grpc::ServerContext* current_context_ = nullptr;
  grpc::ServerReaderWriter<internal::MasterMessage, internal::AgentMessage>* current_ = nullptr;
  bool auto_ack_ = true;
  bool accept_update_batches_ = false;
  int streams_opened_ = 0;
  std::vector<internal::AgentMessage> registrations_;
  std::vector<internal::AgentMessage> messages_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_AGENT_FAKE_MASTER_HPP_
