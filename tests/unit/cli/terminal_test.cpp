#include "cli/terminal.hpp"

#include <map>

#include "gtest/gtest.h"

namespace agora::cli {
namespace {

EnvGetter Env(std::map<std::string, std::string> env) {
  return [env = std::move(env)](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

TEST(TerminalTest, ColourOnlyOnATerminal) {
  EXPECT_TRUE(StyleFor(true, 80, Env({})).colour);
  EXPECT_FALSE(StyleFor(false, 0, Env({})).colour);
  EXPECT_FALSE(StyleFor(false, 0, Env({{"TERM", "xterm-256color"}})).colour);
}

TEST(TerminalTest, NoColourWithNoColorSetOrADumbTerminal) {
  EXPECT_FALSE(StyleFor(true, 80, Env({{"NO_COLOR", "1"}})).colour);
  EXPECT_FALSE(StyleFor(true, 80, Env({{"TERM", "dumb"}})).colour);
  // An empty NO_COLOR does not count (https://no-color.org).
  EXPECT_TRUE(StyleFor(true, 80, Env({{"NO_COLOR", ""}})).colour);
}

TEST(TerminalTest, WidthFromColumnsElseTheTerminalElseNone) {
  EXPECT_EQ(StyleFor(true, 120, Env({})).width, 120u);
  EXPECT_EQ(StyleFor(true, 120, Env({{"COLUMNS", "60"}})).width, 60u);
  EXPECT_EQ(StyleFor(false, 0, Env({{"COLUMNS", "60"}})).width, 60u);
  // Piped output keeps whole cells for scripts.
  EXPECT_EQ(StyleFor(false, 0, Env({})).width, 0u);
  EXPECT_EQ(StyleFor(true, 100, Env({{"COLUMNS", "wide"}})).width, 100u);
  EXPECT_EQ(StyleFor(true, 100, Env({{"COLUMNS", "-3"}})).width, 100u);
}

}  // namespace
}  // namespace agora::cli
