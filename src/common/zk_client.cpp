#include "common/zk_client.hpp"

#include <sys/stat.h>
#include <zookeeper/zookeeper.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace agora {

struct ZkClient::Shared {
  EventLoop* loop = nullptr;
  SessionFn on_session;
  zhandle_t* zh = nullptr;
  std::atomic<bool> alive{true};
  std::string user;  // Digest user name ("" without credentials), for logs.
  // The ACL of every node this client creates.
  const ACL_vector* acl = &ZOO_OPEN_ACL_UNSAFE;
  ACL creator_acl_entries[2];
  ACL_vector creator_acl{2, creator_acl_entries};

  struct Watch {
    std::shared_ptr<Shared> shared;
    WatchFn fn;
  };
  std::mutex mu;  // Guards `watches` (ZooKeeper's thread and the owner).
  std::set<Watch*> watches;

  // Posts `fn` to the loop; it runs only while the client lives.
  static void Post(const std::shared_ptr<Shared>& shared, std::function<void()> fn) {
    shared->loop->Post([shared, fn = std::move(fn)] {
      if (shared->alive.load()) fn();
    });
  }
};

namespace {

absl::Status ZkError(int rc, const std::string& what, const std::string& path) {
  const std::string message = absl::StrCat("zookeeper ", what, " ", path, ": ", zerror(rc));
  if (rc == ZNONODE) return absl::NotFoundError(message);
  if (rc == ZNODEEXISTS) return absl::AlreadyExistsError(message);
  if (rc == ZBADVERSION || rc == ZNOTEMPTY) return absl::FailedPreconditionError(message);
  if (rc == ZNOAUTH || rc == ZAUTHFAILED) {
    return absl::PermissionDeniedError(absl::StrCat(
        message, " (the node's ACL refuses this client: check the ZooKeeper credentials)"));
  }
  if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZCLOSING ||
      rc == ZINVALIDSTATE)
    return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// What a completion needs: the client's shared state, the path (for
// errors) and the owner's callback.
template <typename Done>
struct Call {
  std::shared_ptr<ZkClient::Shared> shared;
  std::string path;
  Done done;
};

void SessionWatcher(zhandle_t*, int type, int state, const char*, void* context) {
  if (type != ZOO_SESSION_EVENT) return;
  auto* shared = static_cast<ZkClient::Shared*>(context);
  if (state == ZOO_AUTH_FAILED_STATE) {
    LOG(ERROR) << "ZooKeeper rejected the credentials of user=" << shared->user
               << "; the session is over";
  }
  ZkClient::Session session =
      state == ZOO_CONNECTED_STATE ? ZkClient::Session::kConnected
      : (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE)
          ? ZkClient::Session::kExpired
          : ZkClient::Session::kConnecting;
  // The global watcher's context is a raw pointer: it is valid until
  // zookeeper_close returns, which the destructor waits for.
  shared->loop->Post([loop_shared = shared, session] {
    if (loop_shared->alive.load() && loop_shared->on_session) loop_shared->on_session(session);
  });
}

void NodeWatcher(zhandle_t*, int type, int, const char*, void* context) {
  // Session events reach node watchers too; the watch stays armed for them.
  if (type == ZOO_SESSION_EVENT) return;
  auto* watch = static_cast<ZkClient::Shared::Watch*>(context);
  std::shared_ptr<ZkClient::Shared> shared = watch->shared;
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->watches.erase(watch);
  }
  ZkClient::WatchFn fn = std::move(watch->fn);
  delete watch;
  if (fn) ZkClient::Shared::Post(shared, std::move(fn));
}

