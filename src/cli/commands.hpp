// The `agora` subcommands: each takes parsed options and returns the
// process exit code (kExitOk, kExitFailure, kExitNotFound; args.hpp),
// printing results to stdout and one-line errors to stderr.
#ifndef AGORA_CLI_COMMANDS_HPP_
#define AGORA_CLI_COMMANDS_HPP_

#include "cli/args.hpp"

namespace agora::cli {

// `agora cluster|agents|frameworks|tasks|offers|roles|quota get|weights get`
// (list_command.cpp).
int RunListCommand(const CliOptions& options);

// `agora agent ID|framework ID|task ID` (show_commands.cpp).
int RunShowCommand(const CliOptions& options);

// `agora quota set|quota remove|weights set|drain|deactivate|reactivate|
// mark-gone|teardown|kill` (admin_commands.cpp).
int RunAdminCommand(const CliOptions& options);

// `agora watch` (watch_command.cpp): until the stream ends or the process
// is interrupted.
int RunWatchCommand(const CliOptions& options);

// `agora run`. SIGINT/SIGTERM must already be blocked in every thread (main
// does it first thing); this command waits for them on its own thread.
int RunRunCommand(const CliOptions& options);

// `agora logs TASK` (logs_command.cpp): finds the task's agent through the
// master and prints the task's stdout/stderr from its sandbox (following
// it with -f).
int RunLogsCommand(const CliOptions& options);

// Runs the command `options` names (main's dispatch).
int RunCommand(const CliOptions& options);

}  // namespace agora::cli

#endif  // AGORA_CLI_COMMANDS_HPP_
