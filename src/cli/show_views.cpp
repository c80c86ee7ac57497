#include "cli/show_views.hpp"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/task_state.hpp"

namespace agora::cli {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

// "Key:        value" with values aligned.
std::string FieldLines(const Fields& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size() + 1);
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string label = key + ":";
    label.resize(width + 2, ' ');
    absl::StrAppend(&out, label, value, "\n");
  }
  return out;
}

std::string TasksSection(const char* title, const v1::GetTasksResponse& tasks,
                         const TableStyle& style) {
  if (tasks.tasks().empty()) return absl::StrCat("\n", title, ": none\n");
  return absl::StrCat("\n", title, ":\n", FormatTable(TasksTable(tasks), style));
}

std::string ReasonName(v1::TaskStatus::Reason reason) {
  if (reason == v1::TaskStatus::REASON_UNSPECIFIED) return "-";
  std::string name = v1::TaskStatus::Reason_Name(reason);
  return name.rfind("REASON_", 0) == 0 ? name.substr(7) : name;
}

std::string SourceName(v1::TaskStatus::Source source) {
  if (source == v1::TaskStatus::SOURCE_UNSPECIFIED) return "-";
  std::string name = v1::TaskStatus::Source_Name(source);
  return name.rfind("SOURCE_", 0) == 0 ? name.substr(7) : name;
}

std::string AgentStatus(const v1::AgentSummary& agent) {
  if (agent.status() == v1::AgentSummary::ACTIVE && !agent.connected()) return "DISCONNECTED";
  return v1::AgentSummary::Status_Name(agent.status());
}

}  // namespace

