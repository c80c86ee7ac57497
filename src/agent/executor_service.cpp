#include "agent/executor_service.hpp"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.hpp"
#include "common/ids.hpp"
#include "common/validation.hpp"

namespace agora::agent {
namespace {

// Executor streams carry few events; a backlog this deep means the executor
// stopped reading.
constexpr size_t kExecutorStreamCapacity = 1024;

absl::Status ValidateIds(const v1::FrameworkID& framework_id, const v1::ExecutorID& executor_id) {
  if (auto status = ValidateId("framework_id.value", framework_id.value()); !status.ok())
    return status;
  return ValidateId("executor_id.value", executor_id.value());
}

}  // namespace

absl::Status ValidateSubscribe(const v1::ExecutorSubscribeRequest& request) {
  if (auto status = ValidateIds(request.framework_id(), request.executor_id()); !status.ok())
    return status;
  for (int i = 0; i < request.unacknowledged_tasks_size(); ++i) {
    if (auto status = ValidateId(SubField(IndexedField("unacknowledged_tasks", i), "task_id.value"),
                                 request.unacknowledged_tasks(i).task_id().value());
        !status.ok())
      return status;
  }
  for (int i = 0; i < request.unacknowledged_updates_size(); ++i) {
    const auto& update = request.unacknowledged_updates(i);
    std::string field = IndexedField("unacknowledged_updates", i);
    if (auto status = ValidateId(SubField(field, "task_id.value"), update.task_id().value());
        !status.ok())
      return status;
    if (update.uuid().size() != 16)
      return InvalidField(SubField(field, "uuid"), "must be 16 bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidateUpdate(const v1::ExecutorUpdateRequest& request) {
  if (auto status = ValidateIds(request.framework_id(), request.executor_id()); !status.ok())
    return status;
  const v1::TaskStatus& status = request.status();
  if (auto s = ValidateId("status.task_id.value", status.task_id().value()); !s.ok()) return s;
  if (status.uuid().size() != 16) return InvalidField("status.uuid", "must be 16 bytes");
  if (!v1::TaskState_IsValid(status.state()) || status.state() == v1::TASK_STATE_UNSPECIFIED)
    return InvalidField("status.state", "must be a valid task state");
  if (status.state() == v1::TASK_STAGING || status.state() == v1::TASK_ERROR ||
      status.state() == v1::TASK_DROPPED || status.state() == v1::TASK_UNREACHABLE ||
      status.state() == v1::TASK_GONE || status.state() == v1::TASK_GONE_BY_OPERATOR ||
      status.state() == v1::TASK_UNKNOWN) {
    return InvalidField("status.state", absl::StrCat(v1::TaskState_Name(status.state()),
                                                     " cannot be sent by an executor"));
  }
  if (status.message().size() > 64 * 1024)
    return InvalidField("status.message", "longer than 65536 bytes");
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::ExecutorEvent>* ExecutorService::Subscribe(
    grpc::CallbackServerContext* context, const v1::ExecutorSubscribeRequest* request) {
  auto stream = ExecutorStream::Create(loop_, kExecutorStreamCapacity);
  absl::Status valid = ValidateSubscribe(*request);
  loop_->Post([this, stream, valid, request = *request] {
    if (!valid.ok()) {
      stream->Finish(ToGrpcStatus(valid));
      return;
    }
    handler_->OnExecutorSubscribe(request, stream);
  });
  return stream->reactor();
}

grpc::ServerUnaryReactor* ExecutorService::Update(grpc::CallbackServerContext* context,
                                                  const v1::ExecutorUpdateRequest* request,
                                                  v1::ExecutorCallResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status valid = ValidateUpdate(*request); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  loop_->Post([this, reactor, request = *request] {
    handler_->OnExecutorUpdate(
        request, [reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); });
  });
  return reactor;
}

grpc::ServerUnaryReactor* ExecutorService::Message(grpc::CallbackServerContext* context,
                                                   const v1::ExecutorMessageRequest* request,
                                                   v1::ExecutorCallResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status valid = ValidateIds(request->framework_id(), request->executor_id());
      !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  if (request->data().size() > 4 * 1024 * 1024) {
    reactor->Finish(ToGrpcStatus(InvalidField("data", "larger than 4 MiB")));
    return reactor;
  }
  loop_->Post([this, reactor, request = *request] {
    handler_->OnExecutorMessage(
        request, [reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); });
  });
  return reactor;
}

}  // namespace agora::agent
