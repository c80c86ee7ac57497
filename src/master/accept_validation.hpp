// Accept validation: the pure part of handling a scheduler's Accept call.
//
// Two layers, as in the protocol doc:
// - Malformed requests are rejected synchronously with INVALID_ARGUMENT
//   naming the field ("operations[0].launch.task_infos[1].command.value:
//   must not be empty"), and nothing is applied: missing or malformed ids,
//   offers of another framework or on two agents, negative/NaN resources,
//   tasks without a command, duplicate task ids within the request, offers
//   made to different allocation roles (the accept would have to charge the
//   launched tasks and the unused rest to one role), ...
// - A well-formed request is turned into an AcceptPlan: tasks that cannot run
//   get TASK_ERROR (resources exceeding what the offers hold, a task id that
//   is live already) and every task gets TASK_DROPPED when an offer is stale
//   (unknown: rescinded, expired or already used). The plan lists what to
//   launch and which resources were used.
#ifndef AGORA_MASTER_ACCEPT_VALIDATION_HPP_
#define AGORA_MASTER_ACCEPT_VALIDATION_HPP_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agora/v1/scheduler.pb.h"
#include "common/resources.hpp"

namespace agora::master {

// What the validator needs to know about an outstanding offer.
struct OfferView {
  std::string framework_id;
  std::string agent_id;
  Resources resources;
  // The role the resources are allocated to (the offer's allocation_role).
  std::string role;
};

// A task that will not run, and the update the framework gets for it.
struct RejectedTask {
  v1::TaskInfo task;
  v1::TaskState state = v1::TASK_ERROR;  // TASK_ERROR or TASK_DROPPED.
  v1::TaskStatus::Reason reason = v1::TaskStatus::REASON_TASK_INVALID;
  std::string message;
};

struct AcceptPlan {
  // Empty when no offer was valid (every task is then dropped).
  std::string agent_id;
  // The allocation role every known offer shares: the launched tasks run in
  // it and the unused rest is recovered for it.
  std::string role;
  // Known offers named by the request (consumed by the accept).
  std::vector<std::string> offer_ids;
  Resources offered;
  // Tasks to launch, with agent_id set.
  std::vector<v1::TaskInfo> launches;
  // Resources the launches use (the rest of `offered` goes back).
  Resources used;
  std::vector<RejectedTask> rejected;
};

// Returns the offer, or nullptr if the id is unknown.
using OfferLookup = std::function<const OfferView*(const std::string& offer_id)>;
// True if the framework has a live (non-terminal) task with this id.
using LiveTaskCheck = std::function<bool(const std::string& task_id)>;

// Structural validation of one TaskInfo, field names under `field`. A
// health_check is refused on a task with a custom executor (custom
// executors run their own checks) and validated by ValidateHealthCheck; the
// kill policy's grace period must be non-negative.
absl::Status ValidateTaskInfo(const v1::TaskInfo& task, const std::string& field);

// A command task's health check: type COMMAND, HTTP or TCP with the matching
// sub-message (and no other), a non-empty command, ports in [1, 65535], an
// HTTP path starting with '/' (no spaces or control characters), scheme
// "http" or empty ("https" is refused: no TLS in the agent's checks), and
// non-negative durations (zero means the default).
absl::Status ValidateHealthCheck(const v1::HealthCheck& check, const std::string& field);

// Structural validation of the request (no state needed).
absl::Status ValidateAcceptShape(const v1::AcceptRequest& request);

// Full validation and planning for `framework_id`.
absl::StatusOr<AcceptPlan> PlanAccept(const v1::AcceptRequest& request,
                                      const std::string& framework_id,
                                      const OfferLookup& find_offer,
                                      const LiveTaskCheck& is_live_task);

}  // namespace agora::master

#endif  // AGORA_MASTER_ACCEPT_VALIDATION_HPP_
