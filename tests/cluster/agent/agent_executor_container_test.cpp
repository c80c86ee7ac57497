// Custom executors (and `--command_executor=process`'s agora-executor) in
// containers: real cgroups, real agora-shim and executor processes, a fake
// master. The executor's cgroups hold its limits (its resources plus its
// live tasks'), an OOM kill in them fails the task with the memory reason,
// the whole tree dies at shutdown, its output goes through the shim and
// --switch_user runs it as the framework's user. Skipped (saying why) where
// this machine's cgroups are not writable.
#include <grpcpp/grpcpp.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "agent/cgroups.hpp"
#include "agent/isolator.hpp"
#include "agent_cluster_fixture.hpp"
#include "agora/v1/agent.grpc.pb.h"
#include "common/resources.hpp"
#include "gmock/gmock.h"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

class ExecutorContainerTest : public CgroupsClusterTest {
 protected:
  static google::protobuf::RepeatedPtrField<v1::Resource> ResourcesOf(const std::string& text) {
    auto parsed = Resources::Parse(text);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed->ToProto();
  }

  // A task for custom executor "exec-1" (a shell command with `resources`).
  static MasterMessage RunOnExecutor(const std::string& task_id, const std::string& executor,
                                     const std::string& executor_resources,
                                     const std::string& task_resources) {
    MasterMessage message = RunCommand(task_id, "true");
    auto* run = message.mutable_run_tasks();
    v1::ExecutorInfo* info = run->mutable_executor_info();
    info->mutable_executor_id()->set_value("exec-1");
    info->set_type(v1::ExecutorInfo::CUSTOM);
    info->mutable_command()->set_shell(true);
    info->mutable_command()->set_value(executor);
    *info->mutable_resources() = ResourcesOf(executor_resources);
    v1::TaskInfo* task = run->mutable_tasks(0);
    task->clear_command();
    *task->mutable_resources() = ResourcesOf(task_resources);
    return message;
  }

