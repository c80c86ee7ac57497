// `agora cluster|agents|frameworks|tasks|offers|roles|quota get|weights get`:
// one MasterOperator call (every page of it), printed as a table or as JSON.
#include <iostream>

#include "cli/cluster_view.hpp"
#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/output.hpp"
#include "cli/table.hpp"
#include "cli/terminal.hpp"

namespace agora::cli {
namespace {

template <typename Response>
int Print(const CliOptions& options, OperatorClient& client, const char* call,
          const absl::StatusOr<Response>& response, Table (*to_table)(const Response&)) {
  if (!response.ok()) return ReportCallError(client, call, response.status());
  if (options.json) return PrintJson(*response);
  std::cout << FormatTable(to_table(*response), StdoutStyle());
  return kExitOk;
}

}  // namespace

int RunListCommand(const CliOptions& options) {
  OperatorClient client(options.master);
  switch (options.command) {
    case Command::kTasks: {
      v1::GetTasksRequest request;
      request.set_include_completed(options.all);
      if (!options.framework_id.empty()) {
        request.mutable_framework_id()->set_value(options.framework_id);
      }
      if (!options.agent_id.empty()) request.mutable_agent_id()->set_value(options.agent_id);
      for (v1::TaskState state : options.states) request.add_states(state);
      return Print(options, client, "GetTasks", client.AllTasks(request), &TasksTable);
    }
    case Command::kAgents:
      return Print(options, client, "GetAgents", client.AllAgents(), &AgentsTable);
    case Command::kFrameworks:
      return Print(options, client, "GetFrameworks", client.AllFrameworks(false), &FrameworksTable);
    case Command::kOffers:
      return Print(options, client, "GetOffers", client.GetOffers(v1::GetOffersRequest()),
                   &OffersTable);
    case Command::kRoles:
      return Print(options, client, "GetRoles", client.GetRoles(), &RolesTable);
    case Command::kQuotaGet:
      return Print(options, client, "GetQuota", client.GetQuota(), &QuotaTable);
    case Command::kWeightsGet:
      return Print(options, client, "GetWeights", client.GetWeights(), &WeightsTable);
    case Command::kCluster: {
      absl::StatusOr<v1::MasterState> state = client.GetState();
      if (!state.ok()) return ReportCallError(client, "GetState", state.status());
      std::cout << (options.json ? ClusterJson(*state)
                                 : ClusterText(*state, absl::Now(), StdoutStyle()));
      return kExitOk;
    }
    default:
      break;
  }
  return kExitFailure;
}

int RunCommand(const CliOptions& options) {
  switch (options.command) {
    case Command::kRun:
      return RunRunCommand(options);
    case Command::kAgent:
    case Command::kFramework:
    case Command::kTask:
      return RunShowCommand(options);
    case Command::kQuotaSet:
    case Command::kQuotaRemove:
    case Command::kWeightsSet:
    case Command::kDrain:
    case Command::kDeactivate:
    case Command::kReactivate:
    case Command::kMarkGone:
    case Command::kTeardown:
    case Command::kKill:
      return RunAdminCommand(options);
    case Command::kWatch:
      return RunWatchCommand(options);
    case Command::kLogs:
      return RunLogsCommand(options);
    case Command::kCompletion:
      std::cout << CompletionScript();
      return kExitOk;
    default:
      return RunListCommand(options);
  }
}

}  // namespace agora::cli
