// AgentChannelService: one bidirectional stream per agent.
//
// AgentStream is a bidi reactor whose messages are handled on the loop
// without the loop pacing the stream:
// - Reads: a message that parses is posted to the loop's bulk lane
//   (EventLoop::PostBulk: in order with the stream's other events, while
//   the loop's other work passes it in slices) and the next read starts at
//   once, on gRPC's thread, until kMaxUnhandled messages of the stream are
//   posted and not yet handled; reading resumes when the loop catches up
//   (back-pressure on a fast agent without a loop round trip per message).
//   All agent streams together also share a ReadBudget of kMaxUnhandledAll
//   entries (status updates; read_budget.hpp), so the loop's queue stays
//   short however many agents connect and however large their batches. A
//   message that does not parse stops reading; the loop ends the stream
//   with INVALID_ARGUMENT naming it.
// - Writes: StreamWriteQueue of MasterMessages. The loop queues; the write
//   that starts at once is serialized on the loop, a write started by the
//   previous one's completion on gRPC's thread. When the agent announced
//   accepts_acknowledgement_batches (REGISTER / REREGISTER, seen here before
//   the core handles it), the ACKNOWLEDGEs queued behind a write in flight
//   leave as one ACKNOWLEDGEMENTS (common/link_batches.hpp). A full queue
//   ends the stream with RESOURCE_EXHAUSTED.
// The stream's end (read end, cancel, done) is posted to the loop, which
// tells the core. The stream keeps itself alive until gRPC reports it done
// and that report reached the loop. A stream belongs to the core that served
// when it opened (CoreSlot generation); once that core is dropped the stream
// is closed and never reaches its successor.
//
// The method is registered raw (common/raw_methods.hpp): the stream parses
// each message itself (a typed bidi stream would see an unparsable message
// as the end of the stream), and serializes what it sends itself.
#include <atomic>
#include <mutex>

#include "common/grpc_status.hpp"
#include "common/link_batches.hpp"
#include "common/raw_methods.hpp"
#include "common/stream_write_queue.hpp"
#include "glog/logging.h"
#include "master/read_budget.hpp"
#include "master/services.hpp"

namespace agora::master {
namespace {

using internal::AgentMessage;
using internal::MasterMessage;

constexpr char kMethod[] = "/agora.internal.AgentChannel/Connect";

// Messages of one stream posted to the loop and not yet handled, at most.
constexpr int kMaxUnhandled = 64;
// Entries (EntriesOf, read_budget.hpp) of all agent streams posted to the
// loop and not yet handled: ~40-60 ms of loop work at the ~20-30 us per
// update measured under load, about what 256 messages (of 5-8 updates)
// held before the budget counted entries. The bulk
// lane lets cheap calls pass this work, so the bound is about memory and
// the wait of bulk calls; a smaller one (512 measured) runs allocation cycles
// on fewer updates each: 2-3x the offers, ~30 % more master CPU per task.
constexpr size_t kMaxUnhandledAll = 2048;

class AgentStream : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                    public AgentSink {
 public:
  static std::shared_ptr<AgentStream> Create(EventLoop* loop, const CoreSlot* slot,
                                             std::shared_ptr<ReadBudget> budget,
                                             uint64_t connection, size_t capacity) {
    std::shared_ptr<AgentStream> stream(
        new AgentStream(loop, slot, std::move(budget), connection, capacity));
    stream->self_ = stream;
    stream->weak_self_ = stream;
    loop->PostBulk([stream] { stream->Attach(/*may_hold=*/true); });
    return stream;
  }

  bool Send(MasterMessage message) override {
    DCHECK(loop_->IsInLoopThread());
    if (closing()) return false;
    return writer_.SendOr(std::move(message), [this] {
      LOG(WARNING) << "Agent stream too slow; disconnecting it connection=" << connection_;
    });
  }

  void Close(absl::Status status) override {
    DCHECK(loop_->IsInLoopThread());
    writer_.Finish(ToGrpcStatus(status));
  }

 private:
  using Writer = StreamWriteQueue<MasterMessage, grpc::Status>;

