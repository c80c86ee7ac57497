// MasterLink: one AgentChannel.Connect stream from the agent to the master.
//
// A gRPC client bidi reactor whose state is owned by the agent's event loop:
// received messages and the stream's end are posted to the loop; Send() and
// Close() are loop-only. Writes go through a StreamWriteQueue: one write is
// in flight, its completion starts the next on gRPC's thread (no loop turn
// per message), and up to `capacity` more wait (overflow closes the stream,
// and the agent reconnects and re-registers). Once SetUpdateBatching(true)
// (the master's Registered said accepts_status_update_batches), the
// STATUS_UPDATEs queued behind a write in flight leave as one STATUS_UPDATES
// (common/link_batches.hpp); other messages are never merged or passed.
// Messages and the final close are delivered on the loop through the
// callbacks, tagged with nothing: a closed link delivers nothing more.
//
// Lifetime: Start() returns a shared handle; the link keeps itself alive
// until gRPC is done with it and that news reached the loop (or, if the loop
// stopped first, until ReleaseIfDone()).
#ifndef AGORA_AGENT_MASTER_LINK_HPP_
#define AGORA_AGENT_MASTER_LINK_HPP_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "agora/internal/agent_master.grpc.pb.h"
#include "common/event_loop.hpp"
#include "common/stream_write_queue.hpp"

namespace agora::agent {

class MasterLink : public grpc::ClientBidiReactor<internal::AgentMessage, internal::MasterMessage> {
 public:
  using MessageFn = std::function<void(const internal::MasterMessage&)>;
  using ClosedFn = std::function<void(const absl::Status&)>;

  static std::shared_ptr<MasterLink> Start(EventLoop* loop, internal::AgentChannel::Stub* stub,
                                           MessageFn on_message, ClosedFn on_closed,
                                           size_t capacity = 4096);

  // Queues a message. False if closed or the queue overflowed (then the
  // link is closed). Loop thread only.
  bool Send(internal::AgentMessage message);
  // Whether queued status updates may be merged into STATUS_UPDATES (false
  // until the master announced them on this stream). Any thread.
  void SetUpdateBatching(bool enabled) { update_batches_.store(enabled); }
  // Messages merged into another's write so far. Any thread.
  size_t merged_messages() const { return writer_.merged(); }
  // Cancels the stream; on_closed follows. Loop thread only.
  void Close();
  bool closed() const { return closed_; }
  // True once gRPC is done with the reactor.
  bool done() const { return done_.load(); }
  // Drops the self-reference if gRPC is done (for owners whose loop has
  // stopped). Any thread, after the loop stopped.
  void ReleaseIfDone();

 private:
  using Writer = StreamWriteQueue<internal::AgentMessage, absl::Status>;

  MasterLink(EventLoop* loop, MessageFn on_message, ClosedFn on_closed, size_t capacity);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // The stream's end reached the loop: no more writes, let gRPC finish.
  void EndOnLoop();

  EventLoop* loop_;
  MessageFn on_message_;
  ClosedFn on_closed_;
  grpc::ClientContext context_;
  internal::MasterMessage incoming_;
  std::atomic<bool> update_batches_{false};
  Writer writer_;
  bool closed_ = false;  // Loop-owned.
  std::atomic<bool> done_{false};
  std::shared_ptr<MasterLink> self_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_MASTER_LINK_HPP_
