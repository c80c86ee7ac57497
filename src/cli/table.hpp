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
  // The column holding a state or status word, coloured when colour is on;
  // -1: none.
  int status_column = -1;
};

// How tables are printed: see terminal.hpp for how the CLI decides.
struct TableStyle {
  // Fit lines into this many columns (0: no limit).
  size_t width = 0;
  // ANSI colour: bold headers, status words by their meaning.
  bool colour = false;
};

// Left-aligned columns separated by two spaces, each as wide as its widest
// cell; trailing spaces trimmed; a row shorter than the header gets empty
// cells. An empty table prints only the header. With a width, the widest
// columns shrink (down to 5 characters, or their natural width) until lines
// fit, and cells too long for their column end in "…"; if the columns
// still do not fit, each line is cut at the width.
std::string FormatTable(const Table& table, const TableStyle& style = {});

// Characters a UTF-8 text takes on a terminal (one per code point).
size_t DisplayWidth(const std::string& text);
// `text` cut to `width` characters, its last one "…" when cut.
std::string Elide(const std::string& text, size_t width);
// The ANSI colour of a state or status word ("RUNNING", "FAILED", "ACTIVE",
// "DRAINING"...): green, red, yellow, or "" for none.
const char* StatusColour(const std::string& word);

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
Table RolesTable(const v1::GetRolesResponse& response);
Table QuotaTable(const v1::GetQuotaResponse& response);
Table WeightsTable(const v1::GetWeightsResponse& response);

// One `agora run` progress line: "<task>  <STATE>  <agent>  <message>".
std::string FormatUpdateLine(const v1::TaskStatus& status);

}  // namespace agora::cli

#endif  // AGORA_CLI_TABLE_HPP_