std::string FormatTimestamp(double seconds) {
  if (seconds <= 0) return "-";
  absl::Time time = absl::FromUnixMicros(static_cast<int64_t>(seconds * 1e6));
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string AgentText(const v1::AgentSummary& agent, const v1::GetTasksResponse& tasks,
                      const TableStyle& style) {
  const auto& total = agent.total().empty() ? agent.info().resources() : agent.total();
  std::vector<std::string> attributes;
  for (const v1::Attribute& a : agent.info().attributes()) {
    if (a.has_scalar()) {
      attributes.push_back(absl::StrCat(a.name(), ":", FormatScalar(a.scalar())));
    } else {
      attributes.push_back(absl::StrCat(a.name(), ":", a.text()));
    }
  }
  Fields fields = {
      {"Agent", agent.info().id().value()},
      {"Hostname", OrDash(agent.info().hostname())},
      {"Address", OrDash(agent.info().address())},
      {"Status", AgentStatus(agent)},
      {"Isolation", OrDash(agent.info().isolation())},
      {"Version", OrDash(agent.version())},
      {"Registered", FormatTimestamp(agent.registered_time())},
      {"Re-registered", FormatTimestamp(agent.reregistered_time())},
      {"Total", FormatResources(total)},
      {"Allocated", FormatResources(agent.allocated())},
      {"Offered", FormatResources(agent.offered())},
      {"Active tasks", absl::StrCat(agent.active_tasks())},
  };
  if (agent.unreachable_time() > 0) {
    fields.push_back({"Unreachable since", FormatTimestamp(agent.unreachable_time())});
  }
  if (!attributes.empty()) fields.push_back({"Attributes", absl::StrJoin(attributes, " ")});
  return FieldLines(fields) + TasksSection("Tasks", tasks, style);
}

std::string FrameworkText(const v1::FrameworkSummary& framework, bool completed,
                          const v1::GetTasksResponse& tasks, const TableStyle& style) {
  const v1::FrameworkInfo& info = framework.info();
  std::string state = completed               ? "torn down"
                      : framework.connected() ? "connected"
                                              : "disconnected";
  Fields fields = {
      {"Framework", info.id().value()},
      {"Name", OrDash(info.name())},
      {"State", state},
      {"Roles", OrDash(absl::StrJoin(info.roles(), ","))},
      {"User", OrDash(info.user())},
      {"Principal", OrDash(info.principal())},
      {"Registered", FormatTimestamp(framework.registered_time())},
      {"Failover timeout", absl::StrCat(FormatScalar(info.failover_timeout()), "s")},
      {"Allocated", FormatResources(framework.allocated())},
      {"Offered", FormatResources(framework.offered())},
      {"Tasks", absl::StrCat(framework.active_tasks(), " active, ", framework.completed_tasks(),
                             " completed")},
  };
  if (!completed && !framework.connected() && framework.failover_deadline() > 0) {
    fields.push_back({"Torn down at", FormatTimestamp(framework.failover_deadline())});
  }
  if (!framework.suppressed_roles().empty()) {
    fields.push_back({"Suppressed", absl::StrJoin(framework.suppressed_roles(), ",")});
  }
  return FieldLines(fields) + TasksSection("Active tasks", tasks, style);
}

std::string TaskText(const v1::Task& task, const TableStyle& style) {
  std::string command = "-";
  if (task.info().has_command()) {
    command = task.info().command().shell() ? task.info().command().value()
                                            : absl::StrJoin(task.info().command().arguments(), " ");
  } else if (task.info().has_executor()) {
    command = absl::StrCat("executor ", task.info().executor().executor_id().value());
  }
  Fields fields = {
      {"Task", task.task_id().value()},
      {"Name", OrDash(task.name())},
      {"State", std::string(ShortStateName(task.state()))},
      {"Framework", OrDash(task.framework_id().value())},
      {"Agent", OrDash(task.agent_id().value())},
      {"Executor", OrDash(task.executor_id().value())},
      {"Role", OrDash(task.role())},
      {"Resources", FormatResources(task.resources())},
      {"Command", OrDash(command)},
  };
  if (task.status().has_healthy() && !IsTerminalState(task.state()))
    fields.push_back({"Health", task.status().healthy() ? "healthy" : "unhealthy"});
  if (!task.status().message().empty()) fields.push_back({"Message", task.status().message()});
  Table history{{"TIME", "STATE", "SOURCE", "REASON", "MESSAGE"}, {}, 1};
  for (const v1::TaskStatus& status : task.statuses()) {
    history.rows.push_back(
        {FormatTimestamp(status.timestamp()), std::string(ShortStateName(status.state())),
         SourceName(status.source()), ReasonName(status.reason()), OrDash(status.message())});
  }
  return absl::StrCat(FieldLines(fields), "\nStatus history (oldest first):\n",
                      FormatTable(history, style));
}

std::string WatchLine(const v1::WatchEvent& event) {
  std::string type = v1::WatchEvent::Type_Name(event.type());
  std::string what;
  switch (event.type()) {
    case v1::WatchEvent::SUBSCRIBED: {
      const v1::MasterState& s = event.snapshot();
      what =
          absl::StrCat("master ", OrDash(s.master().address()), ": ", s.agents_size(), " agents, ",
                       s.frameworks_size(), " frameworks, ", s.tasks_size(), " active tasks");
      break;
    }
    case v1::WatchEvent::TASK_ADDED:
    case v1::WatchEvent::TASK_UPDATED: {
      const v1::Task& task = event.task();
      v1::TaskState state = event.has_status() ? event.status().state() : task.state();
      what = absl::StrCat("task ", task.task_id().value(), " ", ShortStateName(state),
                          " framework ", OrDash(task.framework_id().value()), " agent ",
                          OrDash(task.agent_id().value()));
      if (event.has_status() && !event.status().message().empty()) {
        absl::StrAppend(&what, "  ", event.status().message());
      }
      break;
    }
    case v1::WatchEvent::AGENT_ADDED:
    case v1::WatchEvent::AGENT_UPDATED:
      what = absl::StrCat("agent ", event.agent().info().id().value(), " ",
                          AgentStatus(event.agent()), " ", OrDash(event.agent().info().hostname()));
      break;
    case v1::WatchEvent::AGENT_REMOVED:
      what = absl::StrCat("agent ", event.agent_id().value().empty()
                                        ? event.agent().info().id().value()
                                        : event.agent_id().value());
      break;
    case v1::WatchEvent::FRAMEWORK_ADDED:
    case v1::WatchEvent::FRAMEWORK_UPDATED:
      what = absl::StrCat("framework ", event.framework().info().id().value(), " ",
                          OrDash(event.framework().info().name()),
                          event.framework().connected() ? " connected" : " disconnected");
      break;
    case v1::WatchEvent::FRAMEWORK_REMOVED:
      what = absl::StrCat("framework ", event.framework_id().value().empty()
                                            ? event.framework().info().id().value()
                                            : event.framework_id().value());
      break;
    default:
      break;
  }
  if (what.empty()) return absl::StrCat(FormatTimestamp(event.timestamp()), "  ", type);
  // Types padded to the longest (FRAMEWORK_UPDATED) so the details align.
  return absl::StrFormat("%s  %-17s  %s", FormatTimestamp(event.timestamp()), type, what);
}

}  // namespace agora::cli
