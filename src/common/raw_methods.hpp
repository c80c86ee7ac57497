// Raw methods: gRPC methods registered with grpc::ByteBuffer in and out, so
// that a request whose bytes do not parse gets a real answer.
//
// Why: gRPC's callback API (1.51) answers a request that fails to
// deserialize with UNIMPLEMENTED and an empty message (CallbackUnaryHandler
// and CallbackServerStreamingHandler replace the service's reactor with an
// UnimplementedUnaryReactor when deserialization fails), the same answer as
// for a method the server does not have; a bidi stream sees such a message
// as the end of the stream. A service therefore re-registers its methods raw
// in its constructor (grpc::Service::MarkMethodRawCallback with the handlers
// made here), parses the bytes itself and answers INVALID_ARGUMENT naming
// the method and the message type (UnparsableError).
//
// Threading: the handlers run on gRPC threads; a UnaryDone may be called on
// any thread, exactly once. ParseRaw and SerializeRaw are pure.
#ifndef AGORA_COMMON_RAW_METHODS_HPP_
#define AGORA_COMMON_RAW_METHODS_HPP_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/grpc_status.hpp"
#include "glog/logging.h"

namespace agora {

// INVALID_ARGUMENT "<method>: the request could not be parsed as <type>"
// with a FieldViolation whose field is empty (the whole message is bad).
absl::Status UnparsableError(absl::string_view method, absl::string_view type_name);

// The index of `method` in the proto service `service` ("agora.v1.Scheduler"),
// as grpc::Service numbers its methods (declaration order). CHECK-fails if
// there is no such method: a programming error.
int MethodIndex(absl::string_view service, absl::string_view method);

// Parses `raw` (a message received for `method`) into `message`.
template <typename Message>
absl::Status ParseRaw(const grpc::ByteBuffer& raw, absl::string_view method, Message* message) {
  grpc::ByteBuffer copy(raw);  // Deserialize consumes its buffer.
  if (raw.Valid() && grpc::SerializationTraits<Message>::Deserialize(&copy, message).ok()) {
    return absl::OkStatus();
  }
  return UnparsableError(method, Message::descriptor()->full_name());
}

// Serializes `message` for a raw method.
template <typename Message>
grpc::ByteBuffer SerializeRaw(const Message& message) {
  grpc::ByteBuffer buffer;
  bool own_buffer = false;
  grpc::Status status =
      grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own_buffer);
  // Fails only past 2 GiB; the master never builds such a message.
  DCHECK(status.ok()) << status.error_message();
  return buffer;
}

// Completes a unary call: the response is sent when `status` is OK.
using UnaryDone = std::function<void(const absl::Status& status)>;

// A unary method on typed messages: fills `*response` and calls `done`,
// possibly later and on another thread. `request` and `response` stay valid
// until `done` runs.
template <typename Request, typename Response>
using TypedUnary = std::function<void(const Request& request, Response* response, UnaryDone done)>;

// A raw unary handler that parses the request as `Request` (answering
// UnparsableError when it does not parse) and serves it with `serve`.
// `method` names the call in errors ("/agora.v1.Scheduler/Accept").
template <typename Request, typename Response>
grpc::internal::MethodHandler* NewParsingUnaryHandler(std::string method,
                                                      TypedUnary<Request, Response> serve) {
  struct Call {
    Request request;
    Response response;
  };
  return new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
      [method = std::move(method), serve = std::move(serve)](
          grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
          grpc::ByteBuffer* raw_response) -> grpc::ServerUnaryReactor* {
        grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
        auto call = std::make_shared<Call>();
        if (absl::Status parsed = ParseRaw(*raw_request, method, &call->request); !parsed.ok()) {
          reactor->Finish(ToGrpcStatus(parsed));
          return reactor;
        }
        serve(call->request, &call->response,
              [call, reactor, raw_response](const absl::Status& status) {
                if (status.ok()) *raw_response = SerializeRaw(call->response);
                reactor->Finish(ToGrpcStatus(status));
              });
        return reactor;
      });
}

// `bytes` (a serialized message) as a ByteBuffer that owns them, without a
// copy: for a response built as bytes (GetState, state_wire.hpp).
grpc::ByteBuffer ByteBufferOf(std::string bytes);

// A unary method whose response is already serialized: fills `*response`
// (the response message's bytes, e.g. ByteBufferOf(...)) before calling
// `done` with OK, possibly later and on another thread; `request` and
// `response` stay valid until `done` runs.
template <typename Request>
using RawResponseUnary =
    std::function<void(const Request& request, grpc::ByteBuffer* response, UnaryDone done)>;

// A raw unary handler that parses the request as `Request` (answering
// UnparsableError when it does not parse) and serves it with `serve`, which
// writes the response bytes itself.
template <typename Request>
grpc::internal::MethodHandler* NewParsingRawResponseHandler(std::string method,
                                                            RawResponseUnary<Request> serve) {
  return new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
      [method = std::move(method), serve = std::move(serve)](
          grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request,
          grpc::ByteBuffer* raw_response) -> grpc::ServerUnaryReactor* {
        grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
        auto request = std::make_shared<Request>();
        if (absl::Status parsed = ParseRaw(*raw_request, method, request.get()); !parsed.ok()) {
          reactor->Finish(ToGrpcStatus(parsed));
          return reactor;
        }
        serve(*request, raw_response, [request, reactor](const absl::Status& status) {
          reactor->Finish(ToGrpcStatus(status));
        });
        return reactor;
      });
}

// A server-streaming reactor finished at once with a status.
class FinishedWriteReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FinishedWriteReactor(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

// Starts a server stream for a parsed request (which is valid only during
// the call).
template <typename Request>
using TypedServerStream = std::function<grpc::ServerWriteReactor<grpc::ByteBuffer>*(
    grpc::CallbackServerContext*, const Request& request)>;

// A raw server-streaming handler that parses the request as `Request`
// (finishing the stream with UnparsableError when it does not parse) and
// starts the stream with `start`, which writes serialized messages.
template <typename Request>
grpc::internal::MethodHandler* NewParsingServerStreamHandler(std::string method,
                                                             TypedServerStream<Request> start) {
  return new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
      [method = std::move(method), start = std::move(start)](
          grpc::CallbackServerContext* context,
          const grpc::ByteBuffer* raw_request) -> grpc::ServerWriteReactor<grpc::ByteBuffer>* {
        Request request;
        if (absl::Status parsed = ParseRaw(*raw_request, method, &request); !parsed.ok()) {
          return new FinishedWriteReactor(parsed);
        }
        return start(context, request);
      });
}

// A raw bidi handler: the reactor parses what it reads (ParseRaw) itself.
inline grpc::internal::MethodHandler* NewRawBidiHandler(
    std::function<
        grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*(grpc::CallbackServerContext*)>
        start) {
  return new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
      std::move(start));
}

}  // namespace agora

#endif  // AGORA_COMMON_RAW_METHODS_HPP_
