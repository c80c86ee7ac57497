// `agora agent ID`, `agora framework ID`, `agora task ID`: one object and
// what belongs to it. An id the master does not know exits kExitNotFound
// with "agora: no agent X".
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agora/task_state.hpp"
#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/output.hpp"
#include "cli/show_views.hpp"
#include "cli/terminal.hpp"

namespace agora::cli {
namespace {

int ShowAgent(const CliOptions& options, OperatorClient& client, const std::string& id) {
  absl::StatusOr<v1::GetAgentsResponse> agents = client.AllAgents();
  if (!agents.ok()) return ReportCallError(client, "GetAgents", agents.status());
  for (const v1::AgentSummary& agent : agents->agents()) {
    if (agent.info().id().value() != id) continue;
    if (options.json) return PrintJson(agent);
    v1::GetTasksRequest request;
    request.mutable_agent_id()->set_value(id);
    absl::StatusOr<v1::GetTasksResponse> tasks = client.AllTasks(request);
    if (!tasks.ok()) return ReportCallError(client, "GetTasks", tasks.status());
    std::cout << AgentText(agent, *tasks, StdoutStyle());
    return kExitOk;
  }
  return ReportNotFound(absl::StrCat("agent ", id));
}

int ShowFramework(const CliOptions& options, OperatorClient& client, const std::string& id) {
  absl::StatusOr<v1::GetFrameworksResponse> frameworks = client.AllFrameworks(true);
  if (!frameworks.ok()) return ReportCallError(client, "GetFrameworks", frameworks.status());
  const v1::FrameworkSummary* found = nullptr;
  bool completed = false;
  for (const v1::FrameworkSummary& framework : frameworks->frameworks()) {
    if (framework.info().id().value() == id) found = &framework;
  }
  for (const v1::FrameworkSummary& framework : frameworks->completed_frameworks()) {
    if (found == nullptr && framework.info().id().value() == id) {
      found = &framework;
      completed = true;
    }
  }
  if (found == nullptr) return ReportNotFound(absl::StrCat("framework ", id));
  if (options.json) return PrintJson(*found);
  v1::GetTasksRequest request;
  request.mutable_framework_id()->set_value(id);
  absl::StatusOr<v1::GetTasksResponse> tasks = client.AllTasks(request);
  if (!tasks.ok()) return ReportCallError(client, "GetTasks", tasks.status());
  std::cout << FrameworkText(*found, completed, *tasks, StdoutStyle());
  return kExitOk;
}

int ShowTask(const CliOptions& options, OperatorClient& client, const std::string& id) {
  v1::GetTasksRequest request;
  request.mutable_task_id()->set_value(id);
  request.set_include_completed(true);
  if (!options.framework_id.empty()) {
    request.mutable_framework_id()->set_value(options.framework_id);
  }
  absl::StatusOr<v1::GetTasksResponse> tasks = client.AllTasks(request);
  if (!tasks.ok()) return ReportCallError(client, "GetTasks", tasks.status());
  std::set<std::string> frameworks;
  for (const v1::Task& task : tasks->tasks()) frameworks.insert(task.framework_id().value());
  if (frameworks.empty()) {
    return ReportNotFound(options.framework_id.empty()
                              ? absl::StrCat("task ", id)
                              : absl::StrCat("task ", id, " of framework ", options.framework_id));
  }
  if (frameworks.size() > 1) {
    std::cerr << "agora: task id " << id << " is used by frameworks "
              << absl::StrJoin(frameworks, ", ") << ": pick one with --framework" << std::endl;
    return kExitFailure;
  }
  // The run that is still active, else the latest completed one (an id can
  // be reused once its task is terminal).
  const v1::Task* chosen = nullptr;
  for (const v1::Task& task : tasks->tasks()) {
    if (!IsTerminalState(task.state())) {
      chosen = &task;
      break;
    }
    if (chosen == nullptr || task.status().timestamp() > chosen->status().timestamp()) {
      chosen = &task;
    }
  }
  if (options.json) return PrintJson(*chosen);
  std::cout << TaskText(*chosen, StdoutStyle());
  return kExitOk;
}

}  // namespace

int RunShowCommand(const CliOptions& options) {
  OperatorClient client(options.master);
  const std::string& id = options.arguments.front();
  switch (options.command) {
    case Command::kAgent:
      return ShowAgent(options, client, id);
    case Command::kFramework:
      return ShowFramework(options, client, id);
    case Command::kTask:
      return ShowTask(options, client, id);
    default:
      return kExitFailure;
  }
}

}  // namespace agora::cli
