// ZkClient: one ZooKeeper session (the C client, zookeeper_mt) whose every
// completion, watch and session change is posted to an EventLoop.
//
// No ZooKeeper callback touches the owner's state: the C client's
// completion thread copies the result and posts a closure; the closure runs
// on `loop` and is dropped if the ZkClient was destroyed meanwhile. Errors
// map to absl codes: NOT_FOUND (no node), ALREADY_EXISTS (node exists),
// FAILED_PRECONDITION (bad version / not empty), UNAVAILABLE (connection
// loss, operation timeout: retry after reconnect; or an expired session),
// PERMISSION_DENIED (the node's ACL refuses this client: no or other
// credentials), INTERNAL otherwise, each naming the path.
//
// Credentials: a client given "user:password" authenticates with the
// `digest` scheme, and every node it creates gets the ACL "the creator
// (this digest identity) may do everything, anyone may read": any tool can
// read who leads, only clients with the same credentials can write. The
// digest scheme never rejects credentials: a wrong password is a different
// identity, which then gets PERMISSION_DENIED when it writes.
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

// One operation of ZkClient::Multi. Versions: -1 means any.
struct ZkOp {
  enum class Type { kCheck, kCreate, kSet, kDelete };
  Type type = Type::kCheck;
  std::string path;
  std::string data;  // kCreate, kSet.
  int version = -1;  // kCheck, kSet, kDelete.

  // Fails the multi unless `path` exists with data version `version`.
  static ZkOp Check(std::string path, int version);
  // Creates the persistent node `path` (its parent must exist).
  static ZkOp Create(std::string path, std::string data);
  static ZkOp Set(std::string path, std::string data, int version = -1);
  static ZkOp Delete(std::string path, int version = -1);
};

class ZkClient {
 public:
  enum class Session { kConnecting, kConnected, kExpired };
  using SessionFn = std::function<void(Session)>;
  using WatchFn = std::function<void()>;

  // Starts a session with `servers` ("host:port,host:port"). Returns at once;
  // kConnected arrives through `on_session`. `credentials` ("user:password",
  // optional) selects digest authentication and the creator-only-writes ACL
  // (see above). INVALID_ARGUMENT for an empty server list or credentials
  // without "user:", UNAVAILABLE if the client cannot be created. Rejected
  // authentication ends the session (kExpired, logged as an ERROR).
  static absl::StatusOr<std::unique_ptr<ZkClient>> Connect(EventLoop* loop,
                                                           const std::string& servers,
                                                           absl::Duration session_timeout,
                                                           SessionFn on_session,
                                                           const std::string& credentials = "");
  // Closes the session (its ephemeral nodes go at once); pending callbacks
  // are dropped.
  ~ZkClient();

  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // The session timeout the server granted (0 until connected). Servers
  // clamp the requested value to [2, 20] x their tickTime.
  absl::Duration negotiated_timeout() const;
  // The session's state right now (read from the C client; any thread).
  Session session() const;

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
  // Whether `path` exists.
  void Exists(const std::string& path, std::function<void(absl::StatusOr<bool>)> done);
  // Applies `ops` atomically: all or none. On failure the status names the
  // failing op (its index, kind and path) and the ZooKeeper error, mapped
  // like the single calls: "zookeeper multi op 0 (check /a/b): no node".
  // An empty `ops` succeeds at once.
  void Multi(std::vector<ZkOp> ops, std::function<void(absl::Status)> done);

  struct Shared;  // Outlives the client for callbacks still in flight.

 private:
  explicit ZkClient(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

// Splits "zk://h1:p1,h2:p2/path" into ("h1:p1,h2:p2", "/path");
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<std::pair<std::string, std::string>> ParseZkUrl(const std::string& field,
                                                               const std::string& url);

// Reads ZooKeeper credentials from `path`: one line "user:password" (a
// trailing newline is dropped). Errors name the file and the reason. Logs a
// WARNING if group or others may read the file.
absl::StatusOr<std::string> ReadZkCredentials(const std::string& path);

}  // namespace agora

#endif  // AGORA_COMMON_ZK_CLIENT_HPP_
