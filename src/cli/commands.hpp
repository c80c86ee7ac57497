// The `agora` subcommands: each takes parsed options and returns the
// process exit code (0 success, 1 failure), printing results to stdout and
// one-line errors to stderr.
#ifndef AGORA_CLI_COMMANDS_HPP_
#define AGORA_CLI_COMMANDS_HPP_

#include "cli/args.hpp"

namespace agora::cli {

// `agora tasks|agents|frameworks|offers|cluster`.
int RunListCommand(const CliOptions& options);

// `agora run`. SIGINT/SIGTERM must already be blocked in every thread (main
// does it first thing); this command waits for them on its own thread.
int RunRunCommand(const CliOptions& options);

// `agora logs TASK`: finds the task's agent through the master and prints
// the task's stdout/stderr from its sandbox (following it with -f).
int RunLogsCommand(const CliOptions& options);

}  // namespace agora::cli

#endif  // AGORA_CLI_COMMANDS_HPP_
