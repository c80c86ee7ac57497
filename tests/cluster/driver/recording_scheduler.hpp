// RecordingScheduler: a Scheduler that records every callback as a line of
// text and every update, for tests. Optional hooks let a test act inside a
// callback (e.g. launch on offers). Thread-safe reads from the test thread.
#ifndef AGORA_TESTS_CLUSTER_DRIVER_RECORDING_SCHEDULER_HPP_
#define AGORA_TESTS_CLUSTER_DRIVER_RECORDING_SCHEDULER_HPP_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agora/scheduler.hpp"

namespace agora::testing {

class RecordingScheduler : public Scheduler {
 public:
  std::function<void(SchedulerDriver*, const std::vector<v1::Offer>&)> on_offers;
  std::function<void(SchedulerDriver*, const v1::TaskStatus&)> on_update;

  void registered(SchedulerDriver*, const v1::FrameworkID& id, const v1::MasterInfo& m) override {
    Record(absl::StrCat("registered ", id.value(), " ", m.address()));
  }
  void reregistered(SchedulerDriver*, const v1::MasterInfo& m) override {
    Record(absl::StrCat("reregistered ", m.address()));
  }
  void disconnected(SchedulerDriver*) override { Record("disconnected"); }
  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override {
    Record(absl::StrCat("offers ", offers.size()));
    if (on_offers) on_offers(driver, offers);
  }
  void offerRescinded(SchedulerDriver*, const v1::OfferID& id) override {
    Record(absl::StrCat("rescinded ", id.value()));
  }
  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      updates_.push_back(status);
    }
    Record(
        absl::StrCat("update ", status.task_id().value(), " ", v1::TaskState_Name(status.state())));
    if (on_update) on_update(driver, status);
  }
  void frameworkMessage(SchedulerDriver*, const v1::ExecutorID& e, const v1::AgentID& a,
                        const std::string& data) override {
    Record(absl::StrCat("message ", e.value(), " ", a.value(), " ", data));
  }
  void agentLost(SchedulerDriver*, const v1::AgentID& a) override {
    Record(absl::StrCat("agent_lost ", a.value()));
  }
  void executorLost(SchedulerDriver*, const v1::ExecutorID& e, const v1::AgentID& a,
                    int status) override {
    Record(absl::StrCat("executor_lost ", e.value(), " ", a.value(), " ", status));
  }
  void error(SchedulerDriver*, const std::string& message) override {
    Record(absl::StrCat("error ", message));
  }
  void callFailed(SchedulerDriver*, const std::string& call, const std::string& message) override {
    Record(absl::StrCat("call_failed ", call, " ", message));
  }

  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<v1::TaskStatus> updates() const {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }
  // Number of recorded events starting with `prefix`.
  int Count(const std::string& prefix) const {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const std::string& e : events_) n += e.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }
  // Waits until at least `n` events start with `prefix`.
  bool WaitFor(const std::string& prefix, int n = 1, absl::Duration timeout = absl::Seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, deadline, [&] {
      int count = 0;
      for (const std::string& e : events_) count += e.rfind(prefix, 0) == 0 ? 1 : 0;
      return count >= n;
    });
  }

 private:
  void Record(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(line));
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::vector<v1::TaskStatus> updates_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_CLUSTER_DRIVER_RECORDING_SCHEDULER_HPP_
