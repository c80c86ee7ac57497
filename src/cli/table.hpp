// Pure rendering for the `agora` CLI: aligned text tables, the rows of each
// list command, and the line printed per task state change by `agora run`.
#ifndef AGORA_CLI_TABLE_HPP_
#define AGORA_CLI_TABLE_HPP_

#include <string>
#include <vector>

#include "agora/v1/master.pb.h"

namespace agora::cli {

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
};

// Left-aligned columns separated by two spaces, each as wide as its widest
// cell; trailing spaces trimmed; a row shorter than the header gets empty
// cells. An empty table prints only the header.
std::string FormatTable(const Table& table);

// Scalars as printed in tables: "0.1", "2", "1.5" (at most 3 decimals, no
// trailing zeros).
std::string FormatScalar(double value);

// "cpus:0.5 mem:64 ..." for a list of resources (scalars summed per name,
// ranges as [a-b,...]).
std::string FormatResources(const google::protobuf::RepeatedPtrField<v1::Resource>& resources);

Table TasksTable(const v1::GetTasksResponse& response);
Table AgentsTable(const v1::GetAgentsResponse& response);
Table FrameworksTable(const v1::GetFrameworksResponse& response);
Table OffersTable(const v1::GetOffersResponse& response);

// One `agora run` progress line: "<task>  <STATE>  <agent>  <message>".
std::string FormatUpdateLine(const v1::TaskStatus& status);

}  // namespace agora::cli

#endif  // AGORA_CLI_TABLE_HPP_
