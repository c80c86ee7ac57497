// Master: an embeddable agora-master (standalone mode).
//
// Start() takes `<work_dir>/master.lock` (a second master on the same work
// dir fails with an error naming the holder's pid), loads the registry from
// options.work_dir, binds the HTTP server (/health, /ready, /metrics,
// /state) on options.http_port and the gRPC server (Scheduler,
// AgentChannel, MasterOperator) on options.ip:options.port, and only then
// starts the event loop that owns all master state and makes the first
// registry write. If a registry write fails later the master steps down: it
// closes every stream, answers UNAVAILABLE, reports /health 503 and calls
// options.on_step_down (agora-master exits non-zero from there). Port 0
// picks an ephemeral port; address() and http_port() report what was bound.
// Stop() (also run by the destructor) closes every stream, shuts the servers
// down, joins the loop and releases the work dir.
//
// Thread-safety: Start/Stop from one controlling thread; the accessors are
// safe from any thread. This header includes no gRPC headers.
#ifndef AGORA_MASTER_MASTER_HPP_
#define AGORA_MASTER_MASTER_HPP_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "master/master_options.hpp"

namespace agora::master {

class Master {
 public:
  // Validates `options`, recovers the registry and starts serving.
  static absl::StatusOr<std::unique_ptr<Master>> Start(MasterOptions options);

  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // "127.0.0.1:PORT" (options.ip, or 127.0.0.1 for a wildcard ip) of the
  // gRPC server.
  std::string address() const;
  int port() const;
  // Bound HTTP port; -1 when the HTTP server is disabled.
  int http_port() const;
  // This master's id (random per process).
  std::string id() const;

  // Stops serving and releases the work dir lock. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit Master(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_MASTER_HPP_
