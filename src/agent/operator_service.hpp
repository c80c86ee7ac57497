// AgentOperatorService: the agent's operator API (AgentOperator in
// proto/agora/v1/agent.proto) -- health, version, flags, state, containers
// and the files of executor sandboxes (`agora logs`).
//
// A thin adapter, registered raw like the master's services
// (common/raw_methods.hpp: a request that does not parse answers
// INVALID_ARGUMENT naming the method). State is read on the agent's loop
// through AgentOperatorHandler; file I/O and /proc scans never run there:
// they run on the service's own small pool, with at most
// `max_pending_io` requests queued or running (RESOURCE_EXHAUSTED beyond).
//
// Owner: the agent, which shuts the gRPC server down before destroying the
// service (the destructor runs the pool's queued work, then joins it).
#ifndef AGORA_AGENT_OPERATOR_SERVICE_HPP_
#define AGORA_AGENT_OPERATOR_SERVICE_HPP_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/container_stats.hpp"
#include "agent/work_queue.hpp"
#include "agora/v1/agent.grpc.pb.h"
#include "common/event_loop.hpp"

namespace agora::agent {

// Implemented by the agent; every method runs on the agent's loop.
class AgentOperatorHandler {
 public:
  virtual ~AgentOperatorHandler() = default;
  // healthy: checkpoints are durable; leader_address: the master the agent
  // is registered with ("" while it is not).
  virtual v1::GetHealthResponse OperatorHealth() = 0;
  virtual v1::AgentState OperatorState() = 0;
  // One per executor or command task whose process runs.
  virtual std::vector<LiveContainer> OperatorContainers() = 0;
  // The sandbox directory a ReadFile/ListFiles request names: by `task_id`
  // (narrowed by `framework_id` if set), else by `framework_id` +
  // `executor_id`. Live and completed tasks both count. NOT_FOUND naming the
  // field for an unknown task or executor.
  virtual absl::StatusOr<std::string> OperatorSandbox(const std::string& framework_id,
                                                      const std::string& executor_id,
                                                      const std::string& task_id) = 0;
};

class AgentOperatorService : public v1::AgentOperator::CallbackService {
 public:
  // `flags`: what GetFlags reports (name -> effective value).
  AgentOperatorService(EventLoop* loop, AgentOperatorHandler* handler,
                       std::map<std::string, std::string> flags, size_t io_threads = 2,
                       int max_pending_io = 64);
  ~AgentOperatorService() override;

  AgentOperatorService(const AgentOperatorService&) = delete;
  AgentOperatorService& operator=(const AgentOperatorService&) = delete;

 private:
  void Serve(const char* method, grpc::internal::MethodHandler* handler);
  // The blocking part of a sandbox call, run on the pool.
  template <typename Request, typename Response>
  using SandboxIo =
      std::function<absl::StatusOr<Response>(const std::string& sandbox, const Request& request)>;
  // A parsing handler that validates the request's ids and path (on the
  // gRPC thread), finds the sandbox (on the loop) and runs `io` (off it).
  template <typename Request, typename Response>
  grpc::internal::MethodHandler* InSandbox(const char* method, SandboxIo<Request, Response> io);
  // Runs `work` on the pool unless `max_pending_io` requests wait already
  // (then RESOURCE_EXHAUSTED naming `method`).
  absl::Status RunOffLoop(const char* method, std::function<void()> work);

  EventLoop* loop_;
  AgentOperatorHandler* handler_;
  std::map<std::string, std::string> flags_;
  WorkPool io_;
  const int max_pending_io_;
  std::atomic<int> pending_io_{0};
  std::atomic<uint64_t> next_key_{0};
};

// Request validation, exposed for tests: the ids (when set) and the
// lexical form of `path` (INVALID_ARGUMENT naming the field).
absl::Status ValidateSandboxRequest(const v1::FrameworkID& framework_id,
                                    const v1::ExecutorID& executor_id, const v1::TaskID& task_id,
                                    const std::string& path);

}  // namespace agora::agent

#endif  // AGORA_AGENT_OPERATOR_SERVICE_HPP_
