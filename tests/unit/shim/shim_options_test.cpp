#include "shim/shim_options.hpp"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::shim {
namespace {

using ::testing::ElementsAre;

bool Parse(std::vector<const char*> args, ShimOptions* options, std::string* error) {
  args.insert(args.begin(), "agora-shim");
  return ParseShimArgs(static_cast<int>(args.size()), args.data(), options, error);
}

std::string ParseError(std::vector<const char*> args) {
  ShimOptions options;
  std::string error;
  EXPECT_FALSE(Parse(args, &options, &error));
  return error;
}

TEST(ShimOptionsTest, FillsDefaultsFromTheSandbox) {
  ShimOptions options;
  std::string error;
  ASSERT_TRUE(Parse({"--sandbox=/s", "--command=echo a=b  c"}, &options, &error)) << error;
  EXPECT_EQ(options.sandbox, "/s");
  EXPECT_EQ(options.command, "echo a=b  c");
  EXPECT_EQ(options.stdout_path, "/s/stdout");
  EXPECT_EQ(options.stderr_path, "/s/stderr");
  EXPECT_EQ(options.status_path, "/s/.agora-status");
  EXPECT_EQ(options.shell, "/bin/sh");
  EXPECT_TRUE(options.env.empty());
}

TEST(ShimOptionsTest, CgroupFlagRepeatsInOrderAndMustNotBeEmpty) {
  ShimOptions options;
  std::string error;
  ASSERT_TRUE(
      Parse({"--sandbox=/s", "--command=true", "--cgroup=/cg/memory/a", "--cgroup=/cg/pids/a"},
            &options, &error))
      << error;
  EXPECT_THAT(options.cgroups, ElementsAre("/cg/memory/a", "/cg/pids/a"));
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--cgroup="}),
            "--cgroup must not be empty");
}

TEST(ShimOptionsTest, TakesEveryFlag) {
  ShimOptions options;
  std::string error;
  ASSERT_TRUE(Parse({"--sandbox=/s", "--command=", "--env=A=1", "--env=B=x=y", "--stdout=/o",
                     "--stderr=/e", "--status=/st", "--shell=/bin/bash"},
                    &options, &error))
      << error;
  EXPECT_EQ(options.command, "");
  EXPECT_THAT(options.env, ElementsAre("A=1", "B=x=y"));
  EXPECT_EQ(options.stdout_path, "/o");
  EXPECT_EQ(options.stderr_path, "/e");
  EXPECT_EQ(options.status_path, "/st");
  EXPECT_EQ(options.shell, "/bin/bash");
}

TEST(ShimOptionsTest, LogRotationAndUserFlags) {
  ShimOptions options;
  std::string error;
  ASSERT_TRUE(Parse({"--sandbox=/s", "--command=true"}, &options, &error)) << error;
  EXPECT_EQ(options.log_max_size, 0u);
  EXPECT_FALSE(options.switch_user);

  ASSERT_TRUE(Parse({"--sandbox=/s", "--command=true", "--log_max_size=1048576",
                     "--log_max_files=3", "--uid=65534", "--gid=65534", "--groups=65534,4"},
                    &options, &error))
      << error;
  EXPECT_EQ(options.log_max_size, 1048576u);
  EXPECT_EQ(options.log_max_files, 3);
  EXPECT_TRUE(options.switch_user);
  EXPECT_EQ(options.uid, 65534u);
  EXPECT_EQ(options.gid, 65534u);
  EXPECT_THAT(options.groups, ElementsAre(65534u, 4u));

  ASSERT_TRUE(Parse({"--sandbox=/s", "--command=true", "--uid=0", "--gid=0", "--groups="}, &options,
                    &error))
      << error;
  EXPECT_TRUE(options.switch_user);
  EXPECT_TRUE(options.groups.empty());
}

TEST(ShimOptionsTest, RejectsBadLogAndUserFlags) {
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--log_max_size=1MiB"}),
            "--log_max_size: '1MiB' is not a number of bytes");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--log_max_size=-1"}),
            "--log_max_size: '-1' is not a number of bytes");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--log_max_files=0"}),
            "--log_max_files: '0' is not a number in [1, 1000]");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--uid=nobody", "--gid=1"}),
            "--uid: 'nobody' is not a numeric id");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--uid=1"}),
            "--uid and --gid must be given together");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--uid=1", "--gid=1", "--groups=1,,2"}),
            "--groups: '' is not a numeric id");
}

TEST(ShimOptionsTest, RejectsBadCommandLinesNamingTheFlag) {
  EXPECT_EQ(ParseError({"--command=true"}), "--sandbox is required");
  EXPECT_EQ(ParseError({"--sandbox=/s"}), "--command is required");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--env=NOVALUE"}),
            "--env 'NOVALUE': want NAME=VALUE");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--env==1"}),
            "--env '=1': want NAME=VALUE");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--verbose=1"}),
            "unknown flag --verbose");
  EXPECT_EQ(ParseError({"--sandbox", "/s"}), "argument 1 '--sandbox': want --flag=value");
  EXPECT_EQ(ParseError({"--sandbox=/s", "--command=true", "--shell="}),
            "--shell must not be empty");
}

}  // namespace
}  // namespace agora::shim
