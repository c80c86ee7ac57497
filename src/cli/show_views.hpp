// Pure rendering of `agora agent ID`, `framework ID`, `task ID` and of the
// lines `agora watch` prints: fields as "Key:  value" lines, then a table.
#ifndef AGORA_CLI_SHOW_VIEWS_HPP_
#define AGORA_CLI_SHOW_VIEWS_HPP_

#include <string>

#include "agora/v1/master.pb.h"
#include "cli/table.hpp"

namespace agora::cli {

// Seconds since the epoch as "2026-11-30T14:50:01.123Z"; "-" for 0.
std::string FormatTimestamp(double seconds);

// The agent's fields, then its tasks (`tasks`: the GetTasks answer for it).
std::string AgentText(const v1::AgentSummary& agent, const v1::GetTasksResponse& tasks,
                      const TableStyle& style);

// The framework's fields (`completed`: it was torn down), then its tasks.
std::string FrameworkText(const v1::FrameworkSummary& framework, bool completed,
                          const v1::GetTasksResponse& tasks, const TableStyle& style);

// The task's fields, then its status history oldest first (TIME, STATE,
// SOURCE, REASON, MESSAGE).
std::string TaskText(const v1::Task& task, const TableStyle& style);

// One line of `agora watch`: "<time>  <TYPE>  <what changed>".
std::string WatchLine(const v1::WatchEvent& event);

}  // namespace agora::cli

#endif  // AGORA_CLI_SHOW_VIEWS_HPP_
