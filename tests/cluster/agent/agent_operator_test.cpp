// The agent's operator API (AgentOperator) over real gRPC: a real Agent
// running command tasks through agora-shim against a fake master; state,
// container statistics from /proc, and sandbox files of running and
// finished tasks.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "agent_cluster_fixture.hpp"
#include "agora/v1/agent.grpc.pb.h"
#include "common/grpc_status.hpp"
#include "common/resources.hpp"
#include "common/validation.hpp"
#include "gmock/gmock.h"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

class AgentOperatorTest : public AgentClusterTest {
 protected:
  void StartAgentWithOperator() { StartAgentWithOperator(Options()); }
  void StartAgentWithOperator(AgentOptions options) {
    StartAgent(options);
    channel_ = grpc::CreateChannel(agent_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::AgentOperator::NewStub(channel_);
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  v1::AgentState State() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::AgentState state;
    grpc::Status status = stub_->GetAgentState(&context, v1::GetAgentStateRequest(), &state);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return state;
  }

  absl::StatusOr<v1::ReadFileResponse> Read(v1::ReadFileRequest request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ReadFileResponse response;
    absl::Status status = FromGrpcStatus(stub_->ReadFile(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }

  absl::StatusOr<v1::ReadFileResponse> ReadTaskFile(const std::string& task_id,
                                                    const std::string& path, int64_t offset = 0,
                                                    uint64_t length = 0) {
    v1::ReadFileRequest request;
    request.mutable_task_id()->set_value(task_id);
    request.set_path(path);
    request.set_offset(offset);
    request.set_length(length);
    return Read(request);
  }

  // The executor (by id) of framework fw-1 in `state`, or null.
  static const v1::ExecutorState* FindExecutor(const v1::AgentState& state,
                                               const std::string& executor_id) {
    for (const auto& framework : state.frameworks()) {
      if (framework.info().id().value() != "fw-1") continue;
      for (const auto& executor : framework.executors())
        if (executor.info().executor_id().value() == executor_id) return &executor;
    }
    return nullptr;
  }

  // Runs `command` as task `task_id` and waits for its terminal update.
  v1::TaskState RunToEnd(const std::string& task_id, const std::string& command) {
    EXPECT_TRUE(master_.Send(RunCommand(task_id, command)));
    std::vector<v1::TaskStatus> updates = WaitForTerminal(task_id);
    return updates.empty() ? v1::TASK_STAGING : updates.back().state();
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentOperator::Stub> stub_;
};

TEST_F(AgentOperatorTest, StateListsTheAgentItsRunningAndCompletedTasks) {
  StartAgentWithOperator();
  MasterMessage run = RunCommand("runner", "sleep 60");
  *run.mutable_run_tasks()->mutable_tasks(0)->mutable_resources() =
      (Resources::FromScalar("cpus", 0.5) + Resources::FromScalar("mem", 64)).ToProto();
  ASSERT_TRUE(master_.Send(run));
  ASSERT_EQ(RunToEnd("done", "echo done"), v1::TASK_FINISHED);
  ASSERT_TRUE(WaitForState("runner", v1::TASK_RUNNING));
  // Once acknowledged and its shim gone, "done" is forgotten by the agent's
  // books and lives on in the completed-task history.
  ASSERT_TRUE(Eventually([&] {
    const v1::ExecutorState* done = FindExecutor(State(), "done");
    return done != nullptr && done->status() == v1::ExecutorState::TERMINATED;
  }));

  v1::AgentState state = State();
  EXPECT_EQ(state.info().id().value(), agent_->agent_id());
  EXPECT_EQ(state.info().address(), agent_->address());
  EXPECT_TRUE(state.registered());
  EXPECT_EQ(state.master_address(), master_.address());
  EXPECT_FALSE(state.version().version().empty());
  EXPECT_GT(state.start_time(), 0);
  absl::StatusOr<Resources> total = Resources::FromProto(state.total());
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(total->cpus(), 2);
  absl::StatusOr<Resources> allocated = Resources::FromProto(state.allocated());
  ASSERT_TRUE(allocated.ok()) << allocated.status();
  EXPECT_EQ(allocated->cpus(), 0.5);
  EXPECT_EQ(allocated->mem(), 64);
  ASSERT_EQ(state.frameworks_size(), 1);
  EXPECT_EQ(state.frameworks(0).info().name(), "test");

  const v1::ExecutorState* runner = FindExecutor(state, "runner");
  ASSERT_NE(runner, nullptr) << state.DebugString();
  EXPECT_EQ(runner->status(), v1::ExecutorState::RUNNING);
  EXPECT_GT(runner->pid(), 0);
  EXPECT_EQ(runner->sandbox(), RunSandbox("runner"));
  EXPECT_THAT(runner->sandbox(), HasSubstr("/work/sandboxes/fw-1/runner/"));
  EXPECT_FALSE(runner->container_id().value().empty());
  ASSERT_EQ(runner->tasks_size(), 1);
  EXPECT_EQ(runner->tasks(0).task_id().value(), "runner");
  EXPECT_EQ(runner->tasks(0).state(), v1::TASK_RUNNING);
  EXPECT_EQ(runner->completed_tasks_size(), 0);

  const v1::ExecutorState* done = FindExecutor(state, "done");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->sandbox(), RunSandbox("done"));
  EXPECT_THAT(done->sandbox(), HasSubstr("/work/sandboxes/fw-1/done/"));
  EXPECT_EQ(done->tasks_size(), 0);
  ASSERT_EQ(done->completed_tasks_size(), 1);
  EXPECT_EQ(done->completed_tasks(0).state(), v1::TASK_FINISHED);
}

TEST_F(AgentOperatorTest, ContainersOfRunningTasksCarryProcStatisticsUnderPosix) {
  AgentOptions options = Options();
  options.isolation = AgentOptions::Isolation::kPosix;
  StartAgentWithOperator(options);
  // A shell that burns a little CPU, then waits on a child: the session has
  // the shim, the shell and sleep.
  ASSERT_TRUE(master_.Send(RunCommand(
      "busy", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo warm > warm; sleep 60")));
  ASSERT_TRUE(WaitForState("busy", v1::TASK_RUNNING));
  ASSERT_TRUE(Eventually(
      [&] { return ReadWholeFile(dir_ + "/work/sandboxes/fw-1/busy/latest/warm") == "warm\n"; }));

  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetContainersResponse response;
  grpc::Status status = stub_->GetContainers(&context, v1::GetContainersRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.containers_size(), 1);
  const v1::ContainerStatus& container = response.containers(0);
  EXPECT_EQ(container.executor_id().value(), "busy");
  EXPECT_EQ(container.framework_id().value(), "fw-1");
  EXPECT_EQ(container.isolation(), "none");
  EXPECT_EQ(container.statistics_source(), "proc");
  EXPECT_GT(container.pid(), 0);
  EXPECT_TRUE(Alive(container.pid()));
  EXPECT_GT(container.statistics().mem_rss_bytes(), 0u);
  EXPECT_EQ(container.statistics().mem_current_bytes(), 0u);  // A cgroup-only figure.
  EXPECT_GE(container.statistics().processes(), 3u);          // Shim, shell, sleep.
  EXPECT_GT(
      container.statistics().cpus_user_time_secs() + container.statistics().cpus_system_time_secs(),
      0);
  EXPECT_DOUBLE_EQ(container.statistics().cpus_total_time_secs(),
                   container.statistics().cpus_user_time_secs() +
                       container.statistics().cpus_system_time_secs());
  EXPECT_GT(container.statistics().timestamp(), 0);
}

TEST_F(AgentOperatorTest, ReadsStdoutOfAFinishedTaskWholeAndTail) {
  StartAgentWithOperator();
  ASSERT_EQ(RunToEnd("printer", "printf 'line one\\nline two\\n'; echo oops >&2; exit 3"),
            v1::TASK_FAILED);
  // Readable while the agent still holds the task and after it forgot it.
  absl::StatusOr<v1::ReadFileResponse> whole = ReadTaskFile("printer", "stdout");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->data(), "line one\nline two\n");
  EXPECT_EQ(whole->offset(), 0u);
  EXPECT_EQ(whole->size(), 18u);
  ASSERT_TRUE(Eventually([&] {
    const v1::ExecutorState* printer = FindExecutor(State(), "printer");
    return printer != nullptr && printer->status() == v1::ExecutorState::TERMINATED;
  }));

  absl::StatusOr<v1::ReadFileResponse> tail = ReadTaskFile("printer", "stdout", -9);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->data(), "line two\n");
  EXPECT_EQ(tail->offset(), 9u);
  EXPECT_EQ(tail->size(), 18u);

  absl::StatusOr<v1::ReadFileResponse> middle = ReadTaskFile("printer", "stdout", 5, 3);
  ASSERT_TRUE(middle.ok()) << middle.status();
  EXPECT_EQ(middle->data(), "one");

  absl::StatusOr<v1::ReadFileResponse> past_end = ReadTaskFile("printer", "stdout", 100);
  ASSERT_TRUE(past_end.ok()) << past_end.status();
  EXPECT_EQ(past_end->data(), "");
  EXPECT_EQ(past_end->offset(), 18u);

  absl::StatusOr<v1::ReadFileResponse> stderr_file = ReadTaskFile("printer", "stderr");
  ASSERT_TRUE(stderr_file.ok()) << stderr_file.status();
  EXPECT_THAT(stderr_file->data(), HasSubstr("oops"));

  // Named by framework and executor instead of task.
  v1::ReadFileRequest by_executor;
  by_executor.mutable_framework_id()->set_value("fw-1");
  by_executor.mutable_executor_id()->set_value("printer");
  by_executor.set_path("stdout");
  absl::StatusOr<v1::ReadFileResponse> same = Read(by_executor);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->data(), "line one\nline two\n");
}

TEST_F(AgentOperatorTest, ReadsARunningTasksGrowingOutput) {
  StartAgentWithOperator();
  ASSERT_TRUE(master_.Send(RunCommand("talker", "echo first; sleep 60")));
  ASSERT_TRUE(WaitForState("talker", v1::TASK_RUNNING));
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<v1::ReadFileResponse> read = ReadTaskFile("talker", "stdout");
    return read.ok() && read->data() == "first\n";
  }));
}