ZkClient::Shared::Watch* NewWatch(const std::shared_ptr<ZkClient::Shared>& shared,
                                  ZkClient::WatchFn fn) {
  if (!fn) return nullptr;
  auto* watch = new ZkClient::Shared::Watch{shared, std::move(fn)};
  std::lock_guard<std::mutex> lock(shared->mu);
  shared->watches.insert(watch);
  return watch;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZkClient>> ZkClient::Connect(EventLoop* loop,
                                                            const std::string& servers,
                                                            absl::Duration session_timeout,
                                                            SessionFn on_session,
                                                            const std::string& credentials) {
  if (servers.empty()) return absl::InvalidArgumentError("zookeeper servers: empty");
  size_t colon = credentials.find(':');
  if (!credentials.empty() && (colon == std::string::npos || colon == 0)) {
    return absl::InvalidArgumentError(
        "zookeeper credentials: expected 'user:password' (no user name before ':')");
  }
  static std::once_flag quiet;
  // The C client logs every reconnect attempt at INFO to stderr.
  std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
  auto shared = std::make_shared<Shared>();
  shared->loop = loop;
  shared->on_session = std::move(on_session);
  if (!credentials.empty()) {
    shared->user = credentials.substr(0, colon);
    shared->creator_acl_entries[0] = {ZOO_PERM_ALL, ZOO_AUTH_IDS};
    shared->creator_acl_entries[1] = {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE};
    shared->acl = &shared->creator_acl;
  }
  // The C client's own messages (connection refused, reconnects) go to glog
  // instead of stderr: an outage is a recoverable anomaly, hence WARNING.
  auto log_to_glog = [](const char* message) { LOG(WARNING) << "zookeeper client: " << message; };
  shared->zh = zookeeper_init2(servers.c_str(), SessionWatcher,
                               static_cast<int>(absl::ToInt64Milliseconds(session_timeout)),
                               nullptr, shared.get(), 0, log_to_glog);
  if (shared->zh == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("zookeeper: cannot create a client for ", servers, ": ", strerror(errno)));
  }
  if (!credentials.empty()) {
    // The C client keeps the credentials and sends them again after every
    // reconnect. `shared` outlives the completion (zookeeper_close joins).
    auto auth_done = [](int rc, const void* context) {
      if (rc == ZOK) return;
      LOG(ERROR) << "ZooKeeper digest authentication of user="
                 << static_cast<const Shared*>(context)->user << " failed: " << zerror(rc);
    };
    int rc = zoo_add_auth(shared->zh, "digest", credentials.data(),
                          static_cast<int>(credentials.size()), auth_done, shared.get());
    if (rc != ZOK) {
      zookeeper_close(shared->zh);
      return absl::UnavailableError(absl::StrCat("zookeeper: cannot add the credentials of user '",
                                                 shared->user, "': ", zerror(rc)));
    }
  }
  return std::unique_ptr<ZkClient>(new ZkClient(std::move(shared)));
}

ZkClient::~ZkClient() {
  shared_->alive = false;
  zookeeper_close(shared_->zh);  // Joins the client's threads.
  std::lock_guard<std::mutex> lock(shared_->mu);
  for (Shared::Watch* watch : shared_->watches) delete watch;
  shared_->watches.clear();
}

absl::Duration ZkClient::negotiated_timeout() const {
  return absl::Milliseconds(zoo_recv_timeout(shared_->zh));
}

ZkClient::Session ZkClient::session() const {
  int state = zoo_state(shared_->zh);
  if (state == ZOO_CONNECTED_STATE) return Session::kConnected;
  if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE)
    return Session::kExpired;
  return Session::kConnecting;
}

void ZkClient::Create(const std::string& path, const std::string& data, bool ephemeral,
                      bool sequential, std::function<void(absl::StatusOr<std::string>)> done) {
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  auto* call = new Call<Done>{shared_, path, std::move(done)};
  int mode = (ephemeral ? ZOO_EPHEMERAL : 0) | (sequential ? ZOO_SEQUENCE : 0);
  auto completion = [](int rc, const char* value, const void* context) {
    std::unique_ptr<Call<Done>> call(static_cast<Call<Done>*>(const_cast<void*>(context)));
    absl::StatusOr<std::string> result =
        rc == ZOK ? absl::StatusOr<std::string>(std::string(value ? value : ""))
                  : absl::StatusOr<std::string>(ZkError(rc, "create", call->path));
    Shared::Post(call->shared, [done = std::move(call->done), result] { done(result); });
  };
  int rc = zoo_acreate(shared_->zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                       shared_->acl, mode, completion, call);
  if (rc != ZOK) {
    std::unique_ptr<Call<Done>> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done), status = ZkError(rc, "create", path)] {
      done(status);
    });
  }
}

