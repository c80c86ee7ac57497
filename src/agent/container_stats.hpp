// Container statistics from /proc: the CPU time, resident memory and
// process count of an executor's session (an executor or a command task's
// shim leads its own session, and everything it starts stays in it).
//
// Isolation "none": no cgroup accounts for the container yet, so the
// numbers are the sum over the session's live processes (CPU time includes
// what their reaped children used). The parser is pure; SessionStatistics
// scans /proc and is blocking: call it off the event loop.
#ifndef AGORA_AGENT_CONTAINER_STATS_HPP_
#define AGORA_AGENT_CONTAINER_STATS_HPP_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "agora/v1/agent.pb.h"

namespace agora::agent {

// What one /proc/PID/stat line says about a process's resource use, in
// clock ticks and pages.
struct ProcessUsage {
  uint64_t user_ticks = 0;    // utime + cutime (reaped children).
  uint64_t system_ticks = 0;  // stime + cstime.
  uint64_t rss_pages = 0;
};

// Parses the content of /proc/PID/stat; false if it is not such a line.
bool ParseProcessUsage(const std::string& stat_line, ProcessUsage* usage);

// Sums the usage of the live members of `session` started at or after
// `min_start_ticks` (see SessionMembers); `timestamp` is now (seconds since
// the epoch). A session that is gone gives zeros and no processes.
v1::ResourceStatistics SessionStatistics(pid_t session, uint64_t min_start_ticks);

}  // namespace agora::agent

#endif  // AGORA_AGENT_CONTAINER_STATS_HPP_
