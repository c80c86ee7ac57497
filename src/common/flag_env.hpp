// Flag defaults from the environment: AGORA_<FLAG_NAME_UPPER>=value sets
// --flag_name for a daemon, with lower precedence than the command line and
// a --flagfile (both are applied on top by gflags).
//
// Precedence, highest first: an explicit command-line flag, a flag in a
// --flagfile (read where --flagfile appears on the command line, so a later
// command-line flag still wins), the AGORA_* environment variable, the
// built-in default.
//
// EnvironmentFlags() is pure (the environment and the flag names are
// passed in); ApplyEnvironmentToFlags() is the gflags adapter main() calls
// before gflags::ParseCommandLineFlags.
#ifndef AGORA_COMMON_FLAG_ENV_HPP_
#define AGORA_COMMON_FLAG_ENV_HPP_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace agora {

// The environment variable for `flag`: "AGORA_" + upper-case flag name.
std::string FlagEnvironmentName(absl::string_view flag);

struct EnvironmentFlagsResult {
  // (flag name, value) for each AGORA_* variable naming a known flag, in
  // the order of `environ`.
  std::vector<std::pair<std::string, std::string>> assignments;
  // AGORA_* variables that name no flag of this daemon (ignored; the
  // daemon warns about them once). Variables in `ignored` are not listed.
  std::vector<std::string> unknown;
};

// Maps `environ` ("NAME=value" entries, null-terminated like ::environ) to
// flag assignments. `flags` are the daemon's flag names; `ignored` lists
// AGORA_* variables that belong to other programs (the CLI's AGORA_MASTER,
// the test harness's AGORA_BUILD_DIR, ...).
EnvironmentFlagsResult EnvironmentFlags(const char* const* environ,
                                        const std::set<std::string>& flags,
                                        const std::set<std::string>& ignored);

// Sets the default of every registered gflags flag named by an AGORA_*
// variable of this process's environment (gflags' SET_FLAGS_DEFAULT, so the
// command line and --flagfile still win; --help shows the result). gflags'
// own flags (help*, version, flagfile, fromenv, tryfromenv, undefok) are not
// taken from the environment. Unknown AGORA_* variables are reported on
// stderr as "<program>: ignoring AGORA_X (no flag --x)"; a value gflags
// refuses is INVALID_ARGUMENT naming the variable and the flag. Call before
// gflags::ParseCommandLineFlags.
absl::Status ApplyEnvironmentToFlags(absl::string_view program);

// For an error about `flag` ("name" or "--name"): " (set by AGORA_NAME)"
// when the flag's value came from the environment (the variable is set and
// neither the command line nor a flag file set the flag), else "". Lets a
// daemon say where a refused value came from.
std::string EnvironmentSourceNote(absl::string_view flag);

}  // namespace agora

#endif  // AGORA_COMMON_FLAG_ENV_HPP_
