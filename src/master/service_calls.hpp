// Helpers shared by the master's gRPC services (scheduler, operator): each
// unary method is registered raw (common/raw_methods.hpp, so an unparsable
// request gets INVALID_ARGUMENT) and served on the master's loop.
// Private to the service .cpp files.
#ifndef AGORA_MASTER_SERVICE_CALLS_HPP_
#define AGORA_MASTER_SERVICE_CALLS_HPP_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/event_loop.hpp"
#include "common/raw_methods.hpp"
#include "master/core_slot.hpp"

namespace agora::master {

// "/<service>/<method>", the gRPC path that names a call in errors.
inline std::string MethodPath(absl::string_view service, absl::string_view method) {
  return absl::StrCat("/", service, "/", method);
}

// A parsing unary handler that runs `fn(core, request, response)` (returning
// absl::Status) on the loop with the core that serves now, or answers the
// slot's refusal.
template <typename Request, typename Response, typename Fn>
grpc::internal::MethodHandler* OnCore(absl::string_view service, absl::string_view method,
                                      EventLoop* loop, const CoreSlot* slot, Fn fn) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(service, method),
      [loop, slot, fn](const Request& request, Response* response, UnaryDone done) {
        loop->Post([slot, fn, &request, response, done = std::move(done)] {
          absl::Status refusal;
          MasterCore* core = slot->Serving(&refusal);
          done(core != nullptr ? fn(core, request, response) : refusal);
        });
      });
}

// A parsing unary handler that runs `fn(request, response)` on the loop,
// whether or not a core serves.
template <typename Request, typename Response, typename Fn>
grpc::internal::MethodHandler* OnLoop(absl::string_view service, absl::string_view method,
                                      EventLoop* loop, Fn fn) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(service, method),
      [loop, fn](const Request& request, Response* response, UnaryDone done) {
        loop->Post(
            [fn, &request, response, done = std::move(done)] { done(fn(request, response)); });
      });
}

// A parsing unary handler answered at once on the gRPC thread by
// `fn(request, response)` (for calls that touch no loop state).
template <typename Request, typename Response, typename Fn>
grpc::internal::MethodHandler* AtOnce(absl::string_view service, absl::string_view method, Fn fn) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(service, method), [fn](const Request& request, Response* response,
                                        UnaryDone done) { done(fn(request, response)); });
}

}  // namespace agora::master

#endif  // AGORA_MASTER_SERVICE_CALLS_HPP_
