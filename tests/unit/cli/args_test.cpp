#include "cli/args.hpp"

#include <map>

#include "gtest/gtest.h"

namespace agora::cli {
namespace {

ParseResult Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ParseCommandLine(args, [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
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

TEST(CliArgsTest, ListCommandsAcceptJson) {
  for (const char* command : {"tasks", "agents", "frameworks", "offers"}) {
    ParseResult r = Parse({command, "--json"});
    ASSERT_TRUE(r.proceed) << command << ": " << r.text;
    EXPECT_TRUE(r.options.json);
  }
  ParseResult r = Parse({"--json", "tasks", "--active"});
  ASSERT_TRUE(r.proceed);
  EXPECT_TRUE(r.options.active_only);
}

TEST(CliArgsTest, HelpExitsZero) {
  ParseResult main_help = Parse({"--help"});
  EXPECT_FALSE(main_help.proceed);
  EXPECT_EQ(main_help.exit_code, 0);
  EXPECT_NE(main_help.text.find("Commands:"), std::string::npos);
  ParseResult run_help = Parse({"run", "--help"});
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_NE(run_help.text.find("--instances"), std::string::npos);
  // Help wins over otherwise bad arguments on the same line.
  EXPECT_EQ(Parse({"tasks", "-h"}).exit_code, 0);
}

void ExpectError(std::vector<std::string> args, const std::string& fragment,
                 std::map<std::string, std::string> env = {}) {
  ParseResult r = Parse(args, env);
  EXPECT_FALSE(r.proceed);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.text.find(fragment), std::string::npos) << "got: " << r.text;
}

TEST(CliArgsTest, BadArgumentsNameTheProblemAndExitTwo) {
  ExpectError({}, "no command");
  ExpectError({"frob"}, "unknown command 'frob'");
  ExpectError({"tasks", "extra"}, "unexpected argument 'extra'");
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
  ExpectError({"run", "--command", "x", "--name", ""}, "--name");
  ExpectError({"run", "--command", "x", "--json"}, "--json is not valid for 'run'");
  ExpectError({"tasks", "--cpus", "1"}, "'--cpus' is only valid for 'run'");
  ExpectError({"agents", "--active"}, "--active is only valid for 'tasks'");
  ExpectError({"tasks", "--json=yes"}, "--json takes no value");
  ExpectError({"tasks", "--master", "nohost"}, "--master: 'nohost'");
  ExpectError({"tasks", "--master", "h:99999"}, "--master: 'h:99999'");
  ExpectError({"tasks"}, "AGORA_MASTER: 'bad'", {{"AGORA_MASTER", "bad"}});
  ExpectError({"tasks", "--master", "zk://h:2181"}, "--master: 'zk://h:2181' has no path");
  ExpectError({"tasks", "--master", "h:1,h"}, "--master[1]: 'h'");
}

TEST(CliArgsTest, ErrorsPointAtTheRightHelp) {
  EXPECT_NE(Parse({"run", "--cpus", "x"}).text.find("Try 'agora run --help'"), std::string::npos);
  EXPECT_NE(Parse({"frob"}).text.find("Try 'agora --help'"), std::string::npos);
}

}  // namespace
}  // namespace agora::cli
