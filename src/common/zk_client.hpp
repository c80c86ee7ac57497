// ZkClient: one ZooKeeper session (the C client, zookeeper_mt) whose every
// completion, watch and session change is posted to an EventLoop.
//
// No ZooKeeper callback touches the owner's state: the C client's
// completion thread copies the result and posts a closure; the closure runs
// on `loop` and is dropped if the ZkClient was destroyed meanwhile. Errors
// map to absl codes: NOT_FOUND (no node), ALREADY_EXISTS (node exists),
// FAILED_PRECONDITION (bad version / not empty), UNAVAILABLE (connection
// loss, operation timeout: retry after reconnect; or an expired session),
// INTERNAL otherwise, each naming the path.
//
// Session changes arrive through `on_session`: kConnected (also after a
// reconnect within the session timeout: ephemeral nodes survive), kConnecting
// (connection lost; the session may still be alive), kExpired (the session
// and its ephemeral nodes are gone: create a new ZkClient). Owner: one
// daemon component; loop thread only (except construction).
#ifndef AGORA_COMMON_ZK_CLIENT_HPP_
#define AGORA_COMMON_ZK_CLIENT_HPP_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_loop.hpp"

namespace agora {

class ZkClient {
 public:
  enum class Session { kConnecting, kConnected, kExpired };
  using SessionFn = std::function<void(Session)>;
  using WatchFn = std::function<void()>;

  // Starts a session with `servers` ("host:port,host:port"). Returns at once;
  // kConnected arrives through `on_session`. INVALID_ARGUMENT for an empty
  // server list, UNAVAILABLE if the client cannot be created.
  static absl::StatusOr<std::unique_ptr<ZkClient>> Connect(EventLoop* loop,
                                                           const std::string& servers,
                                                           absl::Duration session_timeout,
                                                           SessionFn on_session);
  // Closes the session (its ephemeral nodes go at once); pending callbacks
  // are dropped.
  ~ZkClient();

  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // The session timeout the server granted (0 until connected). Servers
  // clamp the requested value to [2, 20] x their tickTime.
  absl::Duration negotiated_timeout() const;

  // Creates `path` with `data`; `done` gets the created path (with the
  // sequence suffix for sequential nodes).
  void Create(const std::string& path, const std::string& data, bool ephemeral, bool sequential,
              std::function<void(absl::StatusOr<std::string>)> done);
  // Creates `path` and its missing parents as persistent empty nodes; an
  // existing node is not an error.
  void CreatePath(const std::string& path, std::function<void(absl::Status)> done);
  // The node's data; `watch` (optional) fires once when it changes or goes.
  void Get(const std::string& path, WatchFn watch,
           std::function<void(absl::StatusOr<std::string>)> done);
  // The node's children (names, unsorted); `watch` (optional) fires once
  // when the list changes or the node goes.
  void GetChildren(const std::string& path, WatchFn watch,
                   std::function<void(absl::StatusOr<std::vector<std::string>>)> done);
  // Deletes `path` (any version).
  void Delete(const std::string& path, std::function<void(absl::Status)> done);

  struct Shared;  // Outlives the client for callbacks still in flight.

 private:
  explicit ZkClient(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

// Splits "zk://h1:p1,h2:p2/path" into ("h1:p1,h2:p2", "/path");
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<std::pair<std::string, std::string>> ParseZkUrl(const std::string& field,
                                                               const std::string& url);

}  // namespace agora

#endif  // AGORA_COMMON_ZK_CLIENT_HPP_
