// `agora logs` argument parsing.
#include "cli/args.hpp"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

ParseResult Parse(std::vector<std::string> args) {
  return ParseCommandLine(args, [](const char*) -> const char* { return nullptr; });
}

TEST(LogsArgsTest, TaskFollowStderrAndTailInAnyOrder) {
  ParseResult r = Parse({"logs", "-f", "job-3", "--stderr", "--tail", "20", "--master", "m:1"});
  ASSERT_TRUE(r.proceed) << r.text;
  EXPECT_EQ(r.options.command, Command::kLogs);
  EXPECT_EQ(r.options.logs.task_id, "job-3");
  EXPECT_TRUE(r.options.logs.follow);
  EXPECT_TRUE(r.options.logs.stderr_file);
  EXPECT_EQ(r.options.logs.tail_lines, 20);
  EXPECT_EQ(r.options.logs.tail_bytes, -1);
  EXPECT_EQ(r.options.master, "m:1");
}

TEST(LogsArgsTest, DefaultsToTheWholeStdout) {
  ParseResult r = Parse({"logs", "t"});
  ASSERT_TRUE(r.proceed) << r.text;
  EXPECT_FALSE(r.options.logs.follow);
  EXPECT_FALSE(r.options.logs.stderr_file);
  EXPECT_EQ(r.options.logs.tail_lines, -1);
  EXPECT_EQ(r.options.logs.tail_bytes, -1);
}

TEST(LogsArgsTest, TailInBytes) {
  EXPECT_EQ(Parse({"logs", "t", "--tail=512B"}).options.logs.tail_bytes, 512);
  EXPECT_EQ(Parse({"logs", "t", "--tail", "4KiB"}).options.logs.tail_bytes, 4096);
  ParseResult mib = Parse({"logs", "t", "--tail", "2MiB"});
  EXPECT_EQ(mib.options.logs.tail_bytes, 2 << 20);
  EXPECT_EQ(mib.options.logs.tail_lines, -1);
}

TEST(LogsArgsTest, BadArgumentsExitTwoNamingTheProblem) {
  ParseResult no_task = Parse({"logs"});
  EXPECT_EQ(no_task.exit_code, 2);
  EXPECT_NE(no_task.text.find("TASK is required"), std::string::npos) << no_task.text;
  ParseResult two = Parse({"logs", "a", "b"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.text.find("unexpected argument 'b'"), std::string::npos) << two.text;
  for (const char* tail : {"x", "-1", "10GB", "5kb", ""}) {
    ParseResult bad = Parse({"logs", "t", "--tail", tail});
    EXPECT_EQ(bad.exit_code, 2) << tail;
    EXPECT_NE(bad.text.find("--tail"), std::string::npos) << bad.text;
  }
  ParseResult json = Parse({"logs", "t", "--json"});
  EXPECT_EQ(json.exit_code, 2);
  ParseResult elsewhere = Parse({"tasks", "-f"});
  EXPECT_EQ(elsewhere.exit_code, 2);
  EXPECT_NE(elsewhere.text.find("only valid for 'logs'"), std::string::npos) << elsewhere.text;
}

TEST(LogsArgsTest, HelpDescribesFollowAndTail) {
  ParseResult help = Parse({"logs", "--help"});
  EXPECT_TRUE(!help.proceed && help.exit_code == 0);
  EXPECT_NE(help.text.find("--follow"), std::string::npos);
  EXPECT_NE(help.text.find("--tail"), std::string::npos);
  EXPECT_NE(MainHelp().find("logs"), std::string::npos);
}

}  // namespace
}  // namespace agora::cli
