// The rows of each listing (`tasks`, `agents`, `frameworks`, `offers`,
// `roles`, `quota get`, `weights get`), from the master's answers.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/table.hpp"
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

// "RUNNING", or "RUNNING (healthy)" for a task whose health check reported.
std::string StateWithHealth(const v1::Task& task) {
  std::string state(ShortStateName(task.state()));
  if (task.status().has_healthy() && !IsTerminalState(task.state()))
    absl::StrAppend(&state, task.status().healthy() ? " (healthy)" : " (unhealthy)");
  return state;
}

}  // namespace

Table TasksTable(const v1::GetTasksResponse& response) {
  Table table{{"ID", "NAME", "STATE", "FRAMEWORK", "AGENT", "CPUS", "MEM"}, {}, 2};
  for (const v1::Task& task : response.tasks()) {
    table.rows.push_back({task.task_id().value(), OrDash(task.name()), StateWithHealth(task),
                          OrDash(task.framework_id().value()), OrDash(task.agent_id().value()),
                          FormatScalar(ScalarNamed(task.resources(), "cpus")),
                          FormatScalar(ScalarNamed(task.resources(), "mem"))});
  }
  return table;
}

Table AgentsTable(const v1::GetAgentsResponse& response) {
  Table table{{"ID", "HOSTNAME", "ADDRESS", "STATUS", "ISOLATION", "CPUS", "MEM", "TASKS"}, {}, 3};
  for (const v1::AgentSummary& agent : response.agents()) {
    std::string status = v1::AgentSummary::Status_Name(agent.status());
    // An admitted agent whose stream is down (its heartbeats are not yet
    // missed): say so rather than ACTIVE.
    if (agent.status() == v1::AgentSummary::ACTIVE && !agent.connected()) status = "DISCONNECTED";
    const auto& total = agent.total().empty() ? agent.info().resources() : agent.total();
    table.rows.push_back({OrDash(agent.info().id().value()), OrDash(agent.info().hostname()),
                          OrDash(agent.info().address()), status, OrDash(agent.info().isolation()),
                          UsedOfTotal(agent.allocated(), total, "cpus"),
                          UsedOfTotal(agent.allocated(), total, "mem"),
                          absl::StrCat(agent.active_tasks())});
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

Table RolesTable(const v1::GetRolesResponse& response) {
  Table table{
      {"ROLE", "WEIGHT", "GUARANTEE", "LIMIT", "ALLOCATED", "OFFERED", "FRAMEWORKS", "SHARE"}, {}};
  for (const v1::RoleSummary& role : response.roles()) {
    table.rows.push_back({role.name(), FormatScalar(role.weight() > 0 ? role.weight() : 1),
                          FormatResources(role.quota().guarantees()),
                          FormatResources(role.quota().limits()), FormatResources(role.allocated()),
                          FormatResources(role.offered()), absl::StrCat(role.frameworks_size()),
                          FormatScalar(role.dominant_share())});
  }
  return table;
}

Table QuotaTable(const v1::GetQuotaResponse& response) {
  Table table{{"ROLE", "GUARANTEE", "LIMIT"}, {}};
  for (const v1::QuotaConfig& quota : response.quotas()) {
    table.rows.push_back(
        {quota.role(), FormatResources(quota.guarantees()), FormatResources(quota.limits())});
  }
  return table;
}

Table WeightsTable(const v1::GetWeightsResponse& response) {
  Table table{{"ROLE", "WEIGHT"}, {}};
  for (const v1::WeightInfo& weight : response.weights()) {
    table.rows.push_back({weight.role(), FormatScalar(weight.weight())});
  }
  return table;
}

}  // namespace agora::cli
