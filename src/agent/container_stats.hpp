// Container statistics from /proc: the CPU time, resident memory and
// process count of executors' sessions (an executor or a command task's
// shim leads its own session, and everything it starts stays in it).
//
// Isolation "none": no cgroup accounts for a container yet, so the numbers
// are sums over the session's live processes (CPU time includes what their
// reaped children used). The parser is pure; SessionStatistics scans /proc
// once for all sessions and is blocking: call it off the event loop.
#ifndef AGORA_AGENT_CONTAINER_STATS_HPP_
#define AGORA_AGENT_CONTAINER_STATS_HPP_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "agora/v1/agent.pb.h"

namespace agora::agent {

// What one /proc/PID/stat line says about a process, in clock ticks and
// pages.
struct ProcessUsage {
  char state = '?';  // 'Z' for a zombie.
  pid_t session = -1;
  uint64_t start_ticks = 0;   // Since boot.
  uint64_t user_ticks = 0;    // utime + cutime (reaped children).
  uint64_t system_ticks = 0;  // stime + cstime.
  uint64_t rss_pages = 0;
};

// Parses the content of /proc/PID/stat; false if it is not such a line.
bool ParseProcessUsage(const std::string& stat_line, ProcessUsage* usage);

// For each session (its leader's pid) -> the leader's start time: the sum
// over its live members started at or after that time (the guard against
// a recycled pid, as in SessionMembers), with `timestamp` now (seconds
// since the epoch). A session that is gone gives zeros and no processes.
std::map<pid_t, v1::ResourceStatistics> SessionStatistics(
    const std::map<pid_t, uint64_t>& sessions);

}  // namespace agora::agent

#endif  // AGORA_AGENT_CONTAINER_STATS_HPP_
