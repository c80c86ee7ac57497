// Container statistics: from the container's cgroup when it has one
// (CgroupsIsolator::Usage), else from /proc -- the CPU time, resident memory
// and process count of executors' sessions (an executor or a command task's
// shim leads its own session, and everything it starts stays in it).
//
// Without a cgroup the numbers are sums over the session's live processes
// (CPU time includes what their reaped children used). The parsers are
// pure; SessionStatistics and ContainerStatistics read /proc and
// /sys/fs/cgroup and are blocking: call them off the event loop.
#ifndef AGORA_AGENT_CONTAINER_STATS_HPP_
#define AGORA_AGENT_CONTAINER_STATS_HPP_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/isolator.hpp"
#include "agora/v1/agent.pb.h"

namespace agora::agent {

// A live container as the loop knows it; its statistics are read later,
// off the loop.
struct LiveContainer {
  // Ids, pid, isolation and the limits (statistics.cpus_limit,
  // mem_limit_bytes) from the resources of the executor and its tasks.
  v1::ContainerStatus status;
  // The session leader's start time: guards the /proc scan against a
  // recycled pid (see SessionMembers).
  uint64_t start_ticks = 0;
  // Set when the container runs in a cgroup (status.container_id names
  // it). Owned by the agent, which outlives every reader (the operator
  // service and the HTTP server are stopped first).
  const CgroupsIsolator* isolator = nullptr;
};

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

// Overwrites the usage fields of `statistics` with a cgroup's figures. The
// cgroup's memory limit replaces the resources' one unless it is "none"
// (v1 reports a page-rounded INT64_MAX, v2 "max" which reads as 0).
void FillFromCgroup(const ContainerUsage& usage, v1::ResourceStatistics* statistics);

// The status of each of `live`, in order, with its statistics: from its
// cgroup when it has one that still exists (statistics_source "cgroup"),
// else from /proc ("proc"). Limits from the resources are kept where the
// source has none. Blocking.
std::vector<v1::ContainerStatus> ContainerStatistics(const std::vector<LiveContainer>& live);

}  // namespace agora::agent

#endif  // AGORA_AGENT_CONTAINER_STATS_HPP_