void ZkClient::CreatePath(const std::string& path, std::function<void(absl::Status)> done) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  auto prefixes = std::make_shared<std::vector<std::string>>();
  std::string prefix;
  for (const std::string& part : parts) prefixes->push_back(prefix += "/" + part);
  auto step = std::make_shared<std::function<void(size_t)>>();
  *step = [this, prefixes, step, done = std::move(done)](size_t i) {
    if (i == prefixes->size()) {
      done(absl::OkStatus());
      return;
    }
    Create((*prefixes)[i], "", false, false, [step, i, done](absl::StatusOr<std::string> made) {
      if (!made.ok() && !absl::IsAlreadyExists(made.status())) {
        done(made.status());
        return;
      }
      (*step)(i + 1);
    });
  };
  (*step)(0);
}

void ZkClient::Get(const std::string& path, WatchFn watch,
                   std::function<void(absl::StatusOr<std::string>)> done) {
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  auto* call = new Call<Done>{shared_, path, std::move(done)};
  Shared::Watch* armed = NewWatch(shared_, std::move(watch));
  auto completion = [](int rc, const char* value, int length, const Stat*, const void* context) {
    std::unique_ptr<Call<Done>> call(static_cast<Call<Done>*>(const_cast<void*>(context)));
    absl::StatusOr<std::string> result =
        rc == ZOK ? absl::StatusOr<std::string>(
                        value != nullptr && length > 0 ? std::string(value, length) : std::string())
                  : absl::StatusOr<std::string>(ZkError(rc, "get", call->path));
    Shared::Post(call->shared, [done = std::move(call->done), result] { done(result); });
  };
  int rc =
      zoo_awget(shared_->zh, path.c_str(), armed ? NodeWatcher : nullptr, armed, completion, call);
  if (rc != ZOK) {
    std::unique_ptr<Call<Done>> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done), status = ZkError(rc, "get", path)] {
      done(status);
    });
  }
}

void ZkClient::GetChildren(const std::string& path, WatchFn watch,
                           std::function<void(absl::StatusOr<std::vector<std::string>>)> done) {
  using Done = std::function<void(absl::StatusOr<std::vector<std::string>>)>;
  auto* call = new Call<Done>{shared_, path, std::move(done)};
  Shared::Watch* armed = NewWatch(shared_, std::move(watch));
  auto completion = [](int rc, const String_vector* strings, const void* context) {
    std::unique_ptr<Call<Done>> call(static_cast<Call<Done>*>(const_cast<void*>(context)));
    absl::StatusOr<std::vector<std::string>> result = ZkError(rc, "get children", call->path);
    if (rc == ZOK) {
      std::vector<std::string> names;
      for (int i = 0; strings != nullptr && i < strings->count; ++i)
        names.emplace_back(strings->data[i]);
      result = std::move(names);
    }
    Shared::Post(call->shared, [done = std::move(call->done), result] { done(result); });
  };
  int rc = zoo_awget_children(shared_->zh, path.c_str(), armed ? NodeWatcher : nullptr, armed,
                              completion, call);
  if (rc != ZOK) {
    std::unique_ptr<Call<Done>> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done),
                           status = ZkError(rc, "get children", path)] { done(status); });
  }
}

