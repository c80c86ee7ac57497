// Agent configuration helpers: AgentOptions validation, `--attributes`
// parsing and resource detection. Pure functions except DetectResources,
// which reads /proc and statvfs.
#ifndef AGORA_AGENT_AGENT_CONFIG_HPP_
#define AGORA_AGENT_AGENT_CONFIG_HPP_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/agent.hpp"
#include "agora/v1/common.pb.h"
#include "common/resources.hpp"

namespace agora::agent {

using Attributes = google::protobuf::RepeatedPtrField<v1::Attribute>;

// Parses "name:value;name:value". A value is a scalar if it parses as a
// number, ranges if it looks like "[a-b,c-d]", a set if "{x,y}", else text.
// Empty entries are ignored. INVALID_ARGUMENT names the entry.
absl::StatusOr<Attributes> ParseAttributes(absl::string_view text);

// What the machine has, as the agent offers it by default.
struct MachineResources {
  double cpus = 0;
  double mem_mib = 0;   // Total memory.
  double disk_mib = 0;  // Size of the filesystem holding work_dir.
};
MachineResources DetectMachine(const std::string& work_dir);

// Default resources from the machine: all cpus, memory minus a reserve
// (half below 2 GiB, else 1 GiB), disk minus a reserve (half below 10 GiB,
// else 5 GiB), ports [31000-32000].
Resources DefaultResources(const MachineResources& machine);

// The agent's total resources: `flag` (Resources::Parse syntax) with every
// resource name it does not mention taken from the defaults. Errors name
// --resources.
absl::StatusOr<Resources> AgentResources(absl::string_view flag, const MachineResources& machine);

// `name` (agora-executor, agora-shim) beside /proc/self/exe.
std::string BinaryBesideSelf(const std::string& name);

}  // namespace agora::agent

#endif  // AGORA_AGENT_AGENT_CONFIG_HPP_
