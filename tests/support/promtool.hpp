// `promtool check metrics` (Debian's prometheus package) for tests that scrape
// a daemon's /metrics: the exposition must parse and pass promtool's lint.
#ifndef AGORA_TESTS_SUPPORT_PROMTOOL_HPP_
#define AGORA_TESTS_SUPPORT_PROMTOOL_HPP_

#include <string>

#include "tests/support/subprocess.hpp"

namespace agora::testing {

// The installed promtool, or "" if there is none.
std::string Promtool();

// The body of an HTTP response (what follows the headers); "" if none.
std::string HttpBody(const std::string& response);

// Runs `promtool check metrics` on `exposition`, written to <dir>/<name>.prom
// first; its exit code and output (exit code -1 if it could not run).
CommandResult CheckMetrics(const std::string& promtool, const std::string& dir,
                           const std::string& name, const std::string& exposition);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_PROMTOOL_HPP_
