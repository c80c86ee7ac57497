// Command-line parsing of the `agora` CLI: a pure function from argv (and
// the environment) to a validated CliOptions, or to the text to print and
// the exit code (0 for --help, 2 for any bad argument). The commands and the
// options each accepts come from the command table (command_specs.hpp).
#ifndef AGORA_CLI_ARGS_HPP_
#define AGORA_CLI_ARGS_HPP_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agora/v1/master.pb.h"
#include "cli/command_specs.hpp"

namespace agora::cli {

inline constexpr char kDefaultMaster[] = "127.0.0.1:5050";

// Exit codes of every command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;

// Options of `agora run`.
struct RunOptions {
  std::string name = "agora-run";
  // Shell command every task runs (required).
  std::string command;
  double cpus = 0.1;
  double mem = 32;
  int instances = 1;
  std::string role = "*";
  // Seconds before giving up (0: wait forever).
  double timeout_seconds = 0;
  // At most one health check per task (agent defaults for its timing):
  // --health-cmd CMD, --health-tcp PORT, --health-http PORT[/PATH].
  std::string health_cmd;
  int health_tcp_port = 0;
  int health_http_port = 0;
  std::string health_http_path;
};

// Options of `agora logs TASK`.
struct LogsOptions {
  std::string task_id;       // Required.
  bool stderr_file = false;  // --stderr: the task's stderr instead of stdout.
  bool follow = false;       // -f/--follow: until the task ends and its file stops growing.
  // --tail N: the last N lines; --tail NB|NKiB|NMiB: the last N bytes.
  // -1: the whole file.
  int64_t tail_lines = -1;
  int64_t tail_bytes = -1;
};

struct CliOptions {
  Command command = Command::kTasks;
  // A --master spec from --master, else $AGORA_MASTER, else kDefaultMaster.
  std::string master = kDefaultMaster;
  // Read commands: print the response as JSON instead of a table.
  bool json = false;
  // The command's positional arguments: the AGENT/FRAMEWORK/TASK/ROLE id
  // (validated as an id), or ROLE=WEIGHT words for `weights set`.
  std::vector<std::string> arguments;

  // `tasks`: include completed tasks (--all, or a terminal --state).
  bool all = false;
  // `tasks`, `task`, `kill`: --framework; `tasks`: --agent and --state.
  std::string framework_id;
  std::string agent_id;
  std::vector<v1::TaskState> states;

  // `quota set` / `quota remove`: the quota to apply (empty guarantees and
  // limits remove it); --force.
  v1::QuotaConfig quota;
  bool force = false;
  // `weights set`.
  std::vector<v1::WeightInfo> weights;
  // `drain`, `kill`: --grace in seconds (unset: each task's kill policy).
  std::optional<double> grace_seconds;
  bool mark_gone = false;
  // `mark-gone`: --yes given.
  bool yes = false;
  // `watch --types`.
  std::vector<v1::WatchEvent::Type> watch_types;

  RunOptions run;
  LogsOptions logs;
};

// What main() does next: run `options`, or print `text` and exit with
// `exit_code` (to stdout for help, stderr for errors).
struct ParseResult {
  bool proceed = false;
  int exit_code = 0;
  std::string text;
  CliOptions options;
};

// Reads the environment (AGORA_MASTER); tests pass a fake.
using EnvGetter = std::function<const char*(const char* name)>;

// `args` excludes argv[0]. Accepts "--flag value" and "--flag=value"; the
// global options (--master, --help) and every command option may come
// before or after the command words.
ParseResult ParseCommandLine(const std::vector<std::string>& args, const EnvGetter& getenv);

}  // namespace agora::cli

#endif  // AGORA_CLI_ARGS_HPP_