void ZkClient::Delete(const std::string& path, std::function<void(absl::Status)> done) {
  using Done = std::function<void(absl::Status)>;
  auto* call = new Call<Done>{shared_, path, std::move(done)};
  auto completion = [](int rc, const void* context) {
    std::unique_ptr<Call<Done>> call(static_cast<Call<Done>*>(const_cast<void*>(context)));
    absl::Status status = rc == ZOK ? absl::OkStatus() : ZkError(rc, "delete", call->path);
    Shared::Post(call->shared, [done = std::move(call->done), status] { done(status); });
  };
  int rc = zoo_adelete(shared_->zh, path.c_str(), -1, completion, call);
  if (rc != ZOK) {
    std::unique_ptr<Call<Done>> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done), status = ZkError(rc, "delete", path)] {
      done(status);
    });
  }
}

void ZkClient::Exists(const std::string& path, std::function<void(absl::StatusOr<bool>)> done) {
  using Done = std::function<void(absl::StatusOr<bool>)>;
  auto* call = new Call<Done>{shared_, path, std::move(done)};
  auto completion = [](int rc, const Stat*, const void* context) {
    std::unique_ptr<Call<Done>> call(static_cast<Call<Done>*>(const_cast<void*>(context)));
    absl::StatusOr<bool> result = rc == ZOK       ? absl::StatusOr<bool>(true)
                                  : rc == ZNONODE ? absl::StatusOr<bool>(false)
                                                  : ZkError(rc, "exists", call->path);
    Shared::Post(call->shared, [done = std::move(call->done), result] { done(result); });
  };
  int rc = zoo_aexists(shared_->zh, path.c_str(), 0, completion, call);
  if (rc != ZOK) {
    std::unique_ptr<Call<Done>> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done), status = ZkError(rc, "exists", path)] {
      done(status);
    });
  }
}

ZkOp ZkOp::Check(std::string path, int version) {
  return ZkOp{Type::kCheck, std::move(path), "", version};
}
ZkOp ZkOp::Create(std::string path, std::string data) {
  return ZkOp{Type::kCreate, std::move(path), std::move(data), -1};
}
ZkOp ZkOp::Set(std::string path, std::string data, int version) {
  return ZkOp{Type::kSet, std::move(path), std::move(data), version};
}
ZkOp ZkOp::Delete(std::string path, int version) {
  return ZkOp{Type::kDelete, std::move(path), "", version};
}

namespace {

const char* OpName(ZkOp::Type type) {
  switch (type) {
    case ZkOp::Type::kCheck:
      return "check";
    case ZkOp::Type::kCreate:
      return "create";
    case ZkOp::Type::kSet:
      return "set";
    case ZkOp::Type::kDelete:
      return "delete";
  }
  return "?";
}

// A multi in flight: the C client fills `results` (and the create path
// buffers and stats) on its completion thread, so all of it lives until then.
struct MultiCall {
  std::shared_ptr<ZkClient::Shared> shared;
  std::vector<ZkOp> ops;
  std::vector<zoo_op_t> zoo_ops;
  std::vector<zoo_op_result_t> results;
  std::vector<Stat> stats;
  std::vector<std::vector<char>> created;
  std::function<void(absl::Status)> done;
};

// The status of a finished multi: the first op whose result is an error of
// its own (the ops after it report ZRUNTIMEINCONSISTENCY: rolled back).
absl::Status MultiStatus(int rc, const MultiCall& call) {
  if (rc == ZOK) return absl::OkStatus();
  // A lost connection or session is no op's fault (and may have committed).
  const bool connection = rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT ||
                          rc == ZSESSIONEXPIRED || rc == ZCLOSING || rc == ZINVALIDSTATE;
  for (size_t i = 0; i < call.results.size(); ++i) {
    int err = call.results[i].err;
    if (connection || err == ZOK || err == ZRUNTIMEINCONSISTENCY) continue;
    return ZkError(err, absl::StrCat("multi op ", i, " (", OpName(call.ops[i].type), ")"),
                   call.ops[i].path);
  }
  return ZkError(rc, absl::StrCat("multi of ", call.ops.size(), " ops starting at"),
                 call.ops.empty() ? "" : call.ops.front().path);
}

}  // namespace