TEST_F(AgentOperatorTest, RefusesPathsThatLeaveTheSandboxNamingPath) {
  StartAgentWithOperator();
  ASSERT_EQ(RunToEnd("links",
                     "echo inside > file; mkdir dir; echo nested > dir/n; "
                     "ln -s / root; ln -s /etc/hostname host; ln -s file alias; "
                     "ln -s ../.. up"),
            v1::TASK_FINISHED);
  for (const std::string& path :
       {std::string("../../meta"), std::string("dir/../../x"), std::string("/etc/hostname"),
        std::string("root/etc/hostname"), std::string("host"), std::string("up/meta")}) {
    SCOPED_TRACE(path);
    absl::StatusOr<v1::ReadFileResponse> read = ReadTaskFile("links", path);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << read.status();
    EXPECT_EQ(ViolatedField(read.status()), std::optional<std::string>("path"));
    EXPECT_THAT(std::string(read.status().message()), HasSubstr("path: "));
  }
  // Links that stay inside are followed.
  absl::StatusOr<v1::ReadFileResponse> alias = ReadTaskFile("links", "alias");
  ASSERT_TRUE(alias.ok()) << alias.status();
  EXPECT_EQ(alias->data(), "inside\n");
  absl::StatusOr<v1::ReadFileResponse> nested = ReadTaskFile("links", "dir/n");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(nested->data(), "nested\n");

  grpc::ClientContext context;
  SetDeadline(&context);
  v1::ListFilesRequest list;
  list.mutable_task_id()->set_value("links");
  v1::ListFilesResponse listed;
  grpc::Status status = stub_->ListFiles(&context, list, &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const auto& file : listed.files()) names.push_back(file.path());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"dir", "file", "stdout", "stderr", "root"}));
  for (const auto& file : listed.files()) {
    if (file.path() == "dir") EXPECT_TRUE(file.is_directory());
    if (file.path() == "file") EXPECT_EQ(file.size(), 7u);
  }
}

