// Sandbox garbage collection with a real agent, real agora-shim and task
// processes and real files: finished runs removed after --gc_delay,
// running ones (and a relaunched executor id's new run) kept while its
// finished first run is collected, the oldest removed first under an
// injected full disk, a sandbox that finished before an agent restart
// removed after it, and an old-layout sandbox (before runs) still readable
// and collected after an upgrade.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "agent_cluster_fixture.hpp"
#include "agora/v1/agent.grpc.pb.h"
#include "common/grpc_status.hpp"
#include "gmock/gmock.h"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class AgentGcTest : public AgentClusterTest {
 protected:
  AgentOptions GcOptions(absl::Duration delay) {
    AgentOptions options = Options();
    options.http_port = 0;
    options.gc_delay = delay;
    options.gc_disk_headroom = 0;  // The test machine's disk does not decide.
    options.disk_watch_interval = absl::Milliseconds(50);
    return options;
  }

  std::string Sandbox(const std::string& task_id) {
    return dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest";  // The newest run.
  }

  double Metric(const std::string& series) {
    return testing::MetricValue(testing::HttpGet(agent_->http_port(), "/metrics"), series);
  }

  // Runs `command` as `task_id` to its end; then waits until the agent has
  // forgotten it (acknowledged) and marked its sandbox finished.
  void RunToFinishedSandbox(const std::string& task_id, const std::string& command) {
    ASSERT_TRUE(master_.Send(RunCommand(task_id, command)));
    ASSERT_EQ(WaitForTerminal(task_id).back().state(), v1::TASK_FINISHED) << task_id;
    ASSERT_TRUE(Eventually([&] { return fs::exists(Sandbox(task_id) + "/.agora-finished"); }))
        << task_id;
  }

  absl::StatusOr<v1::ReadFileResponse> ReadTaskFile(const std::string& task_id,
                                                    const std::string& path) {
    auto channel = grpc::CreateChannel(agent_->address(), grpc::InsecureChannelCredentials());
    auto stub = v1::AgentOperator::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::ReadFileRequest request;
    request.mutable_task_id()->set_value(task_id);
    request.set_path(path);
    v1::ReadFileResponse response;
    absl::Status status = FromGrpcStatus(stub->ReadFile(&context, request, &response));
    if (!status.ok()) return status;
    return response;
  }
};

TEST_F(AgentGcTest, FinishedSandboxIsRemovedAfterTheDelayWhileRunningOnesStay) {
  StartAgent(GcOptions(absl::Seconds(3)));
  ASSERT_TRUE(master_.Send(RunCommand("sleeper", "echo $$ > pid; exec sleep 100")));
  ASSERT_TRUE(WaitForState("sleeper", v1::TASK_RUNNING));
  ASSERT_GT(SandboxPid("sleeper", "pid"), 0);
  // Finished, then launched again under the same id before its delay is
  // over: the new run gets its own directory (both readable); the first
  // run is collected, the new one never while it runs.
  ASSERT_NO_FATAL_FAILURE(RunToFinishedSandbox("reused", "echo first"));
  const std::string first_run = RunSandbox("reused");
  ASSERT_FALSE(first_run.empty());
  ASSERT_NO_FATAL_FAILURE(RunToFinishedSandbox("done", "echo done"));
  EXPECT_EQ(ReadWholeFile(Sandbox("done") + "/stdout"), "done\n");
  ASSERT_TRUE(master_.Send(RunCommand("reused", "echo $$ > pid; exec sleep 100")));
  ASSERT_GT(SandboxPid("reused", "pid"), 0);
  const std::string second_run = RunSandbox("reused");
  EXPECT_NE(second_run, first_run);
  EXPECT_EQ(second_run.substr(0, second_run.rfind('/')), first_run.substr(0, first_run.rfind('/')));
  EXPECT_EQ(ReadWholeFile(first_run + "/stdout"), "first\n");
  EXPECT_FALSE(fs::exists(second_run + "/.agora-finished"));

  ASSERT_TRUE(Eventually([&] { return !fs::exists(Sandbox("done")); }));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(first_run); }));
  EXPECT_TRUE(fs::exists(Sandbox("sleeper") + "/pid"));
  EXPECT_TRUE(fs::exists(second_run + "/pid"));
  EXPECT_EQ(RunSandbox("reused"), second_run);
  EXPECT_TRUE(Alive(SandboxPid("reused", "pid")));
  EXPECT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_removed_total") == 2; }));

  // `agora logs` of the collected task: the agent says where it went.
  absl::StatusOr<v1::ReadFileResponse> logs = ReadTaskFile("done", "stdout");
  ASSERT_FALSE(logs.ok());
  EXPECT_TRUE(absl::IsNotFound(logs.status())) << logs.status();
  EXPECT_THAT(std::string(logs.status().message()), HasSubstr("no longer exists"));
  EXPECT_THAT(std::string(logs.status().message()), HasSubstr("--gc_delay"));

  // Once they end too, the framework's directory goes with its last one.
  ASSERT_TRUE(master_.Send(KillMessage("sleeper")));
  ASSERT_TRUE(master_.Send(KillMessage("reused")));
  ASSERT_TRUE(WaitForState("sleeper", v1::TASK_KILLED));
  ASSERT_TRUE(WaitForState("reused", v1::TASK_KILLED));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(dir_ + "/work/sandboxes/fw-1"); }));
  EXPECT_TRUE(fs::exists(dir_ + "/work/sandboxes"));
  EXPECT_TRUE(Eventually([&] {
    return Metric("agora_agent_sandboxes_removed_total") == 4 &&
           Metric("agora_agent_sandboxes_pending_gc") == 0;
  }));
}

