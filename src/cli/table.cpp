#include "cli/table.hpp"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/task_state.hpp"

namespace agora::cli {
namespace {

double ScalarNamed(const google::protobuf::RepeatedPtrField<v1::Resource>& resources,
                   const std::string& name) {
  double total = 0;
  for (const v1::Resource& r : resources) {
    if (r.name() == name && r.type() == v1::Resource::SCALAR) total += r.scalar();
  }
  return total;
}

std::string UsedOfTotal(const google::protobuf::RepeatedPtrField<v1::Resource>& used,
                        const google::protobuf::RepeatedPtrField<v1::Resource>& total,
                        const std::string& name) {
  return absl::StrCat(FormatScalar(ScalarNamed(used, name)), "/",
                      FormatScalar(ScalarNamed(total, name)));
}

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

}  // namespace

std::string FormatTable(const Table& table) {
  std::vector<size_t> widths(table.headers.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i >= widths.size()) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], cells[i].size());
    }
  };
  measure(table.headers);
  for (const auto& row : table.rows) measure(row);
  auto render = [&widths](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      if (i > 0) line += "  ";
      line += cell;
      if (i + 1 < widths.size()) line.append(widths[i] - cell.size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string out = render(table.headers);
  for (const auto& row : table.rows) out += render(row);
  return out;
}

std::string FormatScalar(double value) {
  std::string text = absl::StrFormat("%.3f", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

std::string FormatResources(const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<std::string>> others;
  for (const v1::Resource& r : resources) {
    switch (r.type()) {
      case v1::Resource::SCALAR:
        scalars[r.name()] += r.scalar();
        break;
      case v1::Resource::RANGES:
        for (const v1::Range& range : r.ranges().range()) {
          others[r.name()].push_back(absl::StrCat(range.begin(), "-", range.end()));
        }
        break;
      case v1::Resource::SET:
        for (const std::string& item : r.set().item()) others[r.name()].push_back(item);
        break;
      default:
        break;
    }
  }
  std::vector<std::string> parts;
  for (const auto& [name, value] : scalars) {
    parts.push_back(absl::StrCat(name, ":", FormatScalar(value)));
  }
  for (const auto& [name, items] : others) {
    parts.push_back(absl::StrCat(name, ":[", absl::StrJoin(items, ","), "]"));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

Table TasksTable(const v1::GetTasksResponse& response) {
  Table table{{"ID", "NAME", "STATE", "FRAMEWORK", "AGENT", "CPUS", "MEM"}, {}};
  for (const v1::Task& task : response.tasks()) {
    table.rows.push_back({task.task_id().value(), OrDash(task.name()),
                          std::string(ShortStateName(task.state())),
                          OrDash(task.framework_id().value()), OrDash(task.agent_id().value()),
                          FormatScalar(ScalarNamed(task.resources(), "cpus")),
                          FormatScalar(ScalarNamed(task.resources(), "mem"))});
  }
  return table;
}

Table AgentsTable(const v1::GetAgentsResponse& response) {
  Table table{{"ID", "HOSTNAME", "ADDRESS", "STATUS", "CPUS", "MEM", "TASKS"}, {}};
  for (const v1::AgentSummary& agent : response.agents()) {
    std::string status = v1::AgentSummary::Status_Name(agent.status());
    // An admitted agent whose stream is down (its heartbeats are not yet
    // missed): say so rather than ACTIVE.
    if (agent.status() == v1::AgentSummary::ACTIVE && !agent.connected()) status = "DISCONNECTED";
    const auto& total = agent.total().empty() ? agent.info().resources() : agent.total();
    table.rows.push_back(
        {OrDash(agent.info().id().value()), OrDash(agent.info().hostname()),
         OrDash(agent.info().address()), status, UsedOfTotal(agent.allocated(), total, "cpus"),
         UsedOfTotal(agent.allocated(), total, "mem"), absl::StrCat(agent.active_tasks())});
  }
  return table;
}

Table FrameworksTable(const v1::GetFrameworksResponse& response) {
  Table table{{"ID", "NAME", "ROLES", "CONNECTED", "TASKS", "CPUS", "MEM"}, {}};
  for (const v1::FrameworkSummary& framework : response.frameworks()) {
    table.rows.push_back({OrDash(framework.info().id().value()), OrDash(framework.info().name()),
                          OrDash(absl::StrJoin(framework.info().roles(), ",")),
                          framework.connected() ? "yes" : "no",
                          absl::StrCat(framework.active_tasks()),
                          FormatScalar(ScalarNamed(framework.allocated(), "cpus")),
                          FormatScalar(ScalarNamed(framework.allocated(), "mem"))});
  }
  return table;
}

Table OffersTable(const v1::GetOffersResponse& response) {
  Table table{{"ID", "FRAMEWORK", "AGENT", "HOSTNAME", "ROLE", "RESOURCES"}, {}};
  for (const v1::Offer& offer : response.offers()) {
    table.rows.push_back({offer.id().value(), OrDash(offer.framework_id().value()),
                          OrDash(offer.agent_id().value()), OrDash(offer.hostname()),
                          OrDash(offer.allocation_role()), FormatResources(offer.resources())});
  }
  return table;
}

std::string FormatUpdateLine(const v1::TaskStatus& status) {
  std::string line = absl::StrFormat("%-20s %-12s %s", status.task_id().value(),
                                     std::string(ShortStateName(status.state())),
                                     OrDash(status.agent_id().value()));
  if (!status.message().empty()) absl::StrAppend(&line, "  ", status.message());
  return line;
}

}  // namespace agora::cli
