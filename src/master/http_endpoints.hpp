// The master's HTTP routes: /health (200 while the process serves; a leader
// also needs a writable registry), /ready (200 once recovered and leading),
// /metrics (Prometheus text; a master that is not leading exports only its
// election state) and /state (JSON of GetState; leader only). Non-200 answers carry the reason.
// Handlers run on the HTTP server's thread: they fetch a snapshot from the loop (waiting at most a
// few seconds) and render or serialize it there, never on the loop.
#ifndef AGORA_MASTER_HTTP_ENDPOINTS_HPP_
#define AGORA_MASTER_HTTP_ENDPOINTS_HPP_

#include <map>
#include <string>

#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "master/core_slot.hpp"

namespace agora::master {

std::map<std::string, HttpServer::Handler> MasterHttpRoutes(EventLoop* loop, const CoreSlot* slot);

// Renders the figures as Prometheus text.
std::string RenderMetrics(const MasterMetrics& metrics);

}  // namespace agora::master

#endif  // AGORA_MASTER_HTTP_ENDPOINTS_HPP_