TEST_F(AgentOperatorTest, UnknownTaskOrFileIsNotFound) {
  StartAgentWithOperator();
  ASSERT_EQ(RunToEnd("known", "true"), v1::TASK_FINISHED);
  absl::StatusOr<v1::ReadFileResponse> unknown = ReadTaskFile("no-such-task", "stdout");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("no-such-task"));

  absl::StatusOr<v1::ReadFileResponse> missing = ReadTaskFile("known", "no-such-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_EQ(ViolatedField(missing.status()), std::optional<std::string>("path"));

  v1::ReadFileRequest nothing;
  nothing.set_path("stdout");
  absl::StatusOr<v1::ReadFileResponse> unnamed = Read(nothing);
  EXPECT_EQ(unnamed.status().code(), absl::StatusCode::kInvalidArgument) << unnamed.status();
}

TEST_F(AgentOperatorTest, ReadLengthIsCappedAtOneMebibyte) {
  StartAgentWithOperator();
  ASSERT_EQ(RunToEnd("big", "head -c 1572864 /dev/zero | tr '\\0' x > big"), v1::TASK_FINISHED);
  for (uint64_t length : {uint64_t{0}, uint64_t{4} << 20}) {
    absl::StatusOr<v1::ReadFileResponse> read = ReadTaskFile("big", "big", 0, length);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->data().size(), 1u << 20);
    EXPECT_EQ(read->size(), 1572864u);
  }
  absl::StatusOr<v1::ReadFileResponse> rest = ReadTaskFile("big", "big", 1 << 20);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->data().size(), 524288u);
  EXPECT_EQ(rest->data(), std::string(524288, 'x'));
  absl::StatusOr<v1::ReadFileResponse> ten = ReadTaskFile("big", "big", -10, 4);
  ASSERT_TRUE(ten.ok()) << ten.status();
  EXPECT_EQ(ten->data(), "xxxx");
  EXPECT_EQ(ten->offset(), 1572854u);
}

