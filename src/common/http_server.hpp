// HttpServer: a small HTTP/1.1 server (Boost.Beast) for /health, /metrics,
// /state and similar read-only endpoints.
//
// It runs its own io_context on its own thread, so a slow client or a large
// response never stalls a daemon's event loop. Handlers run on that thread;
// a handler that needs loop-owned state posts to the loop and waits for the
// result (and serializes it on the HTTP thread). Only GET (and HEAD) are
// served; unknown paths get 404. One request per connection (the response
// carries "Connection: close"), bounded request size, and a read timeout.
// Non-200 responses carry their reason in the body. Every socket it opens,
// listening or accepted, is close-on-exec from its creation, so processes
// the daemon spawns never inherit its port.
#ifndef AGORA_COMMON_HTTP_SERVER_HPP_
#define AGORA_COMMON_HTTP_SERVER_HPP_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace agora {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse()>;

  // Binds ip:port (0 = ephemeral) and starts serving `routes` (exact paths,
  // query strings ignored).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& ip, int port,
                                                           std::map<std::string, Handler> routes);
  ~HttpServer();

  int port() const;
  // Stops accepting, closes connections and joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace agora

#endif  // AGORA_COMMON_HTTP_SERVER_HPP_
