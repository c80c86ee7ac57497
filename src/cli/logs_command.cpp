// `agora logs TASK [--stderr] [-f] [--tail N]`: the master says which agent
// ran the task (GetTasks with completed tasks, then GetAgents for the
// agent's address); the agent's AgentOperator.ReadFile serves the file from
// the task's sandbox, 1 MiB at a time. -f polls every 250 ms from the last
// offset until the task is terminal and the file has stopped growing.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agora/v1/agent.grpc.pb.h"
#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "common/grpc_status.hpp"
#include "common/task_state.hpp"
#include "common/validation.hpp"

namespace agora::cli {
namespace {

constexpr uint64_t kChunk = 1 << 20;  // The agent's largest ReadFile answer.
constexpr auto kFollowInterval = std::chrono::milliseconds(250);
constexpr int kAgentTimeoutSeconds = 10;

int Fail(const std::string& message) {
  std::cerr << "agora: " << message << std::endl;
  return 1;
}

// ReadFile calls on one agent for one task's file.
class SandboxReader {
 public:
  SandboxReader(const std::string& address, const v1::Task& task, const std::string& path)
      : address_(address) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(4 * kChunk);
    stub_ = v1::AgentOperator::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    *request_.mutable_task_id() = task.task_id();
    *request_.mutable_framework_id() = task.framework_id();
    executor_id_ = task.executor_id();
    request_.set_path(path);
  }

  absl::StatusOr<v1::ReadFileResponse> Read(int64_t offset, uint64_t length) {
    absl::StatusOr<v1::ReadFileResponse> read = ReadOnce(offset, length);
    // An agent restarted since the task ended no longer knows the task id;
    // its sandbox is still named by framework and executor id.
    if (absl::IsNotFound(read.status()) &&
        ViolatedField(read.status()) == std::optional<std::string>("task_id") &&
        !executor_id_.value().empty()) {
      request_.clear_task_id();
      *request_.mutable_executor_id() = executor_id_;
      read = ReadOnce(offset, length);
    }
    return read;
  }

  // A one-line description of a failed read.
  std::string Describe(const absl::Status& status) const {
    switch (status.code()) {
      case absl::StatusCode::kUnavailable:
      case absl::StatusCode::kDeadlineExceeded:
        return absl::StrCat("cannot reach the agent at ", address_, ": ", status.message());
      case absl::StatusCode::kUnimplemented:
        return absl::StrCat("the agent at ", address_, " has no operator API (an older agent?)");
      default:
        return absl::StrCat("the agent at ", address_, ": ", status.message());
    }
  }

