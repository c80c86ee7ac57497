// ZkSession: a ZkClient on its own loop thread for system tests, with
// helpers that run a call on the loop and wait (with a deadline) for its
// result; ZkRegistry helpers (load, own, apply) on the same loop.
#ifndef AGORA_TESTS_SYSTEM_ZK_ZK_SESSION_HPP_
#define AGORA_TESTS_SYSTEM_ZK_ZK_SESSION_HPP_

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/asio_event_loop.hpp"
#include "common/zk_client.hpp"
#include "gtest/gtest.h"
#include "master/zk_registry.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

class ZkSession {
 public:
  ZkSession(const std::string& servers, absl::Duration timeout, const std::string& credentials = "")
      : loop_("zk-test") {
    loop_.Start();
    auto client = ZkClient::Connect(
        &loop_, servers, timeout,
        [this](ZkClient::Session state) {
          std::lock_guard<std::mutex> lock(mu_);
          states_.push_back(state);
          if (state == ZkClient::Session::kConnected && registry_) registry_->OnSessionConnected();
        },
        credentials);
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) client_ = std::move(*client);
  }
  // The registry goes before the client (the owner's contract).
  ~ZkSession() {
    RunOnLoop([this] {
      registry_.reset();
      client_.reset();
    });
    loop_.Stop();
  }

  void RunOnLoop(std::function<void()> fn) {
    std::atomic<bool> done{false};
    loop_.Post([&] {
      fn();
      done = true;
    });
    WaitFor([&] { return done.load(); }, absl::Seconds(30), absl::Milliseconds(1));
  }

  bool WaitState(ZkClient::Session state, int count = 1) {
    return WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return std::count(states_.begin(), states_.end(), state) >= count;
        },
        absl::Seconds(30), absl::Milliseconds(5));
  }

  // Starts a call on the loop and waits for the result it hands to `done`.
  template <typename Result, typename Start>
  Result Await(Start start, absl::Duration deadline = absl::Seconds(30)) {
    auto result = std::make_shared<std::pair<std::mutex, std::optional<Result>>>();
    RunOnLoop([&] {
      start([this, result](Result r) {
        EXPECT_TRUE(loop_.IsInLoopThread()) << "a ZooKeeper result ran off the loop";
        std::lock_guard<std::mutex> lock(result->first);
        result->second = std::move(r);
      });
    });
    bool arrived = WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(result->first);
          return result->second.has_value();
        },
        deadline, absl::Milliseconds(1));
    std::lock_guard<std::mutex> lock(result->first);
    if (!arrived) return Result(absl::DeadlineExceededError("no ZooKeeper answer"));
    return std::move(*result->second);
  }

  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     bool ephemeral = false, bool sequential = false) {
    return Await<absl::StatusOr<std::string>>(
        [&](auto done) { client_->Create(path, data, ephemeral, sequential, std::move(done)); });
  }
  absl::Status CreatePath(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->CreatePath(path, std::move(done)); });
  }
  absl::StatusOr<std::string> Get(const std::string& path, ZkClient::WatchFn watch = nullptr) {
    return Await<absl::StatusOr<std::string>>(
        [&](auto done) { client_->Get(path, watch, std::move(done)); });
  }
  absl::StatusOr<std::vector<std::string>> Children(const std::string& path,
                                                    ZkClient::WatchFn watch = nullptr) {
    return Await<absl::StatusOr<std::vector<std::string>>>(
        [&](auto done) { client_->GetChildren(path, watch, std::move(done)); });
  }
  absl::Status Delete(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->Delete(path, std::move(done)); });
  }
  absl::StatusOr<bool> Exists(const std::string& path) {
    return Await<absl::StatusOr<bool>>([&](auto done) { client_->Exists(path, std::move(done)); });
  }
  absl::Status Multi(std::vector<ZkOp> ops) {
    return Await<absl::Status>([&](auto done) { client_->Multi(std::move(ops), std::move(done)); });
  }

  // This session's election znode under `root` (the registry's fence).
  std::string JoinElection(const std::string& root) {
    EXPECT_TRUE(CreatePath(root + "/election").ok());
    auto made = Create(root + "/election/member_", "{}", true, true);
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : "";
  }

  absl::StatusOr<internal::Registry> Load(const std::string& root) {
    return Await<absl::StatusOr<internal::Registry>>(
        [&](auto done) { master::ZkRegistry::Load(client_.get(), root, std::move(done)); });
  }
  // Loads and owns a registry fenced by `fence`.
  absl::Status OpenRegistry(const std::string& root, const std::string& fence) {
    auto loaded = Load(root);
    if (!loaded.ok()) return loaded.status();
    RunOnLoop([&] {
      registry_ = std::make_unique<master::ZkRegistry>(&loop_, client_.get(), root, fence,
                                                       std::move(*loaded));
    });
    return absl::OkStatus();
  }
  absl::Status Apply(std::vector<internal::Operation> ops,
                     absl::Duration deadline = absl::Seconds(30)) {
    return Await<absl::Status>(
        [&](auto done) { registry_->Apply(std::move(ops), std::move(done)); }, deadline);
  }

  // Destroys the registry on the loop (as a master stepping down does).
  void CloseRegistry() {
    RunOnLoop([this] { registry_.reset(); });
  }
  master::ZkRegistry* registry() { return registry_.get(); }
  ZkClient* client() { return client_.get(); }
  AsioEventLoop* loop() { return &loop_; }
  bool InLoop() const { return loop_.IsInLoopThread(); }

 private:
  AsioEventLoop loop_;
  std::unique_ptr<ZkClient> client_;
  std::unique_ptr<master::ZkRegistry> registry_;
  std::mutex mu_;
  std::vector<ZkClient::Session> states_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_ZK_ZK_SESSION_HPP_
