// OnCore for the master's gRPC services (scheduler, operator): a unary
// method served on the master's loop with the core that serves now (the
// generic OnLoop, AtOnce and MethodPath are in common/unary_calls.hpp).
// Private to the service .cpp files.
#ifndef AGORA_MASTER_SERVICE_CALLS_HPP_
#define AGORA_MASTER_SERVICE_CALLS_HPP_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/event_loop.hpp"
#include "common/raw_methods.hpp"
#include "common/unary_calls.hpp"
#include "master/core_slot.hpp"

namespace agora::master {

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

}  // namespace agora::master

#endif  // AGORA_MASTER_SERVICE_CALLS_HPP_