  AgentStream(EventLoop* loop, const CoreSlot* slot, std::shared_ptr<ReadBudget> budget,
              uint64_t connection, size_t capacity)
      : loop_(loop),
        slot_(slot),
        budget_(std::move(budget)),
        connection_(connection),
        writer_(
            capacity, [this](const MasterMessage* message) { StartMessageWrite(*message); },
            [this](const grpc::Status& status) { FinishCall(status); },
            ToGrpcStatus(absl::ResourceExhaustedError("agent too slow: outbound queue full")),
            grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"), grpc::Status::CANCELLED,
            [this](MasterMessage& batch, MasterMessage& next) {
              return ack_batches_.load(std::memory_order_relaxed) &&
                     MergeAcknowledgement(batch, next);
            }) {}

  // The writer's thread (the loop, or gRPC's after a completion); one write
  // at a time, so out_ is free until OnWriteDone.
  void StartMessageWrite(const MasterMessage& message) {
    out_ = SerializeRaw(message);
    StartWrite(&out_);
  }

  // Loop thread: the agent's registration says whether it takes
  // ACKNOWLEDGEMENTS (whatever the core then decides about it).
  void NoteCapabilities(const AgentMessage& message) {
    bool batches = false;
    if (message.type() == AgentMessage::REGISTER) {
      batches = message.register_().accepts_acknowledgement_batches();
    } else if (message.type() == AgentMessage::REREGISTER) {
      batches = message.reregister().accepts_acknowledgement_batches();
    } else {
      return;
    }
    ack_batches_.store(batches, std::memory_order_relaxed);
  }

  // Loop thread: hands the stream to the serving core. While an elected
  // master recovers its registry, the stream waits (unread) in the slot's
  // hold and attaches the moment the core is installed, instead of sending
  // the agent into backoff; a refusal closes it.
  void Attach(bool may_hold) {
    if (closing()) {  // Gone while held: the core never knew it.
      disconnected_ = true;
      return;
    }
    absl::Status refusal;
    MasterCore* core = slot_->Serving(&refusal);
    if (core == nullptr) {
      if (may_hold && slot_->HoldUntilServing([stream = self_](const absl::Status& status) {
            if (status.ok()) {
              stream->Attach(/*may_hold=*/false);
            } else {
              stream->disconnected_ = true;
              stream->Close(status);
            }
          })) {
        return;
      }
      disconnected_ = true;  // The core never knew it.
      Close(refusal);
      return;
    }
    generation_ = slot_->generation();
    core->OnAgentConnected(connection_, self_);
    // A core that is shutting down (stepped down) closes the stream at
    // once; then no read starts.
    if (!closing()) {
      std::lock_guard<std::mutex> lock(read_mu_);
      StartReadLocked();
    }
  }

  // Loop thread.
  bool closing() const { return done_ || cancelled_ || writer_.closing(); }

  // Any thread; read_mu_ held. No read may start once Finish was called.
  void StartReadLocked() {
    if (finish_called_) return;
    StartRead(&in_);
  }

  // Any thread (the writer calls it once, outside its own lock).
  void FinishCall(const grpc::Status& status) {
    {
      std::lock_guard<std::mutex> lock(read_mu_);
      finish_called_ = true;
    }
    Finish(status);
  }

  // Wakes a stream parked on the shared budget (on the loop, from another
  // stream's handled message). False if it did not start a read.
  ReadBudget::Resume ResumeReading() const {
    return [weak = weak_self_] {
      std::shared_ptr<AgentStream> stream = weak.lock();
      if (stream == nullptr) return false;
      std::lock_guard<std::mutex> lock(stream->read_mu_);
      if (!stream->read_paused_ || stream->finish_called_ || stream->unhandled_ >= kMaxUnhandled) {
        return false;
      }
      stream->read_paused_ = false;
      stream->StartReadLocked();
      return true;
    };
  }

