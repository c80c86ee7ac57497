// The bash completion script is generated from the command table; the copy
// shipped in scripts/ must be that text, and it must complete as a user
// expects when bash runs it.
#include <stdio.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command_specs.hpp"
#include "gtest/gtest.h"

namespace agora::cli {
namespace {

std::string ShippedScript() {
  std::ifstream in(std::string(AGORA_SOURCE_DIR) + "/scripts/agora-completion.bash");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What bash's completion offers for the words of `line` (the last one being
// completed, possibly empty).
std::string Complete(const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  std::string array;
  for (const std::string& w : words) absl::StrAppend(&array, " '", w, "'");
  std::string script =
      absl::StrCat("source '", AGORA_SOURCE_DIR, "/scripts/agora-completion.bash'; COMP_WORDS=(",
                   array, "); COMP_CWORD=", words.size() - 1, "; _agora; echo \"${COMPREPLY[*]}\"");
  std::string command = absl::StrCat("bash -c \"$(cat <<'AGORA_EOF'\n", script, "\nAGORA_EOF\n)\"");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(CompletionTest, ShippedScriptIsTheGeneratedOne) {
  EXPECT_EQ(ShippedScript(), CompletionScript())
      << "regenerate: build/bin/agora completion > scripts/agora-completion.bash";
}

TEST(CompletionTest, ScriptNamesEveryCommandAndOption) {
  const std::string script = CompletionScript();
  for (const CommandSpec& spec : CommandSpecs()) {
    EXPECT_NE(script.find(absl::StrCat("\"", spec.name, "\") opts=")), std::string::npos)
        << spec.name;
    for (const char* flag : spec.flags) {
      EXPECT_NE(script.find(flag), std::string::npos) << flag;
    }
  }
}

TEST(CompletionTest, BashCompletesCommandsGroupsAndOptions) {
  EXPECT_EQ(Complete("agora ta"), "tasks task");
  EXPECT_EQ(Complete("agora q"), "quota");
  EXPECT_EQ(Complete("agora quota "), "get set remove --help");
  EXPECT_EQ(Complete("agora quota set eng --"), "--guarantee --limit --force --master --help");
  EXPECT_EQ(Complete("agora --master h:1 tasks --a"), "--all --active --agent");
  EXPECT_EQ(Complete("agora drain a-1 --m"), "--mark-gone --master");
  // After an option that takes a value: nothing to offer.
  EXPECT_EQ(Complete("agora tasks --framework "), "");
}

}  // namespace
}  // namespace agora::cli
