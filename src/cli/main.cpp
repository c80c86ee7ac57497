// agora: the operator and user CLI. See `agora --help` and docs/cli.md.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "glog/logging.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  agora::cli::ParseResult parsed =
      agora::cli::ParseCommandLine(args, [](const char* name) { return std::getenv(name); });
  if (!parsed.proceed) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.text;
    return parsed.exit_code;
  }
  // Library logs (driver reconnects...) only when something goes wrong.
  FLAGS_minloglevel = 2;
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (parsed.options.command == agora::cli::Command::kRun) {
    // Block SIGINT/SIGTERM before any thread exists so every thread
    // inherits the mask; `agora run` waits for them on a dedicated thread.
    // Other commands are short RPCs (or `watch`, which Ctrl-C ends): there
    // the signals end the process as usual.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  return agora::cli::RunCommand(parsed.options);
}
