// Unary handlers shared by the daemons' gRPC services (the master's
// scheduler and operator services, the agent's operator service): each
// method is registered raw (common/raw_methods.hpp, so an unparsable request
// gets INVALID_ARGUMENT) and answered on the daemon's loop or at once.
#ifndef AGORA_COMMON_UNARY_CALLS_HPP_
#define AGORA_COMMON_UNARY_CALLS_HPP_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/event_loop.hpp"
#include "common/raw_methods.hpp"

namespace agora {

// "/<service>/<method>", the gRPC path that names a call in errors.
inline std::string MethodPath(absl::string_view service, absl::string_view method) {
  return absl::StrCat("/", service, "/", method);
}

// A parsing unary handler that runs `fn(request, response)` (returning
// absl::Status) on `loop`.
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

}  // namespace agora

#endif  // AGORA_COMMON_UNARY_CALLS_HPP_
