// Network health probes of command tasks: one TCP connect or one HTTP GET
// to 127.0.0.1, with a timeout, on an Asio io_context (the agent's loop: no
// thread per probe, nothing blocks). Each call starts one attempt; `done`
// runs exactly once, on the io_context's thread, with a result whose `what`
// names the check ("HTTP GET http://127.0.0.1:8080/health answered 503",
// "TCP connect to 127.0.0.1:9000: Connection refused", "... timed out after
// 20s"). An attempt owns its socket and timer; it ends (and closes both) at
// its result, or when the io_context is destroyed.
#ifndef AGORA_AGENT_HEALTH_PROBES_HPP_
#define AGORA_AGENT_HEALTH_PROBES_HPP_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "agent/health_policy.hpp"
#include "agora/v1/common.pb.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace agora::agent {

using ProbeDone = std::function<void(HealthResult)>;

// Healthy once a connection to 127.0.0.1:`port` is accepted.
void ProbeTcp(boost::asio::io_context& io, uint32_t port, absl::Duration timeout, ProbeDone done);

// Healthy when `GET http://127.0.0.1:<port><path>` answers with a status in
// [200, 399]. Plain HTTP only (validation refuses "https").
void ProbeHttp(boost::asio::io_context& io, const v1::HealthCheck::HTTPCheckInfo& http,
               absl::Duration timeout, ProbeDone done);

}  // namespace agora::agent

#endif  // AGORA_AGENT_HEALTH_PROBES_HPP_
