#include "common/flag_env.hpp"

#include <gflags/gflags.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace agora {
namespace {

constexpr absl::string_view kPrefix = "AGORA_";

// gflags' own flags: reading them from the environment would make a stray
// AGORA_HELP=1 print help instead of starting the daemon.
const std::set<std::string>& GflagsOwnFlags() {
  static const auto* flags = new std::set<std::string>{
      "help",        "helpfull", "helpshort", "helpxml", "helpon",     "helpmatch",
      "helppackage", "version",  "flagfile",  "fromenv", "tryfromenv", "undefok"};
  return *flags;
}

// AGORA_* variables other Agora programs read (the CLI, executors, tests).
const std::set<std::string>& OtherProgramsVariables() {
  static const auto* names = new std::set<std::string>{
      "AGORA_MASTER",  // The CLI's master (the agent's --master uses it too).
      "AGORA_AGENT_ENDPOINT", "AGORA_AGENT_ID", "AGORA_CHECKPOINT", "AGORA_EXECUTOR_ID",
      "AGORA_FRAMEWORK_ID", "AGORA_SANDBOX", "AGORA_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
      "AGORA_RECOVERY_TIMEOUT", "AGORA_BUILD_DIR", "AGORA_LIBFUZZER", "AGORA_FUZZ_STRICT",
      "AGORA_CONFORMANCE_KEEP", "AGORA_CONFORMANCE_STRICT",
      // The packages' /etc/default/agora-* command lines (systemd units).
      "AGORA_MASTER_FLAGS", "AGORA_AGENT_FLAGS"};
  return *names;
}

}  // namespace

std::string FlagEnvironmentName(absl::string_view flag) {
  return absl::StrCat(kPrefix, absl::AsciiStrToUpper(flag));
}

EnvironmentFlagsResult EnvironmentFlags(const char* const* environ,
                                        const std::set<std::string>& flags,
                                        const std::set<std::string>& ignored) {
  EnvironmentFlagsResult result;
  for (const char* const* entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    if (!absl::StartsWith(text, kPrefix)) continue;
    size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    std::string name(text.substr(0, equals));
    std::string flag = absl::AsciiStrToLower(absl::string_view(name).substr(kPrefix.size()));
    // Only the exact upper-case spelling maps: AGORA_Port is not AGORA_PORT.
    if (flags.count(flag) > 0 && FlagEnvironmentName(flag) == name) {
      result.assignments.emplace_back(flag, std::string(text.substr(equals + 1)));
    } else if (ignored.count(name) == 0) {
      result.unknown.push_back(name);
    }
  }
  return result;
}

absl::Status ApplyEnvironmentToFlags(absl::string_view program) {
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  std::set<std::string> flags;
  for (const auto& info : all) {
    if (GflagsOwnFlags().count(info.name) == 0) flags.insert(info.name);
  }
  EnvironmentFlagsResult result = EnvironmentFlags(environ, flags, OtherProgramsVariables());
  for (const auto& [flag, value] : result.assignments) {
    std::string set = gflags::SetCommandLineOptionWithMode(flag.c_str(), value.c_str(),
                                                           gflags::SET_FLAGS_DEFAULT);
    if (set.empty()) {
      gflags::CommandLineFlagInfo info;
      gflags::GetCommandLineFlagInfo(flag.c_str(), &info);
      return absl::InvalidArgumentError(absl::StrCat(FlagEnvironmentName(flag), " (flag --", flag,
                                                     "): '", value, "' is not a valid ", info.type,
                                                     " value"));
    }
  }
  if (!result.unknown.empty()) {
    std::fprintf(stderr, "%s: ignoring %s (no such flag)\n", std::string(program).c_str(),
                 absl::StrJoin(result.unknown, ", ").c_str());
  }
  return absl::OkStatus();
}

std::string EnvironmentSourceNote(absl::string_view flag) {
  absl::ConsumePrefix(&flag, "--");
  std::string name(flag);
  gflags::CommandLineFlagInfo info;
  if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info) || !info.is_default) return "";
  if (std::getenv(FlagEnvironmentName(name).c_str()) == nullptr) return "";
  return absl::StrCat(" (set by ", FlagEnvironmentName(name), ")");
}

}  // namespace agora
