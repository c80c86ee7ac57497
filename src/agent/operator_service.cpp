// AgentOperatorService: each method registered raw, parsed here, its state
// read on the loop and its file or /proc work done on the service's pool.
#include "agent/operator_service.hpp"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/container_stats.hpp"
#include "agent/sandbox_files.hpp"
#include "common/ids.hpp"
#include "common/raw_methods.hpp"
#include "common/unary_calls.hpp"
#include "common/validation.hpp"

namespace agora::agent {
namespace {

constexpr char kService[] = "agora.v1.AgentOperator";

}  // namespace

absl::Status ValidateSandboxRequest(const v1::FrameworkID& framework_id,
                                    const v1::ExecutorID& executor_id, const v1::TaskID& task_id,
                                    const std::string& path) {
  if (task_id.value().empty() && (framework_id.value().empty() || executor_id.value().empty())) {
    return InvalidField("task_id",
                        "name the sandbox by a task_id, or by a framework_id and an executor_id");
  }
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"framework_id", &framework_id.value()},
        {"executor_id", &executor_id.value()},
        {"task_id", &task_id.value()}}) {
    if (value->empty()) continue;
    if (absl::Status valid = ValidateId(field, *value); !valid.ok()) return valid;
  }
  return ValidateSandboxPath(path);
}

template <typename Request, typename Response>
grpc::internal::MethodHandler* AgentOperatorService::InSandbox(const char* method,
                                                               SandboxIo<Request, Response> io) {
  return NewParsingUnaryHandler<Request, Response>(
      MethodPath(kService, method),
      [this, method, io](const Request& request, Response* response, UnaryDone done) {
        if (absl::Status valid = ValidateSandboxRequest(
                request.framework_id(), request.executor_id(), request.task_id(), request.path());
            !valid.ok()) {
          done(valid);
          return;
        }
        loop_->Post([this, method, io, &request, response, done = std::move(done)] {
          absl::StatusOr<std::string> sandbox =
              handler_->OperatorSandbox(request.framework_id().value(),
                                        request.executor_id().value(), request.task_id().value());
          if (!sandbox.ok()) {
            done(sandbox.status());
            return;
          }
          absl::Status queued =
              RunOffLoop(method, [io, &request, response, done, sandbox = *sandbox] {
                absl::StatusOr<Response> result = io(sandbox, request);
                if (result.ok()) *response = std::move(*result);
                done(result.status());
              });
          if (!queued.ok()) done(queued);
        });
      });
}

AgentOperatorService::AgentOperatorService(EventLoop* loop, AgentOperatorHandler* handler,
                                           std::map<std::string, std::string> flags,
                                           size_t io_threads, int max_pending_io)
    : loop_(loop),
      handler_(handler),
      flags_(std::move(flags)),
      io_("agent-files", io_threads),
      max_pending_io_(max_pending_io) {
  AgentOperatorHandler* h = handler_;
  Serve("GetHealth",
        OnLoop<v1::GetHealthRequest, v1::GetHealthResponse>(
            kService, "GetHealth", loop_, [h](const auto&, v1::GetHealthResponse* response) {
              *response = h->OperatorHealth();
              return absl::OkStatus();
            }));
  Serve("GetVersion", NewParsingUnaryHandler<v1::GetVersionRequest, v1::VersionInfo>(
                          MethodPath(kService, "GetVersion"),
                          [](const auto&, v1::VersionInfo* response, UnaryDone done) {
                            response->set_version(AGORA_VERSION_STRING);
                            done(absl::OkStatus());
                          }));
  Serve("GetFlags", NewParsingUnaryHandler<v1::GetFlagsRequest, v1::GetFlagsResponse>(
                        MethodPath(kService, "GetFlags"),
                        [this](const auto&, v1::GetFlagsResponse* response, UnaryDone done) {
                          for (const auto& [name, value] : flags_)
                            (*response->mutable_flags())[name] = value;
                          done(absl::OkStatus());
                        }));
  Serve("GetAgentState",
        OnLoop<v1::GetAgentStateRequest, v1::AgentState>(
            kService, "GetAgentState", loop_, [h](const auto&, v1::AgentState* response) {
              *response = h->OperatorState();
              return absl::OkStatus();
            }));
  Serve("GetContainers",
        NewParsingUnaryHandler<v1::GetContainersRequest, v1::GetContainersResponse>(
            MethodPath(kService, "GetContainers"),
            [this](const auto&, v1::GetContainersResponse* response, UnaryDone done) {
              loop_->Post([this, response, done = std::move(done)] {
                std::vector<LiveContainer> live = handler_->OperatorContainers();
                absl::Status queued = RunOffLoop("GetContainers", [live, response, done] {
                  for (v1::ContainerStatus& status : ContainerStatistics(live))
                    *response->add_containers() = std::move(status);
                  done(absl::OkStatus());
                });
                if (!queued.ok()) done(queued);
              });
            }));
  Serve("ReadFile", InSandbox<v1::ReadFileRequest, v1::ReadFileResponse>(
                        "ReadFile", [](const std::string& sandbox, const auto& request) {
                          return ReadSandboxFile(sandbox, request.path(), request.offset(),
                                                 request.length());
                        }));
  Serve("ListFiles", InSandbox<v1::ListFilesRequest, v1::ListFilesResponse>(
                         "ListFiles", [](const std::string& sandbox, const auto& request) {
                           return ListSandboxDirectory(sandbox, request.path());
                         }));
}

AgentOperatorService::~AgentOperatorService() { io_.Stop(); }

void AgentOperatorService::Serve(const char* method, grpc::internal::MethodHandler* handler) {
  MarkMethodRawCallback(MethodIndex(kService, method), handler);
}

absl::Status AgentOperatorService::RunOffLoop(const char* method, std::function<void()> work) {
  if (pending_io_.fetch_add(1) >= max_pending_io_) {
    pending_io_.fetch_sub(1);
    return absl::ResourceExhaustedError(
        absl::StrCat(MethodPath(kService, method), ": ", max_pending_io_,
                     " file and /proc requests are already queued on this agent; retry later"));
  }
  std::string key = std::to_string(next_key_.fetch_add(1));
  bool posted = io_.Post(key, [this, work = std::move(work)] {
    work();
    pending_io_.fetch_sub(1);
  });
  if (!posted) {
    pending_io_.fetch_sub(1);
    return absl::UnavailableError(
        absl::StrCat(MethodPath(kService, method), ": the agent is stopping"));
  }
  return absl::OkStatus();
}

}  // namespace agora::agent
