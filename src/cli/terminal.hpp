// How the CLI prints tables on this stdout: as wide as the terminal and in
// colour only on a terminal, never with NO_COLOR set (https://no-color.org)
// or TERM=dumb. Piped output keeps every character (no width limit) so
// scripts see whole ids.
#ifndef AGORA_CLI_TERMINAL_HPP_
#define AGORA_CLI_TERMINAL_HPP_

#include "cli/args.hpp"
#include "cli/table.hpp"

namespace agora::cli {

// Pure: `is_tty` and `tty_columns` (0 if unknown) describe stdout. Width:
// $COLUMNS if it is a positive number, else the terminal's, else none
// (also when stdout is not a terminal and COLUMNS is unset).
TableStyle StyleFor(bool is_tty, int tty_columns, const EnvGetter& getenv);

// StyleFor() the process's stdout and environment.
TableStyle StdoutStyle();

}  // namespace agora::cli

#endif  // AGORA_CLI_TERMINAL_HPP_
