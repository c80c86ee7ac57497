// Starting the task's process: `<shell> -c <command>` as the leader of a new
// process group in the shim's session, with the given descriptors as its
// working directory, stdin, stdout and stderr, and the shim's environment
// plus --env. posix_spawn (vfork speed) when the task runs as the shim's
// user; vfork + a cgroup join + exec when the task must join a cgroup the
// shim stays out of (the v1 cpu one), which posix_spawn cannot do; fork +
// setgroups/setgid/setuid + exec under --uid/--gid.
#ifndef AGORA_SHIM_SHIM_SPAWN_HPP_
#define AGORA_SHIM_SHIM_SPAWN_HPP_

#include <sys/types.h>

#include <string>

#include "shim/shim_options.hpp"

namespace agora::shim {

// Descriptors the task gets, all above 2 (see RunShim); the caller keeps
// and closes them.
struct TaskDescriptors {
  int sandbox = -1;  // a directory: the task's working directory
  int in = -1;
  int out = -1;
  int err = -1;
  // An open cgroup.procs the task joins (writes "0" to) before it execs;
  // -1: none.
  int cgroup_procs = -1;
};

// Starts the task; true with `*pid`, else false with `*error`
// ("cannot run /bin/sh: No such file or directory", "cannot switch to uid
// 65534: Operation not permitted", "cannot join the task's cpu cgroup: ..."). Signals the shim
// ignores or catches are back to their defaults in the task, and its signal mask is empty.
bool SpawnTask(const ShimOptions& options, const TaskDescriptors& fds, pid_t* pid,
               std::string* error);

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_SPAWN_HPP_
