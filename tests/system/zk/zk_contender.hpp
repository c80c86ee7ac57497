// ZkContender: a test's stand-in for a master in the ZooKeeper election
// (zk_layout.hpp): an ephemeral sequential member_ znode under
// /agora/election holding a MasterInfo JSON. Shared by the detector, agent
// and driver leader-change system tests.
#ifndef AGORA_TESTS_SYSTEM_ZK_ZK_CONTENDER_HPP_
#define AGORA_TESTS_SYSTEM_ZK_ZK_CONTENDER_HPP_

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/asio_event_loop.hpp"
#include "common/master_info_json.hpp"
#include "common/zk_client.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

inline constexpr char kElection[] = "/agora/election";

// A ZooKeeper session on its own loop standing in for one contending
// master (or an operator writing odd nodes): it joins the election under
// /agora as the master does. Destroying it closes the session.
class ZkContender {
 public:
  ZkContender(const std::string& servers, absl::Duration timeout) : loop_("fake-master") {
    loop_.Start();
    auto client = ZkClient::Connect(&loop_, servers, timeout, [this](ZkClient::Session state) {
      std::lock_guard<std::mutex> lock(mu_);
      states_.push_back(state);
    });
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) client_ = std::move(*client);
  }
  ~ZkContender() {
    RunOnLoop([this] { client_.reset(); });
    loop_.Stop();
  }

  bool WaitState(ZkClient::Session state, int count = 1) {
    return WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return std::count(states_.begin(), states_.end(), state) >= count;
        },
        absl::Seconds(30), absl::Milliseconds(5));
  }

  // Joins the election under /agora with `data`; the member's path.
  std::string Join(const std::string& data) {
    EXPECT_TRUE(Await<absl::Status>([&](auto done) {
                  client_->CreatePath(kElection, std::move(done));
                }).ok());
    auto made = Await<absl::StatusOr<std::string>>([&](auto done) {
      client_->Create(std::string(kElection) + "/member_", data, true, true, std::move(done));
    });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.value_or("");
  }
  std::string JoinAs(const std::string& id, const std::string& address) {
    v1::MasterInfo info;
    info.set_id(id);
    info.set_address(address);
    info.set_hostname("test");
    return Join(MasterInfoToJson(info));
  }
  absl::Status CreatePersistent(const std::string& path, const std::string& data) {
    return Await<absl::StatusOr<std::string>>(
               [&](auto done) { client_->Create(path, data, false, false, std::move(done)); })
        .status();
  }
  absl::Status Delete(const std::string& path) {
    return Await<absl::Status>([&](auto done) { client_->Delete(path, std::move(done)); });
  }

 private:
  void RunOnLoop(std::function<void()> fn) {
    std::atomic<bool> done{false};
    loop_.Post([&] {
      fn();
      done = true;
    });
    WaitFor([&] { return done.load(); }, absl::Seconds(10), absl::Milliseconds(1));
  }
  template <typename Result, typename Start>
  Result Await(Start start) {
    std::mutex mu;
    std::optional<Result> result;
    RunOnLoop([&] {
      start([&](Result r) {
        std::lock_guard<std::mutex> lock(mu);
        result = std::move(r);
      });
    });
    bool arrived = WaitFor(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return result.has_value();
        },
        absl::Seconds(30), absl::Milliseconds(1));
    std::lock_guard<std::mutex> lock(mu);
    if (!arrived) return Result(absl::DeadlineExceededError("no ZooKeeper answer"));
    return std::move(*result);
  }

  AsioEventLoop loop_;
  std::unique_ptr<ZkClient> client_;
  std::mutex mu_;
  std::vector<ZkClient::Session> states_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_ZK_ZK_CONTENDER_HPP_
