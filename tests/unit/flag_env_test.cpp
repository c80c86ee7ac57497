// AGORA_* environment variables as flag defaults, and their precedence
// against the command line and --flagfile (real gflags parsing).
#include "common/flag_env.hpp"

#include <gflags/gflags.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

DEFINE_string(flag_env_probe, "built-in", "A flag for flag_env_test only.");
DEFINE_int32(flag_env_number, 7, "A numeric flag for flag_env_test only.");

namespace agora {
namespace {

TEST(FlagEnvTest, MapsExactUpperCaseNamesOfKnownFlags) {
  const char* environ[] = {"AGORA_OFFER_TIMEOUT=90s",
                           "AGORA_PORT=5051",
                           "AGORA_Port=1",          // Not the exact spelling.
                           "AGORA_NO_SUCH_FLAG=1",  // Unknown: reported.
                           "AGORA_MASTER=m:5050",   // Another program's: not reported.
                           "PATH=/bin",
                           "AGORA_BROKEN",
                           nullptr};
  EnvironmentFlagsResult result =
      EnvironmentFlags(environ, {"offer_timeout", "port"}, {"AGORA_MASTER"});
  std::vector<std::pair<std::string, std::string>> expected = {{"offer_timeout", "90s"},
                                                               {"port", "5051"}};
  EXPECT_EQ(result.assignments, expected);
  EXPECT_EQ(result.unknown, (std::vector<std::string>{"AGORA_Port", "AGORA_NO_SUCH_FLAG"}));
  EXPECT_EQ(FlagEnvironmentName("zk_session_timeout"), "AGORA_ZK_SESSION_TIMEOUT");
}

TEST(FlagEnvTest, AnEmptyValueIsAnAssignment) {
  const char* environ[] = {"AGORA_HOSTNAME=", nullptr};
  EnvironmentFlagsResult result = EnvironmentFlags(environ, {"hostname"}, {});
  ASSERT_EQ(result.assignments.size(), 1u);
  EXPECT_EQ(result.assignments[0].second, "");
}

// Parses `args` with gflags after applying the environment, as main() does.
void Parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  static std::string program = "flag_env_test";
  argv.push_back(program.data());
  for (std::string& arg : args) argv.push_back(arg.data());
  int argc = static_cast<int>(argv.size());
  char** data = argv.data();
  ASSERT_TRUE(ApplyEnvironmentToFlags("flag_env_test").ok());
  gflags::ParseCommandLineNonHelpFlags(&argc, &data, false);
}

class FlagEnvPrecedenceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("AGORA_FLAG_ENV_PROBE");
    unsetenv("AGORA_FLAG_ENV_NUMBER");
  }

  // Restores every flag (value, default, "set on the command line") after
  // each test.
  gflags::FlagSaver saver_;
};

TEST_F(FlagEnvPrecedenceTest, EnvironmentBeatsTheDefault) {
  setenv("AGORA_FLAG_ENV_PROBE", "from-env", 1);
  Parse({});
  EXPECT_EQ(FLAGS_flag_env_probe, "from-env");
}

TEST_F(FlagEnvPrecedenceTest, CommandLineBeatsTheEnvironment) {
  setenv("AGORA_FLAG_ENV_PROBE", "from-env", 1);
  Parse({"--flag_env_probe=from-cli"});
  EXPECT_EQ(FLAGS_flag_env_probe, "from-cli");
}

TEST_F(FlagEnvPrecedenceTest, FlagfileBeatsTheEnvironmentAndLaterFlagsBeatTheFlagfile) {
  std::string path = ::testing::TempDir() + "/flag_env_test.flags";
  {
    std::ofstream out(path);
    out << "# a comment\n--flag_env_probe=from-file\n";
  }
  setenv("AGORA_FLAG_ENV_PROBE", "from-env", 1);
  Parse({"--flagfile=" + path});
  EXPECT_EQ(FLAGS_flag_env_probe, "from-file");
  Parse({"--flagfile=" + path, "--flag_env_probe=from-cli"});
  EXPECT_EQ(FLAGS_flag_env_probe, "from-cli");
  std::remove(path.c_str());
}

TEST_F(FlagEnvPrecedenceTest, ErrorsSayWhenAValueCameFromTheEnvironment) {
  setenv("AGORA_FLAG_ENV_PROBE", "from-env", 1);
  Parse({});
  EXPECT_EQ(EnvironmentSourceNote("flag_env_probe"), " (set by AGORA_FLAG_ENV_PROBE)");
  EXPECT_EQ(EnvironmentSourceNote("--flag_env_probe"), " (set by AGORA_FLAG_ENV_PROBE)");
  EXPECT_EQ(EnvironmentSourceNote("no_such_flag"), "");
  Parse({"--flag_env_probe=from-cli"});
  EXPECT_EQ(EnvironmentSourceNote("flag_env_probe"), "");
}

TEST_F(FlagEnvPrecedenceTest, AValueOfTheWrongTypeNamesTheVariableAndTheFlag) {
  setenv("AGORA_FLAG_ENV_NUMBER", "seven", 1);
  absl::Status status = ApplyEnvironmentToFlags("flag_env_test");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "AGORA_FLAG_ENV_NUMBER (flag --flag_env_number): 'seven' is not a valid int32 value");
  EXPECT_EQ(FLAGS_flag_env_number, 7);
}

}  // namespace
}  // namespace agora
