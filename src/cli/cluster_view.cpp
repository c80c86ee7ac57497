#include "cli/cluster_view.hpp"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/table.hpp"
#include "common/master_info_json.hpp"

namespace agora::cli {
namespace {

struct Figures {
  int agents = 0;
  int agents_active = 0;
  int frameworks = 0;
  int frameworks_connected = 0;
  // Scalar resource name -> (total, allocated), over agents that count.
  std::map<std::string, std::pair<double, double>> resources;
};

Figures Count(const v1::MasterState& state) {
  Figures f;
  for (const v1::AgentSummary& agent : state.agents()) {
    ++f.agents;
    if (agent.status() == v1::AgentSummary::ACTIVE && agent.connected()) ++f.agents_active;
    if (agent.status() == v1::AgentSummary::UNREACHABLE ||
        agent.status() == v1::AgentSummary::GONE) {
      continue;
    }
    const auto& total = agent.total().empty() ? agent.info().resources() : agent.total();
    for (const v1::Resource& r : total) {
      if (r.type() == v1::Resource::SCALAR) f.resources[r.name()].first += r.scalar();
    }
    for (const v1::Resource& r : agent.allocated()) {
      if (r.type() == v1::Resource::SCALAR) f.resources[r.name()].second += r.scalar();
    }
  }
  for (const v1::FrameworkSummary& framework : state.frameworks()) {
    ++f.frameworks;
    if (framework.connected()) ++f.frameworks_connected;
  }
  return f;
}

std::string Since(double seconds, absl::Time now) {
  if (seconds <= 0) return "-";
  absl::Duration ago = absl::Seconds(
      static_cast<int64_t>(absl::ToDoubleSeconds(now - absl::FromUnixSeconds(0)) - seconds));
  if (ago < absl::Seconds(1)) return "just now";
  return absl::StrCat(absl::FormatDuration(ago), " ago");
}

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

}  // namespace

std::string ClusterText(const v1::MasterState& state, absl::Time now, const TableStyle& style) {
  const std::string leader_id = state.master().id();
  Table masters{{"ROLE", "ADDRESS", "HTTP", "ID", "HOSTNAME", "VERSION", "STARTED"}, {}};
  auto row = [&](const v1::MasterInfo& info, const std::string& role) {
    masters.rows.push_back({role, OrDash(info.address()), OrDash(info.http_address()),
                            OrDash(info.id()), OrDash(info.hostname()),
                            OrDash(info.version().version()), Since(info.start_time(), now)});
  };
  if (state.masters().empty()) row(state.master(), "leader");
  for (const v1::MasterInfo& info : state.masters()) {
    row(info, info.id() == leader_id ? "leader" : "standby");
  }
  const Figures f = Count(state);
  std::vector<std::string> resources;
  for (const auto& [name, amounts] : f.resources) {
    resources.push_back(
        absl::StrCat(name, " ", FormatScalar(amounts.second), "/", FormatScalar(amounts.first)));
  }
  return absl::StrCat(
      "Leader: ", OrDash(state.master().address()), " (leading since ",
      Since(state.master().elected_time(), now), ")\n\n", FormatTable(masters, style), "\n",
      "Agents:      ", f.agents, " (", f.agents_active, " active and connected)\n",
      "Frameworks:  ", f.frameworks, " (", f.frameworks_connected, " connected)\n",
      "Tasks:       ", state.tasks_size(), " active, ", state.completed_tasks_size(),
      " completed\n", "Allocated:   ", resources.empty() ? "-" : absl::StrJoin(resources, "  "),
      "\n");
}

std::string ClusterJson(const v1::MasterState& state) {
  const Figures f = Count(state);
  std::vector<std::string> masters;
  for (const v1::MasterInfo& info : state.masters()) masters.push_back(MasterInfoToJson(info));
  if (masters.empty()) masters.push_back(MasterInfoToJson(state.master()));
  std::vector<std::string> resources;
  for (const auto& [name, amounts] : f.resources) {
    // Resource names are validated ([A-Za-z0-9._-]): no escaping needed.
    resources.push_back(absl::StrCat("\"", name, "\": {\"total\": ", amounts.first,
                                     ", \"allocated\": ", amounts.second, "}"));
  }
  return absl::StrCat("{\"leader\": ", MasterInfoToJson(state.master()), ",\n \"masters\": [",
                      absl::StrJoin(masters, ", "), "],\n \"agents\": ", f.agents,
                      ", \"frameworks\": ", f.frameworks,
                      ", \"active_tasks\": ", state.tasks_size(),
                      ", \"completed_tasks\": ", state.completed_tasks_size(),
                      ",\n \"resources\": {", absl::StrJoin(resources, ", "), "}}\n");
}

}  // namespace agora::cli
