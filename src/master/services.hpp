// The master's gRPC services: thin adapters that post every call to the
// master's loop, run it on the MasterCore that serves now (CoreSlot; when
// none does, the slot's refusal: UNAVAILABLE with a LeaderRedirect) and hand
// the result back to gRPC. Constructed by Master; they hold raw pointers to
// the loop and slot, which outlive the gRPC server (shut down first).
// Implementations: scheduler_service.cpp, operator_service.cpp,
// agent_channel.cpp.
#ifndef AGORA_MASTER_SERVICES_HPP_
#define AGORA_MASTER_SERVICES_HPP_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "agora/internal/agent_master.grpc.pb.h"
#include "agora/v1/master.grpc.pb.h"
#include "agora/v1/scheduler.grpc.pb.h"
#include "common/event_loop.hpp"
#include "common/raw_methods.hpp"
#include "master/core_slot.hpp"
#include "master/query_pool.hpp"

namespace agora::master {

class ReadBudget;

// Every method is registered raw (common/raw_methods.hpp) and parsed here,
// so a request whose bytes do not parse answers INVALID_ARGUMENT naming the
// method instead of gRPC's empty UNIMPLEMENTED; the typed virtual methods of
// the generated base are never called.
class SchedulerService : public v1::Scheduler::CallbackService {
 public:
  SchedulerService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity);

 private:
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartSubscribe(const v1::SubscribeRequest& request);
  // Registers `handler` (see service_calls.hpp) for `method`.
  void Serve(const char* method, grpc::internal::MethodHandler* handler);

  EventLoop* loop_;
  CoreSlot* slot_;
  size_t queue_capacity_;
};

// One bidirectional stream per agent, registered raw: a message that does
// not parse ends the stream with INVALID_ARGUMENT naming it.
class AgentChannelService : public internal::AgentChannel::CallbackService {
 public:
  AgentChannelService(EventLoop* loop, CoreSlot* slot, size_t queue_capacity);

 private:
  EventLoop* loop_;
  CoreSlot* slot_;
  size_t queue_capacity_;
  std::shared_ptr<ReadBudget> read_budget_;  // Shared by every agent stream.
  std::atomic<uint64_t> next_connection_{1};
};

// Registered raw like SchedulerService.
class OperatorService : public v1::MasterOperator::CallbackService {
 public:
  // `watch_queue`: events a Watch subscriber may fall behind by.
  OperatorService(EventLoop* loop, CoreSlot* slot, std::map<std::string, std::string> flags,
                  size_t watch_queue);

 private:
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(const v1::WatchRequest& request);
  void Serve(const char* method, grpc::internal::MethodHandler* handler);
  // A state query (operator_service.cpp): `capture(core, request)` takes a
  // StateSnapshot on the loop; `build(snapshot, request, response)` makes
  // the response on the query pool, where it is serialized too.
  template <typename Request, typename Response, typename Capture, typename Build>
  grpc::internal::MethodHandler* FromSnapshot(const char* method, Capture capture, Build build);

  EventLoop* loop_;
  CoreSlot* slot_;
  std::map<std::string, std::string> flags_;
  size_t watch_queue_;
  // Builds and serializes the state queries' responses off the loop.
  QueryPool queries_{2};
};

}  // namespace agora::master

#endif  // AGORA_MASTER_SERVICES_HPP_