  // The agent's GetContainers answer.
  v1::GetContainersResponse Containers() {
    auto stub = v1::AgentOperator::NewStub(
        grpc::CreateChannel(agent_->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::GetContainersResponse response;
    grpc::Status status = stub->GetContainers(&context, v1::GetContainersRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::string ExecutorSandbox() { return dir_ + "/work/sandboxes/fw-1/exec-1/latest"; }

  // The `controller` (v1) cgroup directory of live process `pid`.
  static std::string CgroupOf(pid_t pid, const std::string& controller = "memory") {
    std::string text = ReadWholeFile("/proc/" + std::to_string(pid) + "/cgroup");
    return "/sys/fs/cgroup/" + controller + ParseProcCgroup(text)[controller];
  }
  static std::string Bytes(uint64_t mib) { return std::to_string(mib * 1024 * 1024) + "\n"; }
};

TEST_F(ExecutorContainerTest, LimitsFollowTheTasksAndShutdownKillsTheWholeTree) {
  AgentOptions options = CgroupsOptions();
  options.executor_registration_timeout = absl::Minutes(2);  // It never subscribes.
  StartAgent(options);
  // An "executor" that never subscribes, with a child that left its
  // session (only the cgroup still holds it).
  const std::string executor =
      "echo started; setsid sleep 1000 & echo $! > escaped; echo $$ > pid; exec sleep 1000";
  ASSERT_TRUE(master_.Send(RunOnExecutor("first", executor, "cpus:0.1;mem:32", "cpus:0.2;mem:64")));
  pid_t pid = 0;
  ASSERT_TRUE(Eventually([&] {
    pid = std::atoi(ReadWholeFile(ExecutorSandbox() + "/pid").c_str());
    return pid > 0 && ReadWholeFile(ExecutorSandbox() + "/escaped").find('\n') != std::string::npos;
  }));
  pid_t escaped = std::atoi(ReadWholeFile(ExecutorSandbox() + "/escaped").c_str());
  std::string memory = CgroupOf(pid);
  EXPECT_THAT(memory, HasSubstr("/agora-"));
  EXPECT_EQ(CgroupOf(escaped), memory);
  // The executor's 32 MiB plus its task's 64 MiB.
  EXPECT_EQ(ReadWholeFile(memory + "/memory.limit_in_bytes"), Bytes(96));
  // Its stdout went through the shim into the sandbox.
  EXPECT_TRUE(
      Eventually([&] { return ReadWholeFile(ExecutorSandbox() + "/stdout") == "started\n"; }));

  // A second task joins: the container grows; it leaves: it shrinks.
  ASSERT_TRUE(
      master_.Send(RunOnExecutor("second", executor, "cpus:0.1;mem:32", "cpus:0.3;mem:128")));
  EXPECT_TRUE(Eventually([&] {
    return ReadWholeFile(memory + "/memory.limit_in_bytes") == Bytes(224);
  })) << ReadWholeFile(memory + "/memory.limit_in_bytes");
  // Its usage comes from its cgroup, with the grown limit.
  v1::GetContainersResponse containers = Containers();
  ASSERT_EQ(containers.containers_size(), 1);
  EXPECT_EQ(containers.containers(0).executor_id().value(), "exec-1");
  EXPECT_THAT(containers.containers(0).isolation(), HasSubstr("cgroups-v"));
  EXPECT_EQ(containers.containers(0).statistics_source(), "cgroup");
  EXPECT_EQ(containers.containers(0).statistics().mem_limit_bytes(), 224u * 1024 * 1024);
  EXPECT_GE(containers.containers(0).statistics().processes(), 3u);  // shim, sleep, setsid sleep
  std::string cpu = CgroupOf(pid, "cpu");
  EXPECT_TRUE(Eventually([&] { return ReadWholeFile(cpu + "/cpu.shares") == "614\n"; }))
      << ReadWholeFile(cpu + "/cpu.shares");
  ASSERT_TRUE(master_.Send(KillMessage("second")));
  ASSERT_EQ(WaitForTerminal("second").back().state(), v1::TASK_KILLED);
  EXPECT_TRUE(Eventually([&] {
    return ReadWholeFile(memory + "/memory.limit_in_bytes") == Bytes(96);
  })) << ReadWholeFile(memory + "/memory.limit_in_bytes");
  ASSERT_TRUE(Alive(pid));

  // Shutdown: the executor, and the child that left its session, die.
  MasterMessage shutdown;
  shutdown.set_type(MasterMessage::SHUTDOWN_FRAMEWORK);
  shutdown.mutable_shutdown_framework()->mutable_framework_id()->set_value("fw-1");
  ASSERT_TRUE(master_.Send(shutdown));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("first");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_FALSE(Alive(pid));
  EXPECT_TRUE(Eventually([&] { return !Alive(escaped); })) << "a process left the tree alive";
  EXPECT_TRUE(Eventually([&] { return access(memory.c_str(), F_OK) != 0; }))
      << memory << " was not removed";
}

TEST_F(ExecutorContainerTest, MemoryHogInAnExecutorFailsWithTheMemoryReason) {
  AgentOptions options = CgroupsOptions();
  options.command_executor = AgentOptions::CommandExecutor::kProcess;  // agora-executor
  StartAgent(options);
  MasterMessage run = RunCommand("hog", "exec tail /dev/zero");
  *run.mutable_run_tasks()->mutable_tasks(0)->mutable_resources() = ResourcesOf("cpus:0.1;mem:64");
  ASSERT_TRUE(master_.Send(run));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("hog");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_EQ(last.reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY) << last.message();
  EXPECT_THAT(last.message(), HasSubstr("Memory limit exceeded"));
  EXPECT_THAT(last.message(), HasSubstr("of its 64.0 MiB limit"));
  EXPECT_TRUE(agent_->registered());
}

TEST_F(ExecutorContainerTest, SwitchUserRunsTheExecutorAsTheFrameworksUser) {
  AgentOptions options = CgroupsOptions();
  options.switch_user = true;
  options.executor_registration_timeout = absl::Minutes(2);
  StartAgent(options);
  MasterMessage run =
      RunOnExecutor("as-nobody", "id -un > user; exec sleep 1000", "cpus:0.1;mem:32", "mem:32");
  run.mutable_run_tasks()->mutable_framework_info()->set_user("nobody");
  ASSERT_TRUE(master_.Send(run));
  EXPECT_TRUE(Eventually([&] { return ReadWholeFile(ExecutorSandbox() + "/user") == "nobody\n"; }))
      << ReadWholeFile(ExecutorSandbox() + "/stderr");
  ASSERT_TRUE(master_.Send(KillMessage("as-nobody")));
  EXPECT_EQ(WaitForTerminal("as-nobody").back().state(), v1::TASK_KILLED);
}

}  // namespace
}  // namespace agora::agent
