// `agora tasks|agents|frameworks|offers|cluster`: one MasterOperator call,
// printed as a table or as JSON.
#include <iostream>

#include "cli/cluster_view.hpp"
#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/table.hpp"
#include "google/protobuf/util/json_util.h"

namespace agora::cli {
namespace {

template <typename Response>
int Print(const CliOptions& options, OperatorClient& client, const char* call,
          const absl::StatusOr<Response>& response, Table (*to_table)(const Response&)) {
  if (!response.ok()) {
    std::cerr << "agora: " << DescribeCallError(client.master(), call, response.status())
              << std::endl;
    return 1;
  }
  if (options.json) {
    google::protobuf::util::JsonPrintOptions json;
    json.add_whitespace = true;
    json.preserve_proto_field_names = true;
    std::string text;
    if (auto status = google::protobuf::util::MessageToJsonString(*response, &text, json);
        !status.ok()) {
      std::cerr << "agora: cannot print JSON: " << status.ToString() << std::endl;
      return 1;
    }
    std::cout << text;
    if (text.empty() || text.back() != '\n') std::cout << "\n";
    return 0;
  }
  std::cout << FormatTable(to_table(*response));
  return 0;
}

}  // namespace

int RunListCommand(const CliOptions& options) {
  OperatorClient client(options.master);
  switch (options.command) {
    case Command::kTasks: {
      v1::GetTasksRequest request;
      request.mutable_page()->set_limit(10000);
      request.set_include_completed(!options.active_only);
      return Print(options, client, "GetTasks", client.GetTasks(request), &TasksTable);
    }
    case Command::kAgents: {
      v1::GetAgentsRequest request;
      request.mutable_page()->set_limit(10000);
      return Print(options, client, "GetAgents", client.GetAgents(request), &AgentsTable);
    }
    case Command::kFrameworks: {
      v1::GetFrameworksRequest request;
      request.mutable_page()->set_limit(10000);
      return Print(options, client, "GetFrameworks", client.GetFrameworks(request),
                   &FrameworksTable);
    }
    case Command::kOffers:
      return Print(options, client, "GetOffers", client.GetOffers(v1::GetOffersRequest()),
                   &OffersTable);
    case Command::kCluster: {
      absl::StatusOr<v1::MasterState> state = client.GetState();
      if (!state.ok()) {
        std::cerr << "agora: " << DescribeCallError(client.master(), "GetState", state.status())
                  << std::endl;
        return 1;
      }
      std::cout << (options.json ? ClusterJson(*state) : ClusterText(*state, absl::Now()));
      return 0;
    }
    case Command::kRun:
    case Command::kLogs:
      break;
  }
  return 1;
}

}  // namespace agora::cli