 private:
  absl::StatusOr<v1::ReadFileResponse> ReadOnce(int64_t offset, uint64_t length) {
    v1::ReadFileRequest request = request_;
    request.set_offset(offset);
    request.set_length(length);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(kAgentTimeoutSeconds));
    v1::ReadFileResponse response;
    absl::Status status = FromGrpcStatus(stub_->ReadFile(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  std::string address_;
  v1::ReadFileRequest request_;
  v1::ExecutorID executor_id_;  // The task's, as the master knows it.
  std::unique_ptr<v1::AgentOperator::Stub> stub_;
};

// Where the last `bytes` bytes start.
absl::StatusOr<int64_t> TailBytesStart(SandboxReader& reader, int64_t bytes) {
  // Offset -0 would be the start: the end is asked for as an offset past it.
  auto read = reader.Read(bytes == 0 ? std::numeric_limits<int64_t>::max() : -bytes, 1);
  if (!read.ok()) return read.status();
  return static_cast<int64_t>(read->offset());
}

// Where the last `lines` lines start (looking at most 1 MiB back).
absl::StatusOr<int64_t> TailLinesStart(SandboxReader& reader, int64_t lines) {
  if (lines == 0) return TailBytesStart(reader, 0);
  for (uint64_t window = 64 << 10;; window = std::min(window * 4, kChunk)) {
    auto read = reader.Read(-static_cast<int64_t>(window), window);
    if (!read.ok()) return read.status();
    const std::string& data = read->data();
    size_t end = data.size();
    if (end > 0 && data[end - 1] == '\n') --end;  // The last line's own newline.
    int64_t found = 0;
    for (size_t i = end; i > 0; --i) {
      if (data[i - 1] == '\n' && ++found == lines) return static_cast<int64_t>(read->offset() + i);
    }
    if (read->offset() == 0 || window >= kChunk) return static_cast<int64_t>(read->offset());
  }
}

// The task named `task_id` (active or completed) as the master knows it.
absl::StatusOr<v1::Task> FindTask(OperatorClient& master, const std::string& task_id) {
  v1::GetTasksRequest request;
  request.mutable_task_id()->set_value(task_id);
  request.set_include_completed(true);
  auto tasks = master.GetTasks(request);
  if (!tasks.ok()) {
    return absl::Status(tasks.status().code(),
                        DescribeCallError(master.master(), "GetTasks", tasks.status()));
  }
  if (tasks->tasks_size() == 0) return absl::NotFoundError(absl::StrCat("no task named ", task_id));
  std::set<std::string> frameworks;
  for (const v1::Task& task : tasks->tasks()) frameworks.insert(task.framework_id().value());
  if (frameworks.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "several frameworks have a task named ", task_id, ": ", absl::StrJoin(frameworks, ", ")));
  }
  return tasks->tasks(tasks->tasks_size() - 1);  // The latest run of that id.
}

// The gRPC address of agent `agent_id`.
absl::StatusOr<std::string> AgentAddress(OperatorClient& master, const std::string& agent_id) {
  v1::GetAgentsRequest request;
  request.mutable_page()->set_limit(10000);
  while (true) {
    auto agents = master.GetAgents(request);
    if (!agents.ok()) {
      return absl::Status(agents.status().code(),
                          DescribeCallError(master.master(), "GetAgents", agents.status()));
    }
    for (const v1::AgentSummary& agent : agents->agents()) {
      if (agent.info().id().value() == agent_id) return agent.info().address();
    }
    if (agents->page().next_after().empty()) break;
    request.mutable_page()->set_after(agents->page().next_after());
  }
  return absl::NotFoundError(
      absl::StrCat("the master no longer knows agent ", agent_id, " (it was removed)"));
}

}  // namespace

int RunLogsCommand(const CliOptions& options) {
  const LogsOptions& logs = options.logs;
  OperatorClient master(options.master);
  absl::StatusOr<v1::Task> task = FindTask(master, logs.task_id);
  if (!task.ok()) return Fail(std::string(task.status().message()));
  const std::string& agent_id = task->agent_id().value();
  if (agent_id.empty()) return Fail(absl::StrCat("task ", logs.task_id, " has no agent yet"));
  absl::StatusOr<std::string> address = AgentAddress(master, agent_id);
  if (!address.ok()) return Fail(std::string(address.status().message()));

  SandboxReader reader(*address, *task, logs.stderr_file ? "stderr" : "stdout");
  bool terminal = IsTerminalState(task->state());
  int64_t position = 0;
  if (logs.tail_bytes >= 0 || logs.tail_lines >= 0) {
    absl::StatusOr<int64_t> start = logs.tail_bytes >= 0 ? TailBytesStart(reader, logs.tail_bytes)
                                                         : TailLinesStart(reader, logs.tail_lines);
    if (!start.ok()) return Fail(reader.Describe(start.status()));
    position = *start;
  }
  while (true) {
    absl::StatusOr<v1::ReadFileResponse> read = reader.Read(position, kChunk);
    if (!read.ok()) {
      // Following a task that has not written its file yet: wait for it.
      if (!(logs.follow && !terminal && absl::IsNotFound(read.status())))
        return Fail(reader.Describe(read.status()));
    } else {
      std::fwrite(read->data().data(), 1, read->data().size(), stdout);
      std::fflush(stdout);
      position = static_cast<int64_t>(read->offset() + read->data().size());
      if (read->data().size() == kChunk) continue;  // More is waiting.
      if (!logs.follow) return 0;
      // The task had ended before this read, which found nothing new: the
      // file is complete.
      if (terminal && read->data().empty()) return 0;
    }
    if (terminal) continue;  // One more read after the end was seen.
    std::this_thread::sleep_for(kFollowInterval);
    absl::StatusOr<v1::Task> now = FindTask(master, logs.task_id);
    if (now.ok() && IsTerminalState(now->state())) terminal = true;
  }
}

}  // namespace agora::cli
