// `agora quota set|quota remove|weights set|drain|deactivate|reactivate|
// mark-gone|teardown|kill`: one write call each; one line saying what
// changed on success. The master returns once the change is committed.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/output.hpp"
#include "cli/table.hpp"

namespace agora::cli {
namespace {

// Prints `done` on success, else the error; the exit code.
template <typename Response>
int Report(OperatorClient& client, const char* call, const absl::StatusOr<Response>& response,
           const std::string& subject, const std::string& done) {
  if (!response.ok()) return ReportCallError(client, call, response.status(), subject);
  std::cout << done << std::endl;
  return kExitOk;
}

std::string GraceText(const CliOptions& options) {
  if (!options.grace_seconds.has_value()) return "each task's kill policy";
  return absl::StrCat(FormatScalar(*options.grace_seconds), "s grace");
}

}  // namespace

int RunAdminCommand(const CliOptions& options) {
  OperatorClient client(options.master);
  const std::string& id = options.arguments.front();
  const std::string agent = absl::StrCat("agent ", id);
  switch (options.command) {
    case Command::kQuotaSet: {
      v1::UpdateQuotaRequest request;
      *request.add_quotas() = options.quota;
      request.set_force(options.force);
      return Report(client, "UpdateQuota", client.UpdateQuota(request), "",
                    absl::StrCat("Quota of role ", id, " set: guarantee ",
                                 FormatResources(options.quota.guarantees()), ", limit ",
                                 FormatResources(options.quota.limits())));
    }
    case Command::kQuotaRemove: {
      v1::UpdateQuotaRequest request;
      request.add_quotas()->set_role(id);
      return Report(client, "UpdateQuota", client.UpdateQuota(request),
                    absl::StrCat("quota for role ", id),
                    absl::StrCat("Quota of role ", id, " removed"));
    }
    case Command::kWeightsSet: {
      v1::UpdateWeightsRequest request;
      std::vector<std::string> set;
      for (const v1::WeightInfo& weight : options.weights) {
        *request.add_weights() = weight;
        set.push_back(absl::StrCat(weight.role(), "=", FormatScalar(weight.weight())));
      }
      return Report(client, "UpdateWeights", client.UpdateWeights(request), "",
                    absl::StrCat("Weights set: ", absl::StrJoin(set, " ")));
    }
    case Command::kDrain: {
      v1::DrainAgentRequest request;
      request.mutable_agent_id()->set_value(id);
      request.set_grace_period_seconds(options.grace_seconds.value_or(0));
      request.set_mark_gone(options.mark_gone);
      return Report(
          client, "DrainAgent", client.DrainAgent(request), agent,
          absl::StrCat("Agent ", id, " is draining (tasks killed with ", GraceText(options), ")",
                       options.mark_gone ? "; it is marked gone once drained" : "",
                       ". Follow it with 'agora agent ", id, "'."));
    }
    case Command::kDeactivate: {
      v1::DeactivateAgentRequest request;
      request.mutable_agent_id()->set_value(id);
      return Report(
          client, "DeactivateAgent", client.DeactivateAgent(request), agent,
          absl::StrCat("Agent ", id, " deactivated: no new offers; its tasks keep running"));
    }
    case Command::kReactivate: {
      v1::ReactivateAgentRequest request;
      request.mutable_agent_id()->set_value(id);
      return Report(client, "ReactivateAgent", client.ReactivateAgent(request), agent,
                    absl::StrCat("Agent ", id, " reactivated"));
    }
    case Command::kMarkGone: {
      v1::MarkAgentGoneRequest request;
      request.mutable_agent_id()->set_value(id);
      return Report(client, "MarkAgentGone", client.MarkAgentGone(request), agent,
                    absl::StrCat("Agent ", id, " marked gone"));
    }
    case Command::kTeardown: {
      v1::TeardownFrameworkRequest request;
      request.mutable_framework_id()->set_value(id);
      return Report(client, "TeardownFramework", client.TeardownFramework(request),
                    absl::StrCat("framework ", id), absl::StrCat("Framework ", id, " torn down"));
    }
    case Command::kKill: {
      v1::KillTaskRequest request;
      request.mutable_task_id()->set_value(id);
      if (!options.framework_id.empty()) {
        request.mutable_framework_id()->set_value(options.framework_id);
      }
      request.set_grace_period_seconds(options.grace_seconds.value_or(0));
      return Report(client, "KillTask", client.KillTask(request), absl::StrCat("task ", id),
                    absl::StrCat("Kill of task ", id, " sent (", GraceText(options),
                                 "). Follow it with 'agora task ", id, "'."));
    }
    default:
      return kExitFailure;
  }
}

}  // namespace agora::cli
