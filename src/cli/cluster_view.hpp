// `agora cluster`: the leader, every master contending, and what the
// cluster holds, rendered from one GetState answer (pure, unit-tested).
#ifndef AGORA_CLI_CLUSTER_VIEW_HPP_
#define AGORA_CLI_CLUSTER_VIEW_HPP_

#include <string>

#include "absl/time/time.h"
#include "agora/v1/master.pb.h"
#include "cli/table.hpp"

namespace agora::cli {

// Human text: a masters table (role, address, HTTP, id, hostname, version,
// up/leading since) and lines of counts and total vs allocated resources.
std::string ClusterText(const v1::MasterState& state, absl::Time now, const TableStyle& style = {});

// The same figures as one JSON object: leader, masters (MasterInfo JSON),
// agents, frameworks, active_tasks, completed_tasks, resources {name:
// {total, allocated}}.
std::string ClusterJson(const v1::MasterState& state);

}  // namespace agora::cli

#endif  // AGORA_CLI_CLUSTER_VIEW_HPP_
