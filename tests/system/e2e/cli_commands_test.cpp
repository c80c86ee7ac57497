// System test of every `agora` command against a live cluster: the real
// agora-master (standalone) and agora-agent processes, the real CLI binary.
// Each command's table and its --json (parsed with the protobuf JSON parser)
// are checked for the outcome an operator would look for.
//
// The quota, weights, drain/deactivate/reactivate/mark-gone, kill and watch
// cases need the master's side of issue 11 (branch opsm): against a master
// that answers UNIMPLEMENTED they fail, naming the call.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "agora/v1/master.pb.h"
#include "cli/command_specs.hpp"
#include "cli/table.hpp"
#include "gtest/gtest.h"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {
namespace {

template <typename Message>
Message ParseJson(const CommandResult& result) {
  Message message;
  EXPECT_EQ(result.exit_code, 0) << result.output;
  auto status = google::protobuf::util::JsonStringToMessage(result.output, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << result.output;
  return message;
}

bool Contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

class CliCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartMaster().ok()) << cluster_.Logs();
    ASSERT_TRUE(cluster_.StartAgent("cpus:4;mem:2048;disk:1024").ok()) << cluster_.Logs();
    auto agents = ParseJson<v1::GetAgentsResponse>(cluster_.Cli({"agents", "--json"}));
    ASSERT_EQ(agents.agents_size(), 1);
    agent_id_ = agents.agents(0).info().id().value();
  }

  // `agora run` of `command` in the background as framework `name`; its
  // first task is `name`-0.
  std::unique_ptr<Subprocess> StartRun(const std::string& name, const std::string& command) {
    auto run = cluster_.Spawn({BinaryPath("agora"), "run", "--master", cluster_.master_address(),
                               "--name", name, "--command", command},
                              name + ".log");
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? std::move(*run) : nullptr;
  }

  // The state of task `id` as `agora task ID --json` shows it.
  v1::TaskState TaskState(const std::string& id) {
    CommandResult result = cluster_.Cli({"task", id, "--json"});
    if (result.exit_code != 0) return v1::TASK_STATE_UNSPECIFIED;
    v1::Task task;
    if (!google::protobuf::util::JsonStringToMessage(result.output, &task).ok()) {
      return v1::TASK_STATE_UNSPECIFIED;
    }
    return task.state();
  }

  bool WaitForTaskState(const std::string& id, v1::TaskState state) {
    return WaitFor([&] { return TaskState(id) == state; }, absl::Seconds(60),
                   absl::Milliseconds(100));
  }

  std::string AgentStatus() {
    CommandResult result = cluster_.Cli({"agent", agent_id_, "--json"});
    v1::AgentSummary agent;
    if (result.exit_code != 0 ||
        !google::protobuf::util::JsonStringToMessage(result.output, &agent).ok()) {
      return "?";
    }
    return v1::AgentSummary::Status_Name(agent.status());
  }

  std::string FrameworkIdNamed(const std::string& name) {
    auto frameworks = ParseJson<v1::GetFrameworksResponse>(cluster_.Cli({"frameworks", "--json"}));
    for (const auto& f : frameworks.frameworks()) {
      if (f.info().name() == name) return f.info().id().value();
    }
    return "";
  }

  TempDir dir_;
  ProcessCluster cluster_{dir_.path()};
  std::string agent_id_;
};

