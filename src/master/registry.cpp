#include "master/registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora::master {
namespace {

// Bound of Registry.removed_frameworks.
constexpr int kMaxRemovedFrameworks = 1000;

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync", path);
  return absl::OkStatus();
}

}  // namespace

void ApplyOperation(const internal::Operation& op, internal::Registry* registry) {
  using internal::Operation;
  switch (op.type()) {
    case Operation::PUT_AGENT: {
      for (auto& agent : *registry->mutable_agents()) {
        if (agent.info().id().value() == op.agent().info().id().value()) {
          agent = op.agent();
          return;
        }
      }
      *registry->add_agents() = op.agent();
      return;
    }
    case Operation::REMOVE_AGENT: {
      auto* agents = registry->mutable_agents();
      for (int i = 0; i < agents->size(); ++i) {
        if (agents->Get(i).info().id().value() == op.agent_id().value()) {
          agents->DeleteSubrange(i, 1);
          return;
        }
      }
      return;
    }
    case Operation::PUT_FRAMEWORK: {
      for (auto& framework : *registry->mutable_frameworks()) {
        if (framework.info().id().value() == op.framework().info().id().value()) {
          framework = op.framework();
          return;
        }
      }
      *registry->add_frameworks() = op.framework();
      return;
    }
    case Operation::REMOVE_FRAMEWORK: {
      auto* frameworks = registry->mutable_frameworks();
      for (int i = 0; i < frameworks->size(); ++i) {
        if (frameworks->Get(i).info().id().value() == op.framework_id().value()) {
          frameworks->DeleteSubrange(i, 1);
          break;
        }
      }
      *registry->add_removed_frameworks() = op.framework_id();
      auto* removed = registry->mutable_removed_frameworks();
      if (removed->size() > kMaxRemovedFrameworks) {
        removed->DeleteSubrange(0, removed->size() - kMaxRemovedFrameworks);
      }
      return;
    }
    case Operation::PUT_QUOTA: {
      for (auto& quota : *registry->mutable_quotas()) {
        if (quota.role() == op.quota().role()) {
          quota = op.quota();
          return;
        }
      }
      *registry->add_quotas() = op.quota();
      return;
    }
    case Operation::REMOVE_QUOTA: {
      auto* quotas = registry->mutable_quotas();
      for (int i = 0; i < quotas->size(); ++i) {
        if (quotas->Get(i).role() == op.role()) {
          quotas->DeleteSubrange(i, 1);
          return;
        }
      }
      return;
    }
    case Operation::PUT_WEIGHT: {
      for (auto& weight : *registry->mutable_weights()) {
        if (weight.role() == op.weight().role()) {
          weight = op.weight();
          return;
        }
      }
      *registry->add_weights() = op.weight();
      return;
    }
    case Operation::BUMP_EPOCH:
      registry->set_epoch(registry->epoch() + 1);
      return;
    default:
      LOG(WARNING) << "Ignoring registry operation of unknown type " << op.type();
  }
}

absl::Status AtomicWriteFile(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", tmp);
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto status = ErrnoError("write", tmp);
      ::close(fd);
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto status = ErrnoError("fsync", tmp);
    ::close(fd);
    return status;
  }
  if (::close(fd) != 0) return ErrnoError("close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("rename", tmp);
  std::string dir = std::filesystem::path(path).parent_path().string();
  return FsyncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

LocalRegistry::LocalRegistry(EventLoop* loop, std::string work_dir)
    : loop_(loop),
      dir_(work_dir + "/registry"),
      path_(dir_ + "/registry.pb"),
      writer_([this] { WriterMain(); }) {}

LocalRegistry::~LocalRegistry() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

absl::StatusOr<internal::Registry> LocalRegistry::Recover() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", dir_, ": ", ec.message()));
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    LOG(INFO) << "No registry at " << path_ << "; starting empty";
    state_.Clear();
    return state_;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  internal::Registry loaded;
  if (!loaded.ParseFromString(buffer.str())) {
    return absl::DataLossError(absl::StrCat("registry file ", path_, " is corrupt"));
  }
  state_ = loaded;
  LOG(INFO) << "Recovered registry from " << path_ << ": agents=" << state_.agents_size()
            << " frameworks=" << state_.frameworks_size() << " epoch=" << state_.epoch();
  return state_;
}

void LocalRegistry::Apply(std::vector<internal::Operation> operations, Callback done) {
  for (const auto& op : operations) ApplyOperation(op, &state_);
  std::string bytes = state_.SerializeAsString();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_bytes_ = std::move(bytes);
    has_pending_ = true;
    pending_callbacks_.push_back(std::move(done));
  }
  cv_.notify_all();
}

void LocalRegistry::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return (!has_pending_ && !writing_) || stopping_; });
}

void LocalRegistry::WriterMain() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return has_pending_ || stopping_; });
    if (!has_pending_) return;  // Stopping with nothing left to write.
    // Coalesce: everything applied so far goes out in one write.
    std::string bytes = std::move(pending_bytes_);
    std::vector<Callback> callbacks = std::move(pending_callbacks_);
    pending_callbacks_.clear();
    has_pending_ = false;
    writing_ = true;
    lock.unlock();
    absl::Status status = AtomicWriteFile(path_, bytes);
    if (!status.ok()) LOG(ERROR) << "Registry write failed: " << status;
    for (auto& callback : callbacks) {
      if (callback) loop_->Post([callback = std::move(callback), status] { callback(status); });
    }
    lock.lock();
    writing_ = false;
    cv_.notify_all();
  }
}

}  // namespace agora::master