TEST_F(AgentOperatorTest, AWildcardBindIsAdvertisedByHostnameAndReachableThere) {
  AgentOptions options = Options();
  options.ip = "0.0.0.0";
  options.hostname = "localhost";
  StartAgent(options);
  std::string advertised;
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    advertised = master_.registrations().front().register_().agent_info().address();
  }
  EXPECT_EQ(advertised, absl::StrCat("localhost:", agent_->port()));
  auto stub = v1::AgentOperator::NewStub(
      grpc::CreateChannel(advertised, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetHealthResponse health;
  grpc::Status status = stub->GetHealth(&context, v1::GetHealthRequest(), &health);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(health.healthy());
}

TEST_F(AgentOperatorTest, HealthVersionFlagsAndUnparsableRequests) {
  StartAgentWithOperator();
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetHealthResponse health;
    ASSERT_TRUE(stub_->GetHealth(&context, v1::GetHealthRequest(), &health).ok());
    EXPECT_TRUE(health.healthy());
    EXPECT_EQ(health.leader_address(), master_.address());
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetFlagsResponse flags;
    ASSERT_TRUE(stub_->GetFlags(&context, v1::GetFlagsRequest(), &flags).ok());
    EXPECT_EQ(flags.flags().at("work_dir"), dir_ + "/work");
  }
  // Bytes that are no protobuf message: INVALID_ARGUMENT naming the method.
  const std::string garbage("\x0f\xff\xff\xff", 4);
  grpc::Slice slice(garbage);
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, "/agora.v1.AgentOperator/ReadFile",
                                    grpc::ByteBuffer(&slice, 1), &cq);
  call->StartCall();
  call->Finish(&response, &status, nullptr);
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("/agora.v1.AgentOperator/ReadFile"));
}

}  // namespace
}  // namespace agora::agent
