#include "agent/health_checker.hpp"

#include "glog/logging.h"

namespace agora::agent {

HealthChecker::HealthChecker(EventLoop& loop, HealthPolicy policy, RunCheck run,
                             DecisionFn on_decision)
    : loop_(loop),
      policy_(std::move(policy)),
      run_(std::move(run)),
      on_decision_(std::move(on_decision)),
      self_(std::make_shared<HealthChecker*>(this)) {}

HealthChecker::~HealthChecker() {
  *self_ = nullptr;
  Stop();
}

void HealthChecker::Start() {
  DCHECK(loop_.IsInLoopThread());
  Arm(policy_.FirstCheckAt());
}

void HealthChecker::Stop() {
  stopped_ = true;
  if (timer_ != 0) loop_.Cancel(timer_);
  timer_ = 0;
}

void HealthChecker::Arm(absl::Time at) {
  timer_ = loop_.RunAfter(at - loop_.Now(), [this] {
    timer_ = 0;
    RunNow();
  });
}

void HealthChecker::RunNow() {
  std::weak_ptr<HealthChecker*> self = self_;
  run_(policy_.settings().timeout, [self](HealthResult result) {
    auto alive = self.lock();
    if (alive && *alive != nullptr) (*alive)->OnResult(result);
  });
}

void HealthChecker::OnResult(const HealthResult& result) {
  if (stopped_) return;
  VLOG(1) << "Health check " << (result.ok ? "passed" : "failed") << ": " << result.what;
  HealthDecision decision = policy_.OnResult(loop_.Now(), result);
  if (decision.kill) {
    stopped_ = true;
  } else {
    Arm(decision.next_check);
  }
  // Last: the callback may destroy this checker.
  if (decision.kill || decision.report) on_decision_(decision);
}

}  // namespace agora::agent
