#include "master/zk_registry.hpp"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/zk_layout.hpp"
#include "glog/logging.h"

namespace agora::master {
namespace {

namespace layout = zk_registry_layout;
using internal::Operation;

// ZooKeeper refuses requests above jute.maxbuffer (1 MiB by default): a
// batch stays under half of it; a single Apply() above ~1000 KiB fails.
constexpr size_t kMaxBatchBytes = 512 * 1024;
constexpr size_t kMaxWriteBytes = 1000 * 1024;
constexpr size_t kOpOverheadBytes = 64;  // Op header, version, ACL.
constexpr absl::Duration kFirstRetryDelay = absl::Milliseconds(50);
constexpr absl::Duration kMaxRetryDelay = absl::Seconds(1);
constexpr absl::string_view kSingleton = "-";  // The id of epoch / removed_frameworks.

// The records `op` touches, as (layout name, id).
std::vector<std::pair<absl::string_view, std::string>> KeysOf(const Operation& op) {
  switch (op.type()) {
    case Operation::PUT_AGENT:
      return {{layout::kAgents, op.agent().info().id().value()}};
    case Operation::REMOVE_AGENT:
      return {{layout::kAgents, op.agent_id().value()}};
    case Operation::PUT_FRAMEWORK:
      return {{layout::kFrameworks, op.framework().info().id().value()}};
    case Operation::REMOVE_FRAMEWORK:
      return {{layout::kFrameworks, op.framework_id().value()},
              {layout::kRemovedFrameworks, std::string(kSingleton)}};
    case Operation::PUT_QUOTA:
      return {{layout::kQuotas, op.quota().role()}};
    case Operation::REMOVE_QUOTA:
      return {{layout::kQuotas, op.role()}};
    case Operation::PUT_WEIGHT:
      return {{layout::kWeights, op.weight().role()}};
    case Operation::BUMP_EPOCH:
      return {{layout::kEpoch, std::string(kSingleton)}};
    default:
      return {};
  }
}

template <typename Records, typename IdOf>
std::optional<std::string> Find(const Records& records, const std::string& id, IdOf id_of) {
  for (const auto& record : records) {
    if (id_of(record) == id) return record.SerializeAsString();
  }
  return std::nullopt;
}

template <typename Record>
std::optional<std::string> SerializedOrNone(const Record* record) {
  if (record == nullptr) return std::nullopt;
  return record->SerializeAsString();
}

}  // namespace

ZkRegistry::ZkRegistry(EventLoop* loop, ZkClient* zk, std::string root, std::string fence_path,
                       internal::Registry loaded)
    : loop_(loop),
      zk_(zk),
      dir_(zk_layout::RegistryPath(root)),
      fence_path_(std::move(fence_path)),
      state_(std::move(loaded)),
      retry_delay_(kFirstRetryDelay) {
  const internal::Registry& state = state_.registry();
  for (const auto& agent : state.agents())
    existing_.insert(PathOf({layout::kAgents, agent.info().id().value()}));
  for (const auto& framework : state.frameworks())
    existing_.insert(PathOf({layout::kFrameworks, framework.info().id().value()}));
  for (const auto& quota : state.quotas())
    existing_.insert(PathOf({layout::kQuotas, quota.role()}));
  for (const auto& weight : state.weights())
    existing_.insert(PathOf({layout::kWeights, weight.role()}));
  // Load() creates both singletons.
  existing_.insert(PathOf({layout::kEpoch, std::string(kSingleton)}));
  existing_.insert(PathOf({layout::kRemovedFrameworks, std::string(kSingleton)}));
}

ZkRegistry::~ZkRegistry() {
  *alive_ = false;
  if (retry_timer_ != 0) loop_->Cancel(retry_timer_);
}

absl::StatusOr<internal::Registry> ZkRegistry::Recover() { return state_.registry(); }

std::string ZkRegistry::PathOf(const Key& key) const {
  if (key.first == layout::kEpoch || key.first == layout::kRemovedFrameworks)
    return absl::StrCat(dir_, "/", key.first);
  return absl::StrCat(dir_, "/", key.first, "/", EscapeZnodeName(key.second));
}

std::optional<std::string> ZkRegistry::Content(const Key& key) const {
  const std::string& id = key.second;
  const internal::Registry& state = state_.registry();
  if (key.first == layout::kAgents) return SerializedOrNone(state_.FindAgent(id));
  if (key.first == layout::kFrameworks) return SerializedOrNone(state_.FindFramework(id));
  if (key.first == layout::kQuotas)
    return Find(state.quotas(), id, [](const auto& r) { return r.role(); });
  if (key.first == layout::kWeights)
    return Find(state.weights(), id, [](const auto& r) { return r.role(); });
  internal::Registry singleton;
  if (key.first == layout::kEpoch) singleton.set_epoch(state.epoch());
  if (key.first == layout::kRemovedFrameworks)
    *singleton.mutable_removed_frameworks() = state.removed_frameworks();
  return singleton.SerializeAsString();
}

void ZkRegistry::Apply(std::vector<internal::Operation> operations, Callback done) {
  DCHECK(loop_->IsInLoopThread());
  if (failed_) {
    Finish({std::move(done)}, *failed_);
    return;
  }
  for (const Operation& op : operations) {
    for (const Key& key : KeysOf(op)) {
      if (key.second.empty()) {
        Finish({std::move(done)}, absl::InvalidArgumentError(absl::StrCat(
                                      "registry operation ", Operation::Type_Name(op.type()),
                                      ": empty ", key.first, " id or role")));
        return;
      }
    }
  }
  // Operations that change nothing are not written (agents re-registering
  // with an unchanged record after a failover: 10,000 at once at fleet
  // scale). An Apply() left with none completes at once when nothing is in
  // flight, else after the writes queued before it.
  operations = state_.ApplyChanges(std::move(operations));
  if (operations.empty() && !sending_) {
    Finish({std::move(done)}, absl::OkStatus());
    return;
  }
  std::vector<Key> keys;
  for (const Operation& op : operations) {
    for (Key& key : KeysOf(op)) keys.push_back(std::move(key));
  }
  Write write;
  write.done = std::move(done);
  for (const Key& key : keys) {
    std::string path = PathOf(key);
    if (write.znodes.count(path) > 0) continue;
    std::optional<std::string> content = Content(key);
    write.bytes += path.size() + kOpOverheadBytes + (content ? content->size() : 0);
    write.znodes.emplace(std::move(path), std::move(content));
  }
  if (write.bytes > kMaxWriteBytes) {
    // State already holds the change: the registry cannot go on.
    queued_.push_back(std::move(write));
    Fail(absl::ResourceExhaustedError(
        absl::StrCat("registry write of ", queued_.back().bytes, " bytes (", operations.size(),
                     " operations) exceeds ZooKeeper's 1 MiB request limit")));
    return;
  }
  queued_.push_back(std::move(write));
  if (!sending_) SendNext();
}

void ZkRegistry::SendNext() {
  in_flight_.clear();
  in_flight_callbacks_.clear();
  if (queued_.empty() || failed_) {
    sending_ = false;
    return;
  }
  size_t bytes = 0;
  while (!queued_.empty() &&
         (in_flight_callbacks_.empty() || bytes + queued_.front().bytes <= kMaxBatchBytes)) {
    Write& write = queued_.front();
    bytes += write.bytes;
    for (auto& [path, content] : write.znodes) in_flight_[path] = std::move(content);
    in_flight_callbacks_.push_back(std::move(write.done));
    queued_.pop_front();
  }
  sending_ = true;
  retry_delay_ = kFirstRetryDelay;
  Send();
}

void ZkRegistry::Send() {
  std::vector<ZkOp> ops;
  ops.reserve(in_flight_.size() + 1);
  ops.push_back(ZkOp::Check(fence_path_, 0));
  for (const auto& [path, content] : in_flight_) {
    const bool exists = existing_.count(path) > 0;
    if (content) {
      ops.push_back(exists ? ZkOp::Set(path, *content) : ZkOp::Create(path, *content));
    } else if (exists) {
      ops.push_back(ZkOp::Delete(path));
    }
  }
  ++multis_sent_;
  VLOG(1) << "Registry multi ops=" << ops.size() << " applies=" << in_flight_callbacks_.size();
  zk_->Multi(std::move(ops), [this, alive = alive_](absl::Status status) {
    if (*alive) OnMultiDone(std::move(status));
  });
}

void ZkRegistry::OnMultiDone(absl::Status status) {
  if (failed_) return;
  if (status.ok()) {
    for (const auto& [path, content] : in_flight_) {
      if (content) {
        existing_.insert(path);
      } else {
        existing_.erase(path);
      }
    }
    std::vector<Callback> callbacks = std::move(in_flight_callbacks_);
    Finish(std::move(callbacks), absl::OkStatus());
    SendNext();
    return;
  }
  const bool expired = zk_->session() == ZkClient::Session::kExpired;
  if (absl::IsUnavailable(status) && !expired) {
    LOG(WARNING) << "Registry write of " << in_flight_.size()
                 << " znodes interrupted, retrying once the ZooKeeper session is connected: "
                 << status;
    ScheduleRetry();
    return;
  }
  const bool fenced =
      (absl::IsNotFound(status) || absl::IsFailedPrecondition(status)) &&
      absl::StrContains(status.message(), absl::StrCat("(check) ", fence_path_, ":"));
  if (fenced) {
    Fail(absl::FailedPreconditionError(
        absl::StrCat("registry write fenced: ", fence_path_,
                     " is gone; this master is no longer the leader (", status.message(), ")")));
  } else if (expired) {
    Fail(absl::UnavailableError(absl::StrCat(
        "registry write failed: the ZooKeeper session expired; this master is no longer the "
        "leader (",
        status.message(), ")")));
  } else {
    Fail(absl::Status(status.code(), absl::StrCat("registry write failed: ", status.message())));
  }
}

void ZkRegistry::OnSessionConnected() {
  if (retry_timer_ == 0) return;
  loop_->Cancel(retry_timer_);
  retry_timer_ = 0;
  Retry();
}

void ZkRegistry::ScheduleRetry() {
  retry_timer_ = loop_->RunAfter(retry_delay_, [this, alive = alive_] {
    if (!*alive) return;
    retry_timer_ = 0;
    Retry();
  });
  retry_delay_ = std::min(retry_delay_ * 2, kMaxRetryDelay);
}

void ZkRegistry::Retry() {
  if (failed_) return;
  const ZkClient::Session session = zk_->session();
  if (session == ZkClient::Session::kExpired) {
    Fail(absl::UnavailableError(
        "registry write failed: the ZooKeeper session expired; this master is no longer the "
        "leader"));
    return;
  }
  if (session != ZkClient::Session::kConnected) {
    ScheduleRetry();
    return;
  }
  if (in_flight_.empty()) {
    Send();  // Only the fence check: nothing to re-read.
    return;
  }
  // The interrupted multi may have committed: learn which touched znodes
  // exist now, then send the desired content again.
  struct Reread {
    size_t remaining;
    std::map<std::string, bool> present;
    absl::Status error;
  };
  auto reread = std::make_shared<Reread>(Reread{in_flight_.size(), {}, absl::OkStatus()});
  for (const auto& entry : in_flight_) {
    const std::string& path = entry.first;
    zk_->Exists(path, [this, alive = alive_, path, reread](absl::StatusOr<bool> exists) {
      if (!*alive) return;
      if (exists.ok()) {
        reread->present[path] = *exists;
      } else if (reread->error.ok()) {
        reread->error = exists.status();
      }
      if (--reread->remaining > 0 || failed_) return;
      if (!reread->error.ok()) {
        if (absl::IsUnavailable(reread->error) && zk_->session() != ZkClient::Session::kExpired) {
          ScheduleRetry();
        } else {
          Fail(absl::Status(reread->error.code(),
                            absl::StrCat("registry write failed: ", reread->error.message())));
        }
        return;
      }
      for (const auto& [znode, present] : reread->present) {
        if (present) {
          existing_.insert(znode);
        } else {
          existing_.erase(znode);
        }
      }
      LOG(INFO) << "Registry write of " << in_flight_.size() << " znodes sent again";
      Send();
    });
  }
}

void ZkRegistry::Fail(absl::Status status) {
  LOG(ERROR) << status;
  failed_ = status;
  if (retry_timer_ != 0) loop_->Cancel(retry_timer_);
  retry_timer_ = 0;
  std::vector<Callback> callbacks = std::move(in_flight_callbacks_);
  for (Write& write : queued_) callbacks.push_back(std::move(write.done));
  queued_.clear();
  in_flight_.clear();
  in_flight_callbacks_.clear();
  sending_ = false;
  Finish(std::move(callbacks), status);
}

void ZkRegistry::Finish(std::vector<Callback> callbacks, const absl::Status& status) {
  // Posted, not called: a callback may destroy the registry (step down).
  for (Callback& callback : callbacks) {
    if (!callback) continue;
    loop_->Post([alive = alive_, callback = std::move(callback), status] {
      if (*alive) callback(status);
    });
  }
}

}  // namespace agora::master
