// The built-in command executor: command tasks run by the agent itself
// through agora-shim (real shim and task processes, a fake master).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include "agent_cluster_fixture.hpp"
#include "gmock/gmock.h"
#include "shim/shim_status.hpp"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

class CommandTaskTest : public AgentClusterTest {
 protected:
  std::string Sandbox(const std::string& task_id) {
    return dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest";  // The newest run.
  }
};

TEST_F(CommandTaskTest, RunsWithoutAnExecutorProcessAndReportsAsItsExecutor) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("hello", "echo hello; echo $AGORA_TASK_ID")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("hello");
  EXPECT_THAT(States(updates), ::testing::ElementsAre(v1::TASK_RUNNING, v1::TASK_FINISHED));
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(last.message(), "Command exited with status 0");
  ASSERT_TRUE(last.has_exit_status());
  EXPECT_TRUE(WIFEXITED(last.exit_status()) && WEXITSTATUS(last.exit_status()) == 0);
  EXPECT_EQ(ReadWholeFile(Sandbox("hello") + "/stdout"), "hello\nhello\n");
  // The shim recorded the end; no executor process existed, so the master
  // hears of no executor exiting.
  EXPECT_THAT(ReadWholeFile(Sandbox("hello") + "/.agora-status"), HasSubstr("exited 0"));
  std::lock_guard<std::mutex> lock(master_.mu());
  for (const auto& message : master_.messages())
    EXPECT_NE(message.type(), internal::AgentMessage::EXECUTOR_EXITED);
}