  // gRPC thread: post the message, then read ahead unless the loop is
  // kMaxUnhandled messages of this stream, or the budget's of all, behind.
  void OnReadDone(bool ok) override {
    if (!ok) {
      loop_->PostBulk([this] {
        NotifyDisconnected();
        Close(absl::OkStatus());
      });
      return;
    }
    AgentMessage message;
    absl::Status parsed = ParseRaw(in_, kMethod, &message);
    const size_t entries = EntriesOf(message);
    std::lock_guard<std::mutex> lock(read_mu_);
    ++unhandled_;  // Before the loop can handle (and count) it.
    budget_->Take(entries);
    loop_->PostBulk([this, parsed, entries, message = std::move(message)]() mutable {
      HandleMessage(parsed, std::move(message), entries);
    });
    if (!parsed.ok()) return;  // The loop ends the stream.
    if (unhandled_ < kMaxUnhandled && budget_->MayRead(ResumeReading())) {
      StartReadLocked();
    } else {
      read_paused_ = true;
    }
  }

  // Takes the message (the core moves a status update's status on).
  void HandleMessage(const absl::Status& parsed, AgentMessage message, size_t entries) {
    if (!closing()) {
      if (parsed.ok()) NoteCapabilities(message);
      MasterCore* core = slot_->Of(generation_);
      absl::Status status =
          !parsed.ok()      ? parsed
          : core != nullptr ? core->OnAgentMessage(connection_, std::move(message))
                            : absl::UnavailableError("the master serving this stream stepped down");
      if (!status.ok()) {
        LOG(WARNING) << "Closing agent stream connection=" << connection_ << ": " << status;
        NotifyDisconnected();
        Close(status);
      }
    }
    {
      std::lock_guard<std::mutex> lock(read_mu_);
      --unhandled_;
      if (read_paused_ && !closing() && budget_->MayRead(ResumeReading())) {
        read_paused_ = false;
        StartReadLocked();
      }
    }
    budget_->Return(entries);  // Outside read_mu_: it may resume another stream.
  }

  void OnWriteDone(bool ok) override { writer_.OnWriteDone(ok); }

  void OnCancel() override {
    writer_.Cancel();
    loop_->PostBulk([this] {
      cancelled_ = true;
      NotifyDisconnected();
    });
  }

  void OnDone() override {
    loop_->PostBulk([this] {
      done_ = true;
      NotifyDisconnected();
      self_.reset();  // May delete this.
    });
  }

  void NotifyDisconnected() {
    if (disconnected_) return;
    disconnected_ = true;
    if (MasterCore* core = slot_->Of(generation_)) core->OnAgentDisconnected(connection_);
  }

  EventLoop* loop_;
  const CoreSlot* slot_;
  const std::shared_ptr<ReadBudget> budget_;
  std::weak_ptr<AgentStream> weak_self_;  // Set at creation, then read only.
  uint64_t generation_ = 0;
  uint64_t connection_;
  // Set on the loop, read by the writer's merge on any thread.
  std::atomic<bool> ack_batches_{false};
  grpc::ByteBuffer out_;  // Owned by the write in flight.
  Writer writer_;

  // The read side, shared by gRPC's read completions and the loop.
  std::mutex read_mu_;
  grpc::ByteBuffer in_;  // Owned by the read in flight.
  int unhandled_ = 0;
  bool read_paused_ = false;
  bool finish_called_ = false;

  // Loop-owned.
  bool done_ = false;
  bool cancelled_ = false;
  bool disconnected_ = false;
  std::shared_ptr<AgentStream> self_;
};

}  // namespace

AgentChannelService::AgentChannelService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity)
    : loop_(loop),
      slot_(slot),
      queue_capacity_(queue_capacity),
      read_budget_(std::make_shared<ReadBudget>(kMaxUnhandledAll)) {
  MarkMethodRawCallback(MethodIndex("agora.internal.AgentChannel", "Connect"),
                        NewRawBidiHandler([this](grpc::CallbackServerContext*) {
                          auto stream = AgentStream::Create(loop_, slot_, read_budget_,
                                                            next_connection_++, queue_capacity_);
                          return stream.get();
                        }));
}

}  // namespace agora::master
