// ExecutorService: the agent's implementation of the v1 Executor gRPC
// service (Subscribe, Update, Message).
//
// A thin adapter: it validates each request on the gRPC thread (errors name
// the field) and posts it to the agent's loop through ExecutorHandler. The
// reply to Update is sent only when the handler calls `reply`, i.e. after
// the update is on disk.
#ifndef AGORA_AGENT_EXECUTOR_SERVICE_HPP_
#define AGORA_AGENT_EXECUTOR_SERVICE_HPP_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "agora/v1/executor.grpc.pb.h"
#include "common/event_loop.hpp"
#include "common/server_event_stream.hpp"

namespace agora::agent {

using ExecutorStream = ServerEventStream<v1::ExecutorEvent>;
using ReplyFn = std::function<void(const absl::Status&)>;

// Implemented by the agent; every method runs on its loop.
class ExecutorHandler {
 public:
  virtual ~ExecutorHandler() = default;
  virtual void OnExecutorSubscribe(const v1::ExecutorSubscribeRequest& request,
                                   std::shared_ptr<ExecutorStream> stream) = 0;
  virtual void OnExecutorUpdate(const v1::ExecutorUpdateRequest& request, ReplyFn reply) = 0;
  virtual void OnExecutorMessage(const v1::ExecutorMessageRequest& request, ReplyFn reply) = 0;
};

class ExecutorService : public v1::Executor::CallbackService {
 public:
  ExecutorService(EventLoop* loop, ExecutorHandler* handler) : loop_(loop), handler_(handler) {}

  grpc::ServerWriteReactor<v1::ExecutorEvent>* Subscribe(
      grpc::CallbackServerContext* context, const v1::ExecutorSubscribeRequest* request) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* context,
                                   const v1::ExecutorUpdateRequest* request,
                                   v1::ExecutorCallResponse* response) override;
  grpc::ServerUnaryReactor* Message(grpc::CallbackServerContext* context,
                                    const v1::ExecutorMessageRequest* request,
                                    v1::ExecutorCallResponse* response) override;

 private:
  EventLoop* loop_;
  ExecutorHandler* handler_;
};

// Request validation, exposed for tests. INVALID_ARGUMENT names the field.
absl::Status ValidateSubscribe(const v1::ExecutorSubscribeRequest& request);
absl::Status ValidateUpdate(const v1::ExecutorUpdateRequest& request);

}  // namespace agora::agent

#endif  // AGORA_AGENT_EXECUTOR_SERVICE_HPP_
