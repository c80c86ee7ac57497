#include "cli/args.hpp"

#include <map>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

ParseResult Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ParseCommandLine(args, [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

CliOptions Ok(std::vector<std::string> args) {
  ParseResult r = Parse(args);
  EXPECT_TRUE(r.proceed) << r.text;
  return r.options;
}

TEST(CliArgsTest, RunWithEveryOption) {
  ParseResult r = Parse({"run", "--master", "10.0.0.1:5050", "--name", "job", "--command",
                         "echo hi", "--cpus=0.5", "--mem", "64", "--instances", "3", "--role",
                         "eng/batch", "--timeout", "30"});
  ASSERT_TRUE(r.proceed) << r.text;
  EXPECT_EQ(r.options.command, Command::kRun);
  EXPECT_EQ(r.options.master, "10.0.0.1:5050");
  EXPECT_EQ(r.options.run.name, "job");
  EXPECT_EQ(r.options.run.command, "echo hi");
  EXPECT_DOUBLE_EQ(r.options.run.cpus, 0.5);
  EXPECT_DOUBLE_EQ(r.options.run.mem, 64);
  EXPECT_EQ(r.options.run.instances, 3);
  EXPECT_EQ(r.options.run.role, "eng/batch");
  EXPECT_DOUBLE_EQ(r.options.run.timeout_seconds, 30);
}

TEST(CliArgsTest, RunWithAHealthCheck) {
  ParseResult http = Parse({"run", "--command", "serve", "--health-http", "8080/health"});
  ASSERT_TRUE(http.proceed) << http.text;
  EXPECT_EQ(http.options.run.health_http_port, 8080);
  EXPECT_EQ(http.options.run.health_http_path, "/health");
  ParseResult root = Parse({"run", "--command", "serve", "--health-http", "8080"});
  ASSERT_TRUE(root.proceed) << root.text;
  EXPECT_EQ(root.options.run.health_http_path, "/");
  ParseResult tcp = Parse({"run", "--command", "serve", "--health-tcp", "9000"});
  ASSERT_TRUE(tcp.proceed) << tcp.text;
  EXPECT_EQ(tcp.options.run.health_tcp_port, 9000);
  ParseResult cmd = Parse({"run", "--command", "serve", "--health-cmd", "test -f ready"});
  ASSERT_TRUE(cmd.proceed) << cmd.text;
  EXPECT_EQ(cmd.options.run.health_cmd, "test -f ready");
}

TEST(CliArgsTest, RunDefaults) {
  ParseResult r = Parse({"run", "--command", "true"});
  ASSERT_TRUE(r.proceed) << r.text;
  EXPECT_EQ(r.options.master, "127.0.0.1:5050");
  EXPECT_DOUBLE_EQ(r.options.run.cpus, 0.1);
  EXPECT_DOUBLE_EQ(r.options.run.mem, 32);
  EXPECT_EQ(r.options.run.instances, 1);
  EXPECT_EQ(r.options.run.role, "*");
}

TEST(CliArgsTest, MasterFromEnvironmentUnlessFlagGiven) {
  EXPECT_EQ(Parse({"tasks"}, {{"AGORA_MASTER", "h:1"}}).options.master, "h:1");
  EXPECT_EQ(Parse({"--master", "g:2", "tasks"}, {{"AGORA_MASTER", "h:1"}}).options.master, "g:2");
  EXPECT_EQ(Parse({"tasks", "--master=g:3"}).options.master, "g:3");
}

TEST(CliArgsTest, EveryReadCommandAcceptsJson) {
  const std::vector<std::vector<std::string>> reads = {
      {"cluster"},        {"agents"},    {"agent", "a-1"}, {"frameworks"}, {"framework", "f-1"},
      {"tasks"},          {"task", "t"}, {"offers"},       {"roles"},      {"quota", "get"},
      {"weights", "get"}, {"watch"}};
  for (std::vector<std::string> args : reads) {
    args.push_back("--json");
    ParseResult r = Parse(args);
    ASSERT_TRUE(r.proceed) << args[0] << ": " << r.text;
    EXPECT_TRUE(r.options.json);
  }
}

TEST(CliArgsTest, TasksDefaultsToActiveAndFiltersOnTheMaster) {
  CliOptions plain = Ok({"tasks"});
  EXPECT_EQ(plain.command, Command::kTasks);
  EXPECT_FALSE(plain.all);
  EXPECT_FALSE(Ok({"--json", "tasks", "--active"}).all);  // The old flag, now the default.
  EXPECT_TRUE(Ok({"tasks", "--all"}).all);
  CliOptions filtered =
      Ok({"tasks", "--framework", "fw-1", "--agent=ag-2", "--state", "running,STAGING"});
  EXPECT_EQ(filtered.framework_id, "fw-1");
  EXPECT_EQ(filtered.agent_id, "ag-2");
  EXPECT_EQ(filtered.states, (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_STAGING}));
  EXPECT_FALSE(filtered.all);
  // A terminal state is only in the completed history: implies --all.
  CliOptions finished = Ok({"tasks", "--state", "TASK_FINISHED", "--state", "killed"});
  EXPECT_EQ(finished.states, (std::vector<v1::TaskState>{v1::TASK_FINISHED, v1::TASK_KILLED}));
  EXPECT_TRUE(finished.all);
}

TEST(CliArgsTest, ShowCommandsTakeOneId) {
  CliOptions agent = Ok({"agent", "a-1"});
  EXPECT_EQ(agent.command, Command::kAgent);
  EXPECT_EQ(agent.arguments, std::vector<std::string>{"a-1"});
  EXPECT_EQ(Ok({"framework", "f-1"}).command, Command::kFramework);
  CliOptions task = Ok({"task", "t-1", "--framework", "f-1"});
  EXPECT_EQ(task.command, Command::kTask);
  EXPECT_EQ(task.framework_id, "f-1");
  EXPECT_EQ(Ok({"offers"}).command, Command::kOffers);
  EXPECT_EQ(Ok({"roles"}).command, Command::kRoles);
  EXPECT_EQ(Ok({"cluster"}).command, Command::kCluster);
  EXPECT_EQ(Ok({"agents"}).command, Command::kAgents);
  EXPECT_EQ(Ok({"frameworks"}).command, Command::kFrameworks);
}

TEST(CliArgsTest, QuotaCommands) {
  EXPECT_EQ(Ok({"quota", "get"}).command, Command::kQuotaGet);
  CliOptions set = Ok({"quota", "set", "eng", "--guarantee", "cpus:2;mem:1024", "--limit",
                       "cpus:4;mem:2048", "--force"});
  EXPECT_EQ(set.command, Command::kQuotaSet);
  EXPECT_EQ(set.quota.role(), "eng");
  ASSERT_EQ(set.quota.guarantees_size(), 2);
  EXPECT_EQ(set.quota.guarantees(0).name(), "cpus");
  EXPECT_DOUBLE_EQ(set.quota.guarantees(0).scalar(), 2);
  ASSERT_EQ(set.quota.limits_size(), 2);
  EXPECT_DOUBLE_EQ(set.quota.limits(1).scalar(), 2048);
  EXPECT_TRUE(set.force);
  CliOptions only_guarantee = Ok({"quota", "set", "eng", "--guarantee", "cpus:1"});
  EXPECT_EQ(only_guarantee.quota.limits_size(), 0);
  EXPECT_FALSE(only_guarantee.force);
  CliOptions remove = Ok({"quota", "remove", "eng/batch"});
  EXPECT_EQ(remove.command, Command::kQuotaRemove);
  EXPECT_EQ(remove.quota.role(), "eng/batch");
  EXPECT_EQ(remove.quota.guarantees_size() + remove.quota.limits_size(), 0);
}

TEST(CliArgsTest, WeightsCommands) {
  EXPECT_EQ(Ok({"weights", "get"}).command, Command::kWeightsGet);
  CliOptions set = Ok({"weights", "set", "eng=2", "ops=0.5"});
  EXPECT_EQ(set.command, Command::kWeightsSet);
  ASSERT_EQ(set.weights.size(), 2u);
  EXPECT_EQ(set.weights[0].role(), "eng");
  EXPECT_DOUBLE_EQ(set.weights[0].weight(), 2);
  EXPECT_EQ(set.weights[1].role(), "ops");
  EXPECT_DOUBLE_EQ(set.weights[1].weight(), 0.5);
}

TEST(CliArgsTest, AgentAdministration) {
  CliOptions drain = Ok({"drain", "a-1", "--grace", "1m30s", "--mark-gone"});
  EXPECT_EQ(drain.command, Command::kDrain);
  EXPECT_EQ(drain.arguments.front(), "a-1");
  ASSERT_TRUE(drain.grace_seconds.has_value());
  EXPECT_DOUBLE_EQ(*drain.grace_seconds, 90);
  EXPECT_TRUE(drain.mark_gone);
  CliOptions plain = Ok({"drain", "a-1"});
  EXPECT_FALSE(plain.grace_seconds.has_value());
  EXPECT_FALSE(plain.mark_gone);
  EXPECT_DOUBLE_EQ(*Ok({"drain", "a-1", "--grace=250ms"}).grace_seconds, 0.25);
  EXPECT_DOUBLE_EQ(*Ok({"drain", "a-1", "--grace", "10"}).grace_seconds, 10);
  EXPECT_EQ(Ok({"deactivate", "a-1"}).command, Command::kDeactivate);
  EXPECT_EQ(Ok({"reactivate", "a-1"}).command, Command::kReactivate);
  CliOptions gone = Ok({"mark-gone", "a-1", "--yes"});
  EXPECT_EQ(gone.command, Command::kMarkGone);
  EXPECT_TRUE(gone.yes);
}

TEST(CliArgsTest, FrameworkAndTaskAdministration) {
  CliOptions teardown = Ok({"teardown", "f-1"});
  EXPECT_EQ(teardown.command, Command::kTeardown);
  EXPECT_EQ(teardown.arguments.front(), "f-1");
  CliOptions kill = Ok({"kill", "t-1", "--framework", "f-1", "--grace", "5s"});
  EXPECT_EQ(kill.command, Command::kKill);
  EXPECT_EQ(kill.arguments.front(), "t-1");
  EXPECT_EQ(kill.framework_id, "f-1");
  EXPECT_DOUBLE_EQ(*kill.grace_seconds, 5);
}

TEST(CliArgsTest, WatchTypes) {
  EXPECT_TRUE(Ok({"watch"}).watch_types.empty());
  CliOptions watch = Ok({"watch", "--types", "task_updated,AGENT_ADDED", "--types=HEARTBEAT"});
  EXPECT_EQ(watch.watch_types, (std::vector<v1::WatchEvent::Type>{v1::WatchEvent::TASK_UPDATED,
                                                                  v1::WatchEvent::AGENT_ADDED,
                                                                  v1::WatchEvent::HEARTBEAT}));
}

TEST(CliArgsTest, HelpExitsZero) {
  ParseResult main_help = Parse({"--help"});
  EXPECT_FALSE(main_help.proceed);
  EXPECT_EQ(main_help.exit_code, 0);
  EXPECT_NE(main_help.text.find("Commands:"), std::string::npos);
  EXPECT_NE(main_help.text.find("Exit codes"), std::string::npos);
  ParseResult run_help = Parse({"run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_NE(run_help.text.find("--instances"), std::string::npos);
  // Help wins over otherwise bad arguments on the same line.
  EXPECT_EQ(Parse({"tasks", "-h"}).exit_code, 0);
  EXPECT_EQ(Parse({"agent", "--help"}).exit_code, 0);  // AGENT missing.
  ParseResult group = Parse({"quota", "--help"});
  EXPECT_EQ(group.exit_code, 0);
  EXPECT_NE(group.text.find("quota remove ROLE"), std::string::npos) << group.text;
}

TEST(CliArgsTest, EveryCommandHasHelpListingItsOptions) {
  for (const CommandSpec& spec : CommandSpecs()) {
    std::vector<std::string> args = absl::StrSplit(spec.name, ' ');
    args.push_back("--help");
    ParseResult r = Parse(args);
    EXPECT_EQ(r.exit_code, 0) << spec.name;
    EXPECT_EQ(r.text.rfind(std::string("Usage: agora ") + spec.name, 0), 0u) << r.text;
    for (const char* flag : spec.flags) {
      EXPECT_NE(r.text.find(flag), std::string::npos) << spec.name << " help lacks " << flag;
    }
    EXPECT_NE(MainHelp().find(std::string("  ") + spec.name), std::string::npos) << spec.name;
  }
}

void ExpectError(std::vector<std::string> args, const std::string& fragment,
                 std::map<std::string, std::string> env = {}) {
  ParseResult r = Parse(args, env);
  EXPECT_FALSE(r.proceed) << testing::PrintToString(args);
  EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args);
  EXPECT_NE(r.text.find(fragment), std::string::npos) << "got: " << r.text;
}

TEST(CliArgsTest, BadArgumentsNameTheProblemAndExitTwo) {
  ExpectError({}, "no command");
  ExpectError({"frob"}, "unknown command 'frob'");
  ExpectError({"tasks", "extra"}, "unexpected argument 'extra' for 'tasks'");
  ExpectError({"tasks", "--bogus"}, "unknown option '--bogus'");
  ExpectError({"tasks", "-x"}, "unknown option '-x'");
  ExpectError({"run"}, "--command is required");
  ExpectError({"run", "--command"}, "--command needs a value");
  ExpectError({"run", "--command", ""}, "--command: must not be empty");
  ExpectError({"run", "--command", "x", "--cpus", "abc"}, "--cpus: 'abc'");
  ExpectError({"run", "--command", "x", "--cpus", "0"}, "--cpus: '0'");
  ExpectError({"run", "--command", "x", "--mem", "-5"}, "--mem: '-5'");
  ExpectError({"run", "--command", "x", "--mem", "nan"}, "--mem: 'nan'");
  ExpectError({"run", "--command", "x", "--instances", "0"}, "--instances: '0'");
  ExpectError({"run", "--command", "x", "--instances", "2.5"}, "--instances: '2.5'");
  ExpectError({"run", "--command", "x", "--role", "a//b"}, "--role");
  ExpectError({"run", "--command", "x", "--timeout", "-1"}, "--timeout: '-1'");
  ExpectError({"run", "--command", "x", "--health-tcp", "0"}, "--health-tcp: '0'");
  ExpectError({"run", "--command", "x", "--health-tcp", "80/x"}, "--health-tcp: '80/x' is not");
  ExpectError({"run", "--command", "x", "--health-http", "web/"}, "--health-http: 'web/'");
  ExpectError({"run", "--command", "x", "--health-tcp", "80", "--health-cmd", "true"},
              "at most one");
  ExpectError({"run", "--command", "x", "--name", ""}, "--name");
  ExpectError({"run", "--command", "x", "--json"}, "option '--json' is not valid for 'run'");
  ExpectError({"tasks", "--cpus", "1"}, "option '--cpus' is only valid for 'run'");
  ExpectError({"agents", "--active"}, "option '--active' is only valid for 'tasks'");
  ExpectError({"tasks", "--json=yes"}, "--json takes no value");
  ExpectError({"tasks", "--master", "nohost"}, "--master: 'nohost'");
  ExpectError({"tasks", "--master", "h:99999"}, "--master: 'h:99999'");
  ExpectError({"tasks"}, "AGORA_MASTER: 'bad'", {{"AGORA_MASTER", "bad"}});
  ExpectError({"tasks", "--master", "zk://h:2181"}, "--master: 'zk://h:2181' has no path");
  ExpectError({"tasks", "--master", "h:1,h"}, "--master[1]: 'h'");
}

TEST(CliArgsTest, BadArgumentsOfTheOperatorCommands) {
  ExpectError({"tasks", "--all", "--active"}, "--active and --all exclude each other");
  ExpectError({"tasks", "--state", "SLEEPING"}, "--state: 'SLEEPING' is not a task state");
  ExpectError({"tasks", "--state", ""}, "--state: '' is empty");
  ExpectError({"tasks", "--framework", ""}, "--framework");
  ExpectError({"agent"}, "agent: AGENT is required");
  ExpectError({"agent", "a", "b"}, "unexpected argument 'b' for 'agent'");
  ExpectError({"task"}, "task: TASK is required");
  ExpectError({"framework"}, "framework: FRAMEWORK is required");
  ExpectError({"quota"}, "'quota' needs a command");
  ExpectError({"quota", "frob"}, "unknown command 'quota frob'");
  ExpectError({"quota", "set"}, "quota set: ROLE is required");
  ExpectError({"quota", "set", "eng"}, "give --guarantee, --limit or both");
  ExpectError({"quota", "set", "eng", "--guarantee", "cpus:x"}, "--guarantee: 'cpus:x'");
  ExpectError({"quota", "set", "eng", "--guarantee", "ports:[1-5]"}, "ports is not a scalar");
  ExpectError({"quota", "set", "eng", "--limit", "cpus(eng):1"}, "--limit: 'cpus(eng):1'");
  ExpectError({"quota", "set", "eng", "--guarantee", ";"}, "--guarantee: ';' names no resource");
  ExpectError({"quota", "set", "a//b", "--guarantee", "cpus:1"}, "ROLE");
  ExpectError({"quota", "remove"}, "quota remove: ROLE is required");
  ExpectError({"quota", "get", "--force"}, "option '--force' is only valid for 'quota set'");
  ExpectError({"weights", "set"}, "weights set: ROLE=WEIGHT... is required");
  ExpectError({"weights", "set", "eng"}, "ROLE=WEIGHT: 'eng' has no '='");
  ExpectError({"weights", "set", "eng=0"}, "ROLE=WEIGHT: 'eng=0' has no positive weight");
  ExpectError({"weights", "set", "eng=x"}, "ROLE=WEIGHT: 'eng=x'");
  ExpectError({"weights", "set", "a//b=1"}, "ROLE=WEIGHT");
  ExpectError({"drain"}, "drain: AGENT is required");
  ExpectError({"drain", "a-1", "--grace", "soon"}, "--grace: 'soon' is not a duration");
  ExpectError({"drain", "a-1", "--grace", "-5s"}, "--grace: '-5s' is negative");
  ExpectError({"drain", "a-1", "--grace"}, "--grace needs a value (DURATION)");
  ExpectError({"deactivate", "a-1", "--grace", "1s"}, "option '--grace' is not valid");
  ExpectError({"mark-gone", "a-1"}, "add --yes to confirm");
  ExpectError({"teardown"}, "teardown: FRAMEWORK is required");
  ExpectError({"kill"}, "kill: TASK is required");
  ExpectError({"kill", "t", "--grace", "x"}, "--grace: 'x'");
  ExpectError({"watch", "--types", "SUBSCRIBED"}, "--types: 'SUBSCRIBED' is not an event type");
  ExpectError({"watch", "--types", "BOGUS"}, "--types: 'BOGUS'");
}

TEST(CliArgsTest, ErrorsPointAtTheRightHelp) {
  EXPECT_NE(Parse({"run", "--cpus", "x"}).text.find("Try 'agora run --help'"), std::string::npos);
  EXPECT_NE(Parse({"frob"}).text.find("Try 'agora --help'"), std::string::npos);
  EXPECT_NE(Parse({"quota", "set", "eng"}).text.find("Try 'agora quota set --help'"),
            std::string::npos);
  EXPECT_NE(Parse({"--bogus", "drain", "a"}).text.find("Try 'agora drain --help'"),
            std::string::npos);
}

}  // namespace
}  // namespace agora::cli