TEST_F(AgentGcTest, BelowTheDiskHeadroomTheOldestFinishedSandboxGoesFirst) {
  AgentOptions options = GcOptions(absl::Hours(1));
  options.gc_disk_headroom = 0.1;
  options.gc_min_age = absl::ZeroDuration();
  // A disk of 1'000'000 bytes: 1 byte short of its 10 % headroom while
  // `full` is set and the oldest sandbox is still there.
  auto full = std::make_shared<std::atomic<bool>>(false);
  auto measured = std::make_shared<std::atomic<int>>(0);
  const std::string oldest = Sandbox("oldest");
  options.disk_space = [full, measured, oldest](const std::string&) -> absl::StatusOr<DiskSpace> {
    measured->fetch_add(1);
    if (full->load() && fs::exists(oldest)) return DiskSpace{99'999, 1'000'000};
    return DiskSpace{500'000, 1'000'000};
  };
  StartAgent(options);
  ASSERT_NO_FATAL_FAILURE(RunToFinishedSandbox("oldest", "echo old"));
  ASSERT_NO_FATAL_FAILURE(RunToFinishedSandbox("newer", "echo new"));
  ASSERT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_pending_gc") == 2; }));
  EXPECT_EQ(Metric("agora_agent_sandboxes_removed_total"), 0);

  full->store(true);
  ASSERT_TRUE(Eventually([&] { return !fs::exists(oldest); }));
  // Several more measurements (the headroom is back): the newer one stays.
  int after = measured->load();
  ASSERT_TRUE(Eventually([&] { return measured->load() >= after + 3; }));
  EXPECT_TRUE(fs::exists(Sandbox("newer") + "/stdout"));
  EXPECT_EQ(Metric("agora_agent_sandboxes_removed_total"), 1);
  EXPECT_EQ(Metric("agora_agent_sandboxes_removed_for_disk_space_total"), 1);
  EXPECT_EQ(Metric("agora_agent_sandboxes_pending_gc"), 1);
}

TEST_F(AgentGcTest, ASandboxThatFinishedBeforeARestartIsRemovedAfterIt) {
  // The first agent would keep finished sandboxes for an hour.
  StartAgent(GcOptions(absl::Hours(1)));
  ASSERT_TRUE(master_.Send(RunCommand("running", "echo $$ > pid; exec sleep 100")));
  ASSERT_TRUE(WaitForState("running", v1::TASK_RUNNING));
  pid_t running = SandboxPid("running", "pid");
  ASSERT_GT(running, 0);
  ASSERT_NO_FATAL_FAILURE(RunToFinishedSandbox("before", "echo before"));
  const std::string running_run = RunSandbox("running");
  ASSERT_FALSE(running_run.empty());
  agent_->Stop();  // As a crash would: the running task keeps running.
  agent_.reset();
  // Left by an agent without GC: no marker, no checkpoint.
  fs::create_directories(dir_ + "/work/sandboxes/fw-old/ex-old");
  std::ofstream(dir_ + "/work/sandboxes/fw-old/ex-old/stdout") << "old\n";

  StartAgent(GcOptions(absl::Milliseconds(500)));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(Sandbox("before")); }));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(dir_ + "/work/sandboxes/fw-old"); }));
  EXPECT_TRUE(Alive(running));
  // Recovered in its run (from the executor's checkpoint), not a new one.
  EXPECT_EQ(RunSandbox("running"), running_run);
  EXPECT_TRUE(fs::exists(running_run + "/pid"));
  EXPECT_FALSE(fs::exists(Sandbox("running") + "/.agora-finished"));
  EXPECT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_removed_total") == 2; }));
  // Once the recovered task ends, its run is collected like any other.
  ASSERT_TRUE(master_.Send(KillMessage("running")));
  ASSERT_TRUE(WaitForState("running", v1::TASK_KILLED));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(running_run); }));
  EXPECT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_removed_total") == 3; }));
}

TEST_F(AgentGcTest, AnOldLayoutSandboxIsReadableAndCollectedAfterAnUpgrade) {
  // Left by an agent before runs: the executor directory is the sandbox,
  // finished (marked) an hour ago.
  const std::string old = dir_ + "/work/sandboxes/fw-1/ex-old";
  fs::create_directories(old);
  std::ofstream(old + "/stdout") << "old\n";
  std::ofstream(old + "/.agora-finished") << "2026-01-01T00:00:00Z\n";
  StartAgent(GcOptions(absl::Hours(1) * 24 * 365 * 100));
  ASSERT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_pending_gc") == 1; }));

  auto channel = grpc::CreateChannel(agent_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::AgentOperator::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::ReadFileRequest request;
  request.mutable_framework_id()->set_value("fw-1");
  request.mutable_executor_id()->set_value("ex-old");
  request.set_path("stdout");
  v1::ReadFileResponse response;
  absl::Status status = FromGrpcStatus(stub->ReadFile(&context, request, &response));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(response.data(), "old\n");
  agent_->Stop();
  agent_.reset();

  StartAgent(GcOptions(absl::Milliseconds(500)));
  ASSERT_TRUE(Eventually([&] { return !fs::exists(dir_ + "/work/sandboxes/fw-1"); }));
  EXPECT_TRUE(fs::exists(dir_ + "/work/sandboxes"));
  EXPECT_TRUE(Eventually([&] { return Metric("agora_agent_sandboxes_removed_total") == 1; }));
}

}  // namespace
}  // namespace agora::agent