void ZkClient::Multi(std::vector<ZkOp> ops, std::function<void(absl::Status)> done) {
  if (ops.empty()) {
    Shared::Post(shared_, [done = std::move(done)] { done(absl::OkStatus()); });
    return;
  }
  auto* call = new MultiCall{shared_, std::move(ops), {}, {}, {}, {}, std::move(done)};
  const size_t n = call->ops.size();
  call->zoo_ops.resize(n);
  call->results.assign(n, zoo_op_result_t{ZOK, nullptr, 0, nullptr});
  call->stats.resize(n);
  call->created.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const ZkOp& op = call->ops[i];
    zoo_op_t* zoo_op = &call->zoo_ops[i];
    const int length = static_cast<int>(op.data.size());
    switch (op.type) {
      case ZkOp::Type::kCheck:
        zoo_check_op_init(zoo_op, op.path.c_str(), op.version);
        break;
      case ZkOp::Type::kCreate:
        call->created[i].resize(op.path.size() + 16);
        zoo_create_op_init(zoo_op, op.path.c_str(), op.data.data(), length, shared_->acl, 0,
                           call->created[i].data(), static_cast<int>(call->created[i].size()));
        break;
      case ZkOp::Type::kSet:
        zoo_set_op_init(zoo_op, op.path.c_str(), op.data.data(), length, op.version,
                        &call->stats[i]);
        break;
      case ZkOp::Type::kDelete:
        zoo_delete_op_init(zoo_op, op.path.c_str(), op.version);
        break;
    }
  }
  auto completion = [](int rc, const void* context) {
    std::unique_ptr<MultiCall> call(static_cast<MultiCall*>(const_cast<void*>(context)));
    absl::Status status = MultiStatus(rc, *call);
    Shared::Post(call->shared, [done = std::move(call->done), status] { done(status); });
  };
  int rc = zoo_amulti(shared_->zh, static_cast<int>(n), call->zoo_ops.data(), call->results.data(),
                      completion, call);
  if (rc != ZOK) {
    std::unique_ptr<MultiCall> owned(call);
    Shared::Post(shared_, [done = std::move(owned->done),
                           status = ZkError(rc, absl::StrCat("multi of ", n, " ops"),
                                            owned->ops.front().path)] { done(status); });
  }
}

absl::StatusOr<std::pair<std::string, std::string>> ParseZkUrl(const std::string& field,
                                                               const std::string& url) {
  constexpr absl::string_view kScheme = "zk://";
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", url, "' ", why, " (expected zk://host:port[,host:port]/path)"));
  };
  if (!absl::StartsWith(url, kScheme)) return bad("does not start with zk://");
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) return bad("has no path");
  std::string servers = rest.substr(0, slash);
  std::string path = rest.substr(slash);
  if (servers.empty()) return bad("names no server");
  for (absl::string_view server : absl::StrSplit(servers, ',')) {
    size_t colon = server.rfind(':');
    if (server.empty() || colon == absl::string_view::npos || colon == 0 ||
        colon + 1 == server.size())
      return bad(absl::StrCat("has a server '", server, "' without host:port"));
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return std::make_pair(servers, path);
}

absl::StatusOr<std::string> ReadZkCredentials(const std::string& path) {
  const std::string what = absl::StrCat("zookeeper credentials file ", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string reason = absl::StrCat(what, ": cannot read: ", std::strerror(errno));
    if (errno == ENOENT) return absl::NotFoundError(reason);
    if (errno == EACCES) return absl::PermissionDeniedError(reason);
    return absl::FailedPreconditionError(reason);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": is empty"));
  if (text.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": has more than one line (expected one line 'user:password')"));
  }
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected one line 'user:password' (no user name before ':')"));
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    LOG(WARNING) << what << " may be read by group or others (mode " << std::oct
                 << (info.st_mode & 0777) << std::dec << "); chmod 600 it";
  }
  return text;
}

}  // namespace agora