TEST_F(CliCommandsTest, ClusterAgentsAndAgentShowTheAgent) {
  CommandResult cluster = cluster_.Cli({"cluster"});
  ASSERT_EQ(cluster.exit_code, 0) << cluster.output;
  EXPECT_TRUE(Contains(cluster.output, "Leader: " + cluster_.master_address())) << cluster.output;
  EXPECT_TRUE(Contains(cluster.output, "Agents:      1 (1 active and connected)"))
      << cluster.output;
  auto cluster_json = ParseJson<google::protobuf::Struct>(cluster_.Cli({"cluster", "--json"}));
  EXPECT_EQ(cluster_json.fields().at("agents").number_value(), 1);

  CommandResult agents = cluster_.Cli({"agents"});
  EXPECT_TRUE(Contains(agents.output, agent_id_)) << agents.output;
  EXPECT_TRUE(Contains(agents.output, "ACTIVE")) << agents.output;
  EXPECT_TRUE(Contains(agents.output, "ISOLATION")) << agents.output;
  // The agent says how it isolates at registration (auto: cgroups where
  // writable, else posix).
  auto listed = ParseJson<v1::GetAgentsResponse>(cluster_.Cli({"agents", "--json"}));
  ASSERT_EQ(listed.agents_size(), 1);
  const std::string isolation = listed.agents(0).info().isolation();
  EXPECT_TRUE(isolation == "posix" || isolation == "cgroups-v1" || isolation == "cgroups-v2")
      << isolation;
  EXPECT_TRUE(Contains(agents.output, isolation)) << agents.output;

  CommandResult agent = cluster_.Cli({"agent", agent_id_});
  ASSERT_EQ(agent.exit_code, 0) << agent.output;
  EXPECT_TRUE(Contains(agent.output, "Agent:          " + agent_id_)) << agent.output;
  EXPECT_TRUE(Contains(agent.output, "Status:         ACTIVE")) << agent.output;
  EXPECT_TRUE(Contains(agent.output, "Isolation:      " + isolation)) << agent.output;
  EXPECT_TRUE(Contains(agent.output, "Total:          cpus:4 disk:1024 mem:2048")) << agent.output;
  auto summary = ParseJson<v1::AgentSummary>(cluster_.Cli({"agent", agent_id_, "--json"}));
  EXPECT_EQ(summary.info().id().value(), agent_id_);

  CommandResult unknown = cluster_.Cli({"agent", "no-such-agent"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
  EXPECT_EQ(unknown.output, "agora: no agent no-such-agent\n");
}

TEST_F(CliCommandsTest, TasksFrameworksOffersRolesAndTeardown) {
  auto run = StartRun("sleeper", "sleep 600");
  ASSERT_TRUE(run != nullptr);
  ASSERT_TRUE(WaitForTaskState("sleeper-0", v1::TASK_RUNNING)) << cluster_.Logs() << run->Log();
  const std::string framework_id = FrameworkIdNamed("sleeper");
  ASSERT_FALSE(framework_id.empty());

  CommandResult tasks = cluster_.Cli({"tasks"});
  EXPECT_TRUE(Contains(tasks.output, "sleeper-0")) << tasks.output;
  EXPECT_TRUE(Contains(tasks.output, "RUNNING")) << tasks.output;
  // Server-side filters: matching ones list the task, others do not.
  for (std::vector<std::string> filter : {std::vector<std::string>{"--state", "RUNNING"},
                                          {"--framework", framework_id},
                                          {"--agent", agent_id_}}) {
    filter.insert(filter.begin(), "tasks");
    filter.push_back("--json");
    auto listed = ParseJson<v1::GetTasksResponse>(cluster_.Cli(filter));
    ASSERT_EQ(listed.tasks_size(), 1) << filter[1];
    EXPECT_EQ(listed.tasks(0).task_id().value(), "sleeper-0");
  }
  EXPECT_EQ(ParseJson<v1::GetTasksResponse>(cluster_.Cli({"tasks", "--state", "STAGING", "--json"}))
                .tasks_size(),
            0);
  EXPECT_EQ(ParseJson<v1::GetTasksResponse>(cluster_.Cli({"tasks", "--agent", "other", "--json"}))
                .tasks_size(),
            0);

  CommandResult task = cluster_.Cli({"task", "sleeper-0"});
  ASSERT_EQ(task.exit_code, 0) << task.output;
  EXPECT_TRUE(Contains(task.output, "Command:    sleep 600")) << task.output;
  EXPECT_TRUE(Contains(task.output, "Status history (oldest first):")) << task.output;
  EXPECT_TRUE(Contains(task.output, "RUNNING")) << task.output;
  EXPECT_EQ(cluster_.Cli({"task", "no-such-task"}).exit_code, 3);

  CommandResult frameworks = cluster_.Cli({"frameworks"});
  EXPECT_TRUE(Contains(frameworks.output, framework_id)) << frameworks.output;
  EXPECT_TRUE(Contains(frameworks.output, "sleeper")) << frameworks.output;
  CommandResult framework = cluster_.Cli({"framework", framework_id});
  ASSERT_EQ(framework.exit_code, 0) << framework.output;
  EXPECT_TRUE(Contains(framework.output, "State:             connected")) << framework.output;
  EXPECT_TRUE(Contains(framework.output, "sleeper-0")) << framework.output;
  auto summary =
      ParseJson<v1::FrameworkSummary>(cluster_.Cli({"framework", framework_id, "--json"}));
  EXPECT_EQ(summary.info().name(), "sleeper");
  CommandResult unknown = cluster_.Cli({"framework", "no-such-framework"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(unknown.output, "agora: no framework no-such-framework\n");

  // The run framework declines what it does not need: offers may be few or
  // none; the table and the JSON must still be well-formed.
  CommandResult offers = cluster_.Cli({"offers"});
  EXPECT_EQ(offers.exit_code, 0);
  std::vector<std::string> header =
      absl::StrSplit(offers.output.substr(0, offers.output.find('\n')), ' ', absl::SkipEmpty());
  EXPECT_EQ(header,
            (std::vector<std::string>{"ID", "FRAMEWORK", "AGENT", "HOSTNAME", "ROLE", "RESOURCES"}))
      << offers.output;
  ParseJson<v1::GetOffersResponse>(cluster_.Cli({"offers", "--json"}));

  CommandResult roles = cluster_.Cli({"roles"});
  EXPECT_TRUE(absl::StartsWith(roles.output, "ROLE")) << roles.output;
  auto role_list = ParseJson<v1::GetRolesResponse>(cluster_.Cli({"roles", "--json"}));
  ASSERT_GE(role_list.roles_size(), 1);
  EXPECT_EQ(role_list.roles(0).name(), "*");

  CommandResult teardown = cluster_.Cli({"teardown", framework_id});
  EXPECT_EQ(teardown.exit_code, 0) << teardown.output;
  EXPECT_EQ(teardown.output, "Framework " + framework_id + " torn down\n");
  EXPECT_TRUE(WaitForTaskState("sleeper-0", v1::TASK_KILLED)) << cluster_.Logs();
  EXPECT_TRUE(Contains(cluster_.Cli({"framework", framework_id}).output, "torn down"));
  CommandResult again = cluster_.Cli({"teardown", framework_id});
  EXPECT_EQ(again.exit_code, 3) << again.output;
  EXPECT_TRUE(absl::StartsWith(again.output, "agora: no framework " + framework_id))
      << again.output;
}

TEST_F(CliCommandsTest, CompletedTasksNeedAllAndKeepTheirHistory) {
  CommandResult run = cluster_.Cli({"run", "--name", "once", "--command", "true"});
  ASSERT_EQ(run.exit_code, 0) << run.output << cluster_.Logs();
  EXPECT_FALSE(Contains(cluster_.Cli({"tasks"}).output, "once-0"));
  EXPECT_FALSE(Contains(cluster_.Cli({"tasks", "--active"}).output, "once-0"));
  CommandResult all = cluster_.Cli({"tasks", "--all"});
  EXPECT_TRUE(Contains(all.output, "once-0")) << all.output;
  EXPECT_TRUE(Contains(all.output, "FINISHED")) << all.output;
  // A terminal --state implies --all.
  auto finished =
      ParseJson<v1::GetTasksResponse>(cluster_.Cli({"tasks", "--state", "finished", "--json"}));
  ASSERT_EQ(finished.tasks_size(), 1);

  CommandResult task = cluster_.Cli({"task", "once-0"});
  ASSERT_EQ(task.exit_code, 0) << task.output;
  EXPECT_TRUE(Contains(task.output, "State:      FINISHED")) << task.output;
  auto json = ParseJson<v1::Task>(cluster_.Cli({"task", "once-0", "--json"}));
  ASSERT_GE(json.statuses_size(), 2) << json.DebugString();
  EXPECT_EQ(json.statuses(json.statuses_size() - 1).state(), v1::TASK_FINISHED);
  EXPECT_NE(json.statuses(0).state(), v1::TASK_FINISHED);
  // The history is in the table too, oldest first.
  size_t running = task.output.find("RUNNING");
  size_t done = task.output.rfind("FINISHED");
  EXPECT_LT(running, done) << task.output;
}

TEST_F(CliCommandsTest, ErrorsHelpAndExitCodes) {
  CommandResult unreachable =
      RunCommand({BinaryPath("agora"), "agents", "--master", "127.0.0.1:1"}, absl::Seconds(30))
          .value_or(CommandResult());
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(unreachable.output, "agora: cannot reach the master at 127.0.0.1:1"))
      << unreachable.output;
  CommandResult bad = cluster_.Cli({"drain", agent_id_, "--grace", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.output, "--grace: 'soon'")) << bad.output;
  EXPECT_EQ(cluster_.Cli({"mark-gone", agent_id_}).exit_code, 2);
  EXPECT_EQ(AgentStatus(), "ACTIVE");  // Refused before any call.
  for (const cli::CommandSpec& spec : cli::CommandSpecs()) {
    std::vector<std::string> args = absl::StrSplit(spec.name, ' ');
    args.push_back("--help");
    CommandResult help = cluster_.Cli(args);
    EXPECT_EQ(help.exit_code, 0) << spec.name;
    EXPECT_TRUE(absl::StartsWith(help.output, std::string("Usage: agora ") + spec.name))
        << help.output;
  }
  CommandResult completion = cluster_.Cli({"completion"});
  EXPECT_TRUE(Contains(completion.output, "complete -F _agora agora")) << completion.output;
}

TEST_F(CliCommandsTest, TablesFitColumnsAndUseColourOnlyOnATerminal) {
  const std::vector<std::string> agents = {BinaryPath("agora"), "agents", "--master",
                                           cluster_.master_address()};
  // Piped: whole cells, no colour.
  CommandResult piped = RunCommand(agents, absl::Seconds(30)).value_or(CommandResult());
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_TRUE(Contains(piped.output, agent_id_)) << piped.output;
  EXPECT_FALSE(Contains(piped.output, "\033[")) << piped.output;
  // COLUMNS=30: every line fits, cut cells end in an ellipsis.
  CommandResult narrow =
      RunCommand(agents, absl::Seconds(30), {"COLUMNS=30"}).value_or(CommandResult());
  ASSERT_EQ(narrow.exit_code, 0) << narrow.output;
  for (absl::string_view line : absl::StrSplit(narrow.output, '\n', absl::SkipEmpty())) {
    EXPECT_LE(cli::DisplayWidth(std::string(line)), 30u) << line;
  }
  EXPECT_TRUE(Contains(narrow.output, "\u2026")) << narrow.output;
  // On a terminal (util-linux `script` gives the command a pty): colour,
  // unless NO_COLOR is set.
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/script for a pty";
  const std::string command =
      "'" + BinaryPath("agora") + "' agents --master " + cluster_.master_address();
  CommandResult tty =
      RunCommand({"/usr/bin/script", "-qec", command, "/dev/null"}, absl::Seconds(30))
          .value_or(CommandResult());
  ASSERT_EQ(tty.exit_code, 0) << tty.output;
  EXPECT_TRUE(Contains(tty.output, "\033[32mACTIVE\033[0m")) << tty.output;
  CommandResult no_color = RunCommand({"/usr/bin/script", "-qec", command, "/dev/null"},
                                      absl::Seconds(30), {"NO_COLOR=1"})
                               .value_or(CommandResult());
  ASSERT_EQ(no_color.exit_code, 0) << no_color.output;
  EXPECT_TRUE(Contains(no_color.output, "ACTIVE")) << no_color.output;
  EXPECT_FALSE(Contains(no_color.output, "\033[")) << no_color.output;
}

// --- Commands whose master side is issue 11 part A (branch opsm). ---

TEST_F(CliCommandsTest, QuotaSetGetRemove) {
  CommandResult set =
      cluster_.Cli({"quota", "set", "eng", "--guarantee", "cpus:1;mem:128", "--limit", "cpus:2"});
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_EQ(set.output, "Quota of role eng set: guarantee cpus:1 mem:128, limit cpus:2\n");
  CommandResult get = cluster_.Cli({"quota", "get"});
  EXPECT_TRUE(Contains(get.output, "eng   cpus:1 mem:128  cpus:2")) << get.output;
  auto quotas = ParseJson<v1::GetQuotaResponse>(cluster_.Cli({"quota", "get", "--json"}));
  ASSERT_EQ(quotas.quotas_size(), 1);
  EXPECT_EQ(quotas.quotas(0).role(), "eng");
  EXPECT_TRUE(Contains(cluster_.Cli({"roles"}).output, "eng")) << cluster_.Cli({"roles"}).output;
  // More than the cluster has: refused unless forced.
  CommandResult too_much = cluster_.Cli({"quota", "set", "big", "--guarantee", "cpus:400"});
  EXPECT_EQ(too_much.exit_code, 1) << too_much.output;
  EXPECT_EQ(cluster_.Cli({"quota", "set", "big", "--guarantee", "cpus:400", "--force"}).exit_code,
            0);
  // Removing one quota works while another (forced) guarantee exceeds the
  // cluster.
  CommandResult remove = cluster_.Cli({"quota", "remove", "eng"});
  EXPECT_EQ(remove.exit_code, 0) << remove.output;
  EXPECT_EQ(remove.output, "Quota of role eng removed\n");
  CommandResult after = cluster_.Cli({"quota", "get"});
  EXPECT_FALSE(Contains(after.output, "eng")) << after.output;
  EXPECT_TRUE(Contains(after.output, "big")) << after.output;
}

TEST_F(CliCommandsTest, WeightsSetGet) {
  CommandResult set = cluster_.Cli({"weights", "set", "eng=2", "ops=0.5"});
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_EQ(set.output, "Weights set: eng=2 ops=0.5\n");
  CommandResult get = cluster_.Cli({"weights", "get"});
  EXPECT_TRUE(Contains(get.output, "eng   2")) << get.output;
  EXPECT_TRUE(Contains(get.output, "ops   0.5")) << get.output;
  auto weights = ParseJson<v1::GetWeightsResponse>(cluster_.Cli({"weights", "get", "--json"}));
  EXPECT_EQ(weights.weights_size(), 2);
}

TEST_F(CliCommandsTest, DeactivateReactivateDrainAndMarkGone) {
  CommandResult deactivate = cluster_.Cli({"deactivate", agent_id_});
  ASSERT_EQ(deactivate.exit_code, 0) << deactivate.output;
  EXPECT_EQ(AgentStatus(), "DEACTIVATED");
  EXPECT_EQ(cluster_.Cli({"reactivate", agent_id_}).exit_code, 0);
  EXPECT_EQ(AgentStatus(), "ACTIVE");
  EXPECT_EQ(cluster_.Cli({"deactivate", "no-such-agent"}).exit_code, 3);

  auto run = StartRun("drained", "sleep 600");
  ASSERT_TRUE(WaitForTaskState("drained-0", v1::TASK_RUNNING)) << cluster_.Logs();
  CommandResult drain = cluster_.Cli({"drain", agent_id_, "--grace", "1s"});
  ASSERT_EQ(drain.exit_code, 0) << drain.output;
  EXPECT_TRUE(absl::StartsWith(drain.output, "Agent " + agent_id_ + " is draining"));
  EXPECT_TRUE(WaitForTaskState("drained-0", v1::TASK_KILLED)) << cluster_.Logs();
  EXPECT_TRUE(WaitFor([&] { return AgentStatus() == "DRAINED"; }, absl::Seconds(30),
                      absl::Milliseconds(100)))
      << AgentStatus();
  EXPECT_TRUE(Contains(cluster_.Cli({"agent", agent_id_}).output, "DRAINED"));
  EXPECT_EQ(cluster_.Cli({"reactivate", agent_id_}).exit_code, 0);
  EXPECT_EQ(AgentStatus(), "ACTIVE");

  auto lost = StartRun("lost", "sleep 600");
  ASSERT_TRUE(WaitForTaskState("lost-0", v1::TASK_RUNNING)) << cluster_.Logs();
  CommandResult gone = cluster_.Cli({"mark-gone", agent_id_, "--yes"});
  ASSERT_EQ(gone.exit_code, 0) << gone.output;
  EXPECT_EQ(gone.output, "Agent " + agent_id_ + " marked gone\n");
  EXPECT_TRUE(WaitForTaskState("lost-0", v1::TASK_GONE_BY_OPERATOR)) << cluster_.Logs();
  // The master may list a gone agent as GONE or forget it (then "no agent").
  CommandResult shown = cluster_.Cli({"agent", agent_id_});
  EXPECT_TRUE(shown.exit_code == 3 || Contains(shown.output, "GONE")) << shown.output;
  EXPECT_FALSE(Contains(cluster_.Cli({"agents"}).output, "ACTIVE"));
}

TEST_F(CliCommandsTest, KillOneTask) {
  auto run = StartRun("victim", "sleep 600");
  ASSERT_TRUE(WaitForTaskState("victim-0", v1::TASK_RUNNING)) << cluster_.Logs();
  CommandResult kill = cluster_.Cli({"kill", "victim-0", "--grace", "1s"});
  ASSERT_EQ(kill.exit_code, 0) << kill.output;
  EXPECT_TRUE(WaitForTaskState("victim-0", v1::TASK_KILLED)) << cluster_.Logs();
  CommandResult task = cluster_.Cli({"task", "victim-0"});
  EXPECT_TRUE(Contains(task.output, "State:      KILLED")) << task.output;
  CommandResult unknown = cluster_.Cli({"kill", "no-such-task"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
  EXPECT_TRUE(absl::StartsWith(unknown.output, "agora: no task no-such-task")) << unknown.output;
}

TEST_F(CliCommandsTest, WatchPrintsEventsAsLinesAndJson) {
  auto json = cluster_.Spawn(
      {BinaryPath("agora"), "watch", "--json", "--master", cluster_.master_address()},
      "watch-json.log");
  auto lines = cluster_.Spawn({BinaryPath("agora"), "watch", "--master", cluster_.master_address()},
                              "watch.log");
  ASSERT_TRUE(json.ok() && lines.ok());
  auto subscribed = [](Subprocess* watch) { return Contains(watch->Log(), "SUBSCRIBED"); };
  auto ended = [&] { return !(*json)->Running() || !(*lines)->Running(); };
  ASSERT_TRUE(
      WaitFor([&] { return ended() || (subscribed(json->get()) && subscribed(lines->get())); },
              absl::Seconds(30)));
  ASSERT_FALSE(ended()) << (*json)->Log() << (*lines)->Log();

  CommandResult run = cluster_.Cli({"run", "--name", "watched", "--command", "true"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(WaitFor(
      [&] { return Contains((*lines)->Log(), "TASK_UPDATED       task watched-0 FINISHED"); },
      absl::Seconds(30)))
      << (*lines)->Log();
  bool finished = false;
  EXPECT_TRUE(WaitFor(
      [&] {
        finished = false;
        for (absl::string_view line : absl::StrSplit((*json)->Log(), '\n', absl::SkipEmpty())) {
          v1::WatchEvent event;
          if (!google::protobuf::util::JsonStringToMessage(std::string(line), &event).ok()) {
            ADD_FAILURE() << "not a WatchEvent: " << line;
            return true;
          }
          finished = finished || (event.type() == v1::WatchEvent::TASK_UPDATED &&
                                  event.task().task_id().value() == "watched-0" &&
                                  event.status().state() == v1::TASK_FINISHED);
        }
        return finished;
      },
      absl::Seconds(30)));
  EXPECT_TRUE(finished) << (*json)->Log();
  // Ctrl-C ends it.
  (*lines)->Signal(SIGINT);
  EXPECT_TRUE((*lines)->Wait(absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace agora::testing
