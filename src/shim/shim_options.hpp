// What one agora-shim run is asked to do, parsed from its command line.
//
//   agora-shim --sandbox=DIR --command=CMD [--env=NAME=VALUE]...
//              [--stdout=PATH] [--stderr=PATH] [--status=PATH] [--shell=PATH]
//              [--ready_fd=N] [--cgroup=DIR]...
//
// Every flag takes its value after '='; the value may contain anything,
// including '=' and spaces (the agent passes argv directly, no shell).
#ifndef AGORA_SHIM_SHIM_OPTIONS_HPP_
#define AGORA_SHIM_SHIM_OPTIONS_HPP_

#include <string>
#include <vector>

namespace agora::shim {

struct ShimOptions {
  // The task's working directory. Must exist; the shim does not create it.
  std::string sandbox;
  // Run as `<shell> -c <command>`.
  std::string command;
  // "NAME=VALUE" entries added to (or replacing in) the shim's environment.
  std::vector<std::string> env;
  // Appended to (created 0644 if missing). Default <sandbox>/stdout, <sandbox>/stderr.
  std::string stdout_path;
  std::string stderr_path;
  // The status file (see shim_status.hpp). Default <sandbox>/.agora-status.
  std::string status_path;
  // The shell. Default /bin/sh.
  std::string shell = "/bin/sh";
  // If set (>= 3): once the `started` record is written the shim writes "S"
  // to this descriptor and closes it ("E" after an `error` record), so its
  // starter can wait until the task's process exists.
  int ready_fd = -1;
  // Cgroup directories the shim joins (writes its pid into DIR/cgroup.procs)
  // before it starts the task, so the task's first instruction runs inside
  // them. Failing to join one is a launch failure.
  std::vector<std::string> cgroups;
};

// The usage text printed on a command-line error.
extern const char kShimUsage[];

// Parses argv (argv[0] is skipped) into `*options` with defaults filled in.
// Returns false with `*error` naming the flag and the problem.
bool ParseShimArgs(int argc, const char* const* argv, ShimOptions* options, std::string* error);

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_OPTIONS_HPP_
