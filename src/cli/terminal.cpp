#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"

namespace agora::cli {

TableStyle StyleFor(bool is_tty, int tty_columns, const EnvGetter& getenv) {
  auto env = [&getenv](const char* name) -> std::string {
    const char* value = getenv ? getenv(name) : nullptr;
    return value == nullptr ? "" : value;
  };
  TableStyle style;
  int columns = 0;
  if (absl::SimpleAtoi(env("COLUMNS"), &columns) && columns > 0) {
    style.width = static_cast<size_t>(columns);
  } else if (is_tty && tty_columns > 0) {
    style.width = static_cast<size_t>(tty_columns);
  }
  style.colour = is_tty && env("NO_COLOR").empty() && env("TERM") != "dumb";
  return style;
}

TableStyle StdoutStyle() {
  const bool is_tty = isatty(STDOUT_FILENO) == 1;
  winsize size{};
  int columns = 0;
  if (is_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) columns = size.ws_col;
  return StyleFor(is_tty, columns, [](const char* name) { return std::getenv(name); });
}

}  // namespace agora::cli
