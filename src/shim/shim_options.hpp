// What one agora-shim run is asked to do, parsed from its command line.
//
//   agora-shim --sandbox=DIR --command=CMD [--env=NAME=VALUE]...
//              [--stdout=PATH] [--stderr=PATH] [--status=PATH] [--shell=PATH]
//              [--ready_fd=N] [--cgroup=DIR]...
//              [--log_max_size=BYTES] [--log_max_files=N]
//              [--uid=N --gid=N [--groups=N,N,...]]
//
// Every flag takes its value after '='; the value may contain anything,
// including '=' and spaces (the agent passes argv directly, no shell).
#ifndef AGORA_SHIM_SHIM_OPTIONS_HPP_
#define AGORA_SHIM_SHIM_OPTIONS_HPP_

#include <sys/types.h>

#include <cstdint>
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
  // Size-capped logs (see shim_logs.hpp): with log_max_size > 0 the task
  // writes into pipes and the shim copies them into stdout_path and
  // stderr_path, rotating each at log_max_size bytes and keeping
  // log_max_files files (>= 1) per stream. 0: the task writes the files
  // directly, unbounded.
  uint64_t log_max_size = 0;
  int log_max_files = 5;
  // When set (--uid and --gid come together): the task runs as this user.
  // The shim (root) joins the cgroups, opens the sandbox and the log files,
  // gives them to uid:gid, then the task's process calls setgroups(groups),
  // setgid, setuid before it execs. Its HOME/USER/LOGNAME come in --env.
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// The usage text printed on a command-line error.
extern const char kShimUsage[];

// Parses argv (argv[0] is skipped) into `*options` with defaults filled in.
// Returns false with `*error` naming the flag and the problem.
bool ParseShimArgs(int argc, const char* const* argv, ShimOptions* options, std::string* error);

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_OPTIONS_HPP_
