// Command-line parsing of the `agora` CLI: a pure function from argv (and
// the environment) to a validated CliOptions, or to the text to print and
// the exit code (0 for --help, 2 for any bad argument).
#ifndef AGORA_CLI_ARGS_HPP_
#define AGORA_CLI_ARGS_HPP_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace agora::cli {

inline constexpr char kDefaultMaster[] = "127.0.0.1:5050";

enum class Command { kRun, kTasks, kAgents, kFrameworks, kOffers, kCluster, kLogs };

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
  // "host:port" from --master, else $AGORA_MASTER, else kDefaultMaster.
  std::string master = kDefaultMaster;
  // List commands: print the response as JSON instead of a table.
  bool json = false;
  // `agora tasks`: only active tasks (default: active and completed).
  bool active_only = false;
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
// global options (--master, --json, --help) may come before or after the
// command.
ParseResult ParseCommandLine(const std::vector<std::string>& args, const EnvGetter& getenv);

// Help texts (exposed for tests and docs).
std::string MainHelp();
std::string CommandHelp(Command command);

}  // namespace agora::cli

#endif  // AGORA_CLI_ARGS_HPP_
