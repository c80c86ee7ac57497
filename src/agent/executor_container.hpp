// Custom executors in containers: the pieces of their container treatment
// that are not the command tasks' (agent_executor_containers.cpp uses them).
//
// A custom executor (and `--command_executor=process`'s agora-executor) is
// started through agora-shim like a command task -- the shim joins the
// executor's cgroups before the executor's first instruction, rotates its
// stdout/stderr and drops to the framework's user -- and its container's
// limits are the executor's resources plus those of its live tasks, written
// again whenever a task joins or leaves.
//
// ExecutorContainerLimits and ExecutorWaitStatus are pure;
// UpdateCgroupLimits writes cgroup files (blocking: call it off the loop).
#ifndef AGORA_AGENT_EXECUTOR_CONTAINER_HPP_
#define AGORA_AGENT_EXECUTOR_CONTAINER_HPP_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/cgroups.hpp"
#include "agent/isolator.hpp"
#include "agora/v1/common.pb.h"
#include "shim/shim_status.hpp"

namespace agora::agent {

// The limits of an executor's container: `executor` plus every entry of
// `tasks` (the resources of its live tasks). Resources that do not parse
// are left out (the master validated them at launch).
ContainerLimits ExecutorContainerLimits(
    const google::protobuf::RepeatedPtrField<v1::Resource>& executor,
    const std::vector<const google::protobuf::RepeatedPtrField<v1::Resource>*>& tasks);

// The `sh -c` text agora-shim runs for an executor started as `program`
// with `argv` (argv[0] included; empty: just the program): `exec` of the
// program with argv[1..] quoted.
std::string ExecutorShellCommand(const std::string& program, const std::vector<std::string>& argv);

// The executor's own end as a wait status (waitpid's encoding), from the
// record its shim wrote: nullopt unless the record says it exited or was
// signalled.
std::optional<int> ExecutorWaitStatus(const shim::ShimStatusRead& read);

// How UpdateCgroupLimits writes cpu limits (the agent's --cgroups_enable_cfs).
struct CpuLimitOptions {
  bool enable_cfs = false;
  int64_t cfs_period_us = 100000;
};

// Rewrites the cpu and memory limits of the existing container cgroup
// `container_id` of `layout` to `limits` (mem 0 leaves memory alone). In
// cgroups v1 the memory limit and the memory+swap limit are written in the
// order the kernel accepts (the larger first when growing, the smaller
// first when shrinking). NOT_FOUND when the container has no cgroup; other
// errors name the file and the reason (a shrink below the current usage is
// refused by the kernel with EBUSY).
absl::Status UpdateCgroupLimits(const CgroupsLayout& layout, const std::string& container_id,
                                const ContainerLimits& limits, const CpuLimitOptions& cpu);

}  // namespace agora::agent

#endif  // AGORA_AGENT_EXECUTOR_CONTAINER_HPP_
