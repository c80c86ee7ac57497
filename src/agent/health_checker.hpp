// HealthChecker: runs one command task's health check on the agent's loop
// and hands the policy's decisions to the agent.
//
// Owner: the task's ExecutorRecord (the agent's built-in command executor);
// created when the task is RUNNING (or recovered running after an agent
// restart), destroyed when the task ends or is killed. Thread: the loop;
// timers come from the EventLoop, so tests drive it on a manual loop. One
// check runs at a time: the next is scheduled `interval` after the previous
// result (HealthPolicy). Destroying the checker cancels its timer; the result
// of a check still in flight is then ignored (the probe itself still ends
// within its timeout).
#ifndef AGORA_AGENT_HEALTH_CHECKER_HPP_
#define AGORA_AGENT_HEALTH_CHECKER_HPP_

#include <functional>
#include <memory>

#include "agent/health_policy.hpp"
#include "agent/health_probes.hpp"
#include "common/event_loop.hpp"

namespace agora::agent {

class HealthChecker {
 public:
  // Starts one check that may take at most `timeout`; calls `done` on the
  // loop exactly once.
  using RunCheck = std::function<void(absl::Duration timeout, ProbeDone done)>;
  // A decision with a report or a kill (never one with neither). The
  // checker stops by itself after a kill; the callback may destroy it.
  using DecisionFn = std::function<void(const HealthDecision& decision)>;

  HealthChecker(EventLoop& loop, HealthPolicy policy, RunCheck run, DecisionFn on_decision);
  ~HealthChecker();

  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Arms the first check (at the policy's FirstCheckAt). Loop thread.
  void Start();
  // No more checks and no more decisions (the task is being killed or has
  // ended). Loop thread; callable from the decision callback.
  void Stop();

  const HealthPolicy& policy() const { return policy_; }

 private:
  void Arm(absl::Time at);
  void RunNow();
  void OnResult(const HealthResult& result);

  EventLoop& loop_;
  HealthPolicy policy_;
  RunCheck run_;
  DecisionFn on_decision_;
  TimerId timer_ = 0;
  bool stopped_ = false;
  // Results of checks in flight reach this checker only while it lives.
  std::shared_ptr<HealthChecker*> self_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_HEALTH_CHECKER_HPP_