TEST_F(CommandTaskTest, CommandThatDoesNotExistFailsWithTheShellsMessage) {
  StartAgent(Options());
  ASSERT_TRUE(master_.Send(RunCommand("missing", "no-such-command-agora --flag")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("missing");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_EQ(last.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_THAT(last.message(), HasSubstr("Command exited with status 127"));
  EXPECT_THAT(last.message(), HasSubstr("no-such-command-agora"));
  EXPECT_THAT(last.message(), HasSubstr("not found"));
}

TEST_F(CommandTaskTest, ArgvCommandReachesTheProgramVerbatim) {
  StartAgent(Options());
  MasterMessage run = RunCommand("argv", "");
  v1::CommandInfo* command = run.mutable_run_tasks()->mutable_tasks(0)->mutable_command();
  command->set_shell(false);
  command->set_value("/usr/bin/printf");
  command->add_arguments("printf");
  command->add_arguments("%s|%s\n");
  command->add_arguments("it's $HOME");
  command->add_arguments("two words");
  ASSERT_TRUE(master_.Send(run));
  ASSERT_EQ(WaitForTerminal("argv").back().state(), v1::TASK_FINISHED);
  EXPECT_EQ(ReadWholeFile(Sandbox("argv") + "/stdout"), "it's $HOME|two words\n");
}

TEST_F(CommandTaskTest, KillPolicyEscalatesToTheWholeSessionIncludingADaemonizedChild) {
  StartAgent(Options());
  // Ignores SIGTERM; its double-forked child ignores it too and leaves the
  // task's process group (but not the shim's session).
  MasterMessage run =
      RunCommand("stubborn",
                 "trap '' TERM; (trap '' TERM; set -m; sleep 100 & echo $! > daemon; wait) & "
                 "echo $$ > pid; while true; do sleep 1; done");
  run.mutable_run_tasks()->mutable_tasks(0)->mutable_kill_policy()->set_grace_period_seconds(0.3);
  ASSERT_TRUE(master_.Send(run));
  ASSERT_TRUE(WaitForState("stubborn", v1::TASK_RUNNING));
  pid_t pid = SandboxPid("stubborn", "pid");
  pid_t daemon = SandboxPid("stubborn", "daemon");
  ASSERT_GT(pid, 0);
  ASSERT_GT(daemon, 0);
  ASSERT_TRUE(Alive(daemon));

  absl::Time killed_at = absl::Now();
  ASSERT_TRUE(master_.Send(KillMessage("stubborn")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("stubborn");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_KILLED);
  EXPECT_THAT(updates.back().message(), HasSubstr("signal"));
  // SIGTERM was ignored: only the SIGKILL after the grace period ended it.
  EXPECT_GE(absl::Now() - killed_at, absl::Milliseconds(300));
  EXPECT_TRUE(Eventually([&] { return !Alive(pid) && !Alive(daemon); }));
}

TEST_F(CommandTaskTest, KillNineOfTheShimKillsTheTaskTreeBeforeTheTaskFails) {
  StartAgent(Options());
  ASSERT_TRUE(
      master_.Send(RunCommand("orphaned", "sleep 1000 & echo $! > child; echo $$ > pid; wait")));
  ASSERT_TRUE(WaitForState("orphaned", v1::TASK_RUNNING));
  pid_t shell = SandboxPid("orphaned", "pid");
  pid_t child = SandboxPid("orphaned", "child");
  shim::ShimStatusRead read;
  ASSERT_TRUE(Eventually([&] {
    read = shim::ReadShimStatusFile(Sandbox("orphaned") + "/.agora-status");
    return read.outcome == shim::ShimStatusRead::kOk;
  }));
  ASSERT_EQ(kill(read.status.shim.pid, SIGKILL), 0);
  bool tree_alive_at_terminal = true;
  v1::TaskStatus terminal;
  ASSERT_TRUE(master_.WaitFor([&] {
    for (const auto& update : master_.UpdatesFor("orphaned")) {
      if (!IsTerminalState(update.state())) continue;
      terminal = update;
      tree_alive_at_terminal = Alive(shell) || Alive(child);
      return true;
    }
    return false;
  }));
  EXPECT_FALSE(tree_alive_at_terminal) << "a task process outlived its terminal update";
  EXPECT_EQ(terminal.state(), v1::TASK_FAILED);
  EXPECT_EQ(terminal.reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_THAT(terminal.message(), HasSubstr("agora-shim was killed by signal"));
}

TEST_F(CommandTaskTest, SandboxThatCannotBeCreatedFailsTheTaskAndTheAgentKeepsServing) {
  StartAgent(Options());
  // A file where the task's sandbox directory must go.
  std::filesystem::create_directories(dir_ + "/work/sandboxes/fw-1");
  const std::string blocked = dir_ + "/work/sandboxes/fw-1/blocked";  // Its executor's directory.
  std::ofstream(blocked) << "in the way";
  ASSERT_TRUE(master_.Send(RunCommand("blocked", "true")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("blocked");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FAILED);
  EXPECT_EQ(updates.back().reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_THAT(updates.back().message(), HasSubstr(blocked));

  ASSERT_TRUE(master_.Send(RunCommand("after", "true")));
  EXPECT_EQ(WaitForTerminal("after").back().state(), v1::TASK_FINISHED);
}

TEST_F(CommandTaskTest, RelaunchOfAnIdStillOnTheAgentIsAnsweredDroppedNotIgnored) {
  master_.set_auto_ack(false);  // The first task's updates stay unacknowledged.
  AgentOptions options = Options();
  options.http_port = 0;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("reused", "true")));
  ASSERT_TRUE(WaitForState("reused", v1::TASK_RUNNING));
  // The earlier task is over and its FINISHED applied (queued behind the
  // unacknowledged RUNNING).
  ASSERT_TRUE(Eventually([&] {
    std::string metrics = testing::HttpGet(agent_->http_port(), "/metrics");
    return testing::MetricValue(metrics, "agora_agent_status_updates_received_total") >= 2;
  }));
  ASSERT_TRUE(master_.Send(RunCommand("reused", "true")));
  master_.set_auto_ack(true);
  // After the old task's RUNNING and FINISHED (acknowledged from their next
  // retry on), the relaunch gets its answer instead of staying STAGING.
  ASSERT_TRUE(WaitForState("reused", v1::TASK_DROPPED));
  std::lock_guard<std::mutex> lock(master_.mu());
  std::vector<v1::TaskStatus> updates = master_.UpdatesFor("reused");
  EXPECT_EQ(States(updates),
            (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_FINISHED, v1::TASK_DROPPED}));
  EXPECT_THAT(updates.back().message(), HasSubstr("still in use"));
}

TEST_F(CommandTaskTest, TasksSurviveAnAgentRestartAndOneThatExitedMeanwhileReportsItsRealStatus) {
  AgentOptions options = Options();
  StartAgent(options);
  constexpr int kSleepers = 20;
  for (int i = 0; i < kSleepers; ++i) {
    std::string id = "sleeper-" + std::to_string(i);
    ASSERT_TRUE(master_.Send(RunCommand(id, "mkfifo go; echo $$ > pid; read line < go")));
  }
  ASSERT_TRUE(
      master_.Send(RunCommand("quitter", "mkfifo go; echo $$ > pid; read line < go; exit 7")));
  // Each task waits on its fifo `go` (made before its pid file is written).
  for (int i = 0; i < kSleepers; ++i) {
    std::string id = "sleeper-" + std::to_string(i);
    ASSERT_TRUE(WaitForState(id, v1::TASK_RUNNING)) << id;
    ASSERT_GT(SandboxPid(id, "pid"), 0) << id;
  }
  ASSERT_TRUE(WaitForState("quitter", v1::TASK_RUNNING));
  ASSERT_GT(SandboxPid("quitter", "pid"), 0);

  agent_->Stop();  // As a crash would: the shims and tasks keep running.
  agent_.reset();
  // The quitter exits while no agent runs.
  { std::ofstream(Sandbox("quitter") + "/go") << "go\n"; }
  ASSERT_TRUE(Eventually([&] {
    return ReadWholeFile(Sandbox("quitter") + "/.agora-status").find("exited 7") !=
           std::string::npos;
  }));
  StartAgent(options);
  std::vector<v1::TaskStatus> quitter = WaitForTerminal("quitter");
  ASSERT_FALSE(quitter.empty());
  EXPECT_EQ(quitter.back().state(), v1::TASK_FAILED);
  EXPECT_EQ(quitter.back().message(), "Command exited with status 7");
  ASSERT_TRUE(quitter.back().has_exit_status());
  EXPECT_EQ(WEXITSTATUS(quitter.back().exit_status()), 7);

  for (int i = 0; i < kSleepers; ++i) {
    std::string id = "sleeper-" + std::to_string(i);
    EXPECT_TRUE(Alive(SandboxPid(id, "pid"))) << id;
    std::ofstream(Sandbox(id) + "/go") << "go\n";
  }
  for (int i = 0; i < kSleepers; ++i) {
    std::string id = "sleeper-" + std::to_string(i);
    std::vector<v1::TaskStatus> updates = WaitForTerminal(id);
    int finished = 0;
    for (const auto& update : updates) finished += update.state() == v1::TASK_FINISHED;
    EXPECT_EQ(finished, 1) << id;
    EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED) << id;
  }
}

}  // namespace
}  // namespace agora::agent
