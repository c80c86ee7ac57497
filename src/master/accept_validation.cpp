#include "master/accept_validation.hpp"

#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/ids.hpp"
#include "common/validation.hpp"

namespace agora::master {
namespace {

absl::Status ValidateCommand(const v1::CommandInfo& command, const std::string& field) {
  if (command.value().empty()) {
    return InvalidField(SubField(field, "value"),
                        command.shell() ? "must not be empty (the shell command to run)"
                                        : "must not be empty (the program to run)");
  }
  for (int i = 0; i < command.environment().variables_size(); ++i) {
    if (command.environment().variables(i).name().empty()) {
      return InvalidField(
          IndexedField(SubField(SubField(field, "environment"), "variables"), i) + ".name",
          "must not be empty");
    }
  }
  return absl::OkStatus();
}

// Resources of the task plus, for a custom executor, the executor's.
absl::StatusOr<Resources> TaskResources(const v1::TaskInfo& task, const std::string& field) {
  auto resources = Resources::FromProto(task.resources(), SubField(field, "resources"));
  if (!resources.ok()) return resources.status();
  if (task.has_executor()) {
    auto executor = Resources::FromProto(task.executor().resources(),
                                         SubField(SubField(field, "executor"), "resources"));
    if (!executor.ok()) return executor.status();
    *resources += *executor;
  }
  return resources;
}

absl::Status ValidatePort(uint32_t port, const std::string& field) {
  if (port < 1 || port > 65535) {
    return InvalidField(field, absl::StrCat("must be a port in [1, 65535] (got ", port, ")"));
  }
  return absl::OkStatus();
}

// The sub-messages of a health check other than the one of its type.
absl::Status OnlyTypeSubMessage(const v1::HealthCheck& check, const std::string& field) {
  struct SubMessage {
    const char* name;
    bool set;
    v1::HealthCheck::Type type;
  };
  for (const SubMessage& sub :
       {SubMessage{"command", check.has_command(), v1::HealthCheck::COMMAND},
        SubMessage{"http", check.has_http(), v1::HealthCheck::HTTP},
        SubMessage{"tcp", check.has_tcp(), v1::HealthCheck::TCP}}) {
    if (sub.set && sub.type != check.type()) {
      return InvalidField(
          SubField(field, sub.name),
          absl::StrCat("set, but type is ", v1::HealthCheck::Type_Name(check.type()),
                       "; set only the sub-message of the check's type"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHttpCheck(const v1::HealthCheck::HTTPCheckInfo& http,
                               const std::string& field) {
  if (!http.scheme().empty() && http.scheme() != "http") {
    return InvalidField(SubField(field, "scheme"),
                        http.scheme() == "https"
                            ? "https is not supported: the agent's HTTP health checks speak "
                              "plain HTTP (use \"http\" or a TCP check)"
                            : "must be \"http\" (or empty)");
  }
  if (auto s = ValidatePort(http.port(), SubField(field, "port")); !s.ok()) return s;
  if (!http.path().empty() && http.path()[0] != '/')
    return InvalidField(SubField(field, "path"), "must start with '/'");
  for (char c : http.path()) {
    if (c <= ' ' || c == 0x7f) {
      return InvalidField(SubField(field, "path"),
                          "must not contain spaces or control characters (escape them)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHealthCheck(const v1::HealthCheck& check, const std::string& field) {
  switch (check.type()) {
    case v1::HealthCheck::COMMAND:
      if (!check.has_command())
        return InvalidField(SubField(field, "command"), "required for a COMMAND check");
      if (auto s = ValidateCommand(check.command(), SubField(field, "command")); !s.ok()) return s;
      break;
    case v1::HealthCheck::HTTP:
      if (!check.has_http())
        return InvalidField(SubField(field, "http"), "required for an HTTP check");
      if (auto s = ValidateHttpCheck(check.http(), SubField(field, "http")); !s.ok()) return s;
      break;
    case v1::HealthCheck::TCP:
      if (!check.has_tcp()) return InvalidField(SubField(field, "tcp"), "required for a TCP check");
      if (auto s = ValidatePort(check.tcp().port(), SubField(field, "tcp.port")); !s.ok()) return s;
      break;
    default:
      return InvalidField(SubField(field, "type"), "must be COMMAND, HTTP or TCP");
  }
  if (auto s = OnlyTypeSubMessage(check, field); !s.ok()) return s;
  // Zero means "the default" for each of them (see common.proto).
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"delay_seconds", check.delay_seconds()},
        {"interval_seconds", check.interval_seconds()},
        {"timeout_seconds", check.timeout_seconds()},
        {"grace_period_seconds", check.grace_period_seconds()}}) {
    if (auto s = ValidateNonNegative(SubField(field, name), value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {

// ValidateTaskInfo; when `resources` is not null, a valid task's resources
// (TaskResources) are left there, so the planner does not parse them again.
absl::Status CheckTaskInfo(const v1::TaskInfo& task, const std::string& field,
                           Resources* resources_out) {
  if (auto s = ValidateText(SubField(field, "name"), task.name(), 255, true); !s.ok()) return s;
  if (!task.has_task_id()) return InvalidField(SubField(field, "task_id"), "required");
  if (auto s = ValidateId(SubField(field, "task_id"), task.task_id().value()); !s.ok()) return s;
  if (task.resources_size() == 0) {
    return InvalidField(SubField(field, "resources"), "a task needs at least one resource");
  }
  auto resources = TaskResources(task, field);
  if (!resources.ok()) return resources.status();
  if (resources->empty()) {
    return InvalidField(SubField(field, "resources"),
                        "a task needs at least one positive resource");
  }
  if (task.has_command() && task.has_executor()) {
    return InvalidField(SubField(field, "executor"),
                        "set either command (command executor) or executor, not both");
  }
  if (!task.has_command() && !task.has_executor()) {
    return InvalidField(SubField(field, "command"), "required (or set executor)");
  }
  // The field's name (past std::string's inline capacity) only for an error.
  if (const double grace = task.kill_policy().grace_period_seconds();
      !std::isfinite(grace) || grace < 0) {
    return ValidateNonNegative(SubField(field, "kill_policy.grace_period_seconds"), grace);
  }
  if (task.has_health_check()) {
    const std::string check = SubField(field, "health_check");
    if (task.has_executor()) {
      return InvalidField(check,
                          "only command tasks get health checks from the agent; custom executors "
                          "run their own health checks");
    }
    if (auto s = ValidateHealthCheck(task.health_check(), check); !s.ok()) return s;
  }
  if (task.has_command()) {
    if (auto s = ValidateCommand(task.command(), SubField(field, "command")); !s.ok()) return s;
  } else {
    const std::string executor = SubField(field, "executor");
    if (auto s =
            ValidateId(SubField(executor, "executor_id"), task.executor().executor_id().value());
        !s.ok())
      return s;
    if (auto s = ValidateCommand(task.executor().command(), SubField(executor, "command")); !s.ok())
      return s;
  }
  if (resources_out != nullptr) *resources_out = std::move(*resources);
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTaskInfo(const v1::TaskInfo& task, const std::string& field) {
  return CheckTaskInfo(task, field, nullptr);
}

namespace {

// ValidateAcceptShape; when `task_resources` is not null, the resources of
// every task of a valid request are appended to it in request order
// (operation by operation, task by task).
absl::Status CheckAcceptShape(const v1::AcceptRequest& request,
                              std::vector<Resources>* task_resources) {
  if (request.offer_ids_size() == 0) return InvalidField("offer_ids", "at least one offer id");
  std::set<std::string> offers;
  for (int i = 0; i < request.offer_ids_size(); ++i) {
    const std::string field = IndexedField("offer_ids", i);
    if (auto s = ValidateId(field, request.offer_ids(i).value()); !s.ok()) return s;
    if (!offers.insert(request.offer_ids(i).value()).second) {
      return InvalidField(field,
                          absl::StrCat("offer ", request.offer_ids(i).value(), " is listed twice"));
    }
  }
  if (auto s = ValidateNonNegative("filters.refuse_seconds", request.filters().refuse_seconds());
      !s.ok())
    return s;
  // Views into the request: an accept carries up to a hundred tasks, and
  // field names are built only for the one refused (a task that passes
  // ValidateTaskInfo under an empty field name passes under any).
  absl::flat_hash_set<absl::string_view> task_ids;
  for (int i = 0; i < request.operations_size(); ++i) {
    const auto& op = request.operations(i);
    const std::string field = IndexedField("operations", i);
    switch (op.type()) {
      case v1::Offer::Operation::LAUNCH:
        break;
      case v1::Offer::Operation::RESERVE:
      case v1::Offer::Operation::UNRESERVE:
        return InvalidField(SubField(field, "type"),
                            "RESERVE and UNRESERVE are not supported by this master yet");
      default:
        return InvalidField(SubField(field, "type"), "must be LAUNCH, RESERVE or UNRESERVE");
    }
    if (op.launch().task_infos_size() == 0) {
      return InvalidField(SubField(field, "launch.task_infos"), "at least one task");
    }
    for (int t = 0; t < op.launch().task_infos_size(); ++t) {
      const auto& task = op.launch().task_infos(t);
      auto task_field = [&] { return IndexedField(SubField(field, "launch.task_infos"), t); };
      Resources* resources = nullptr;
      if (task_resources != nullptr) resources = &task_resources->emplace_back();
      if (!CheckTaskInfo(task, "", resources).ok()) return ValidateTaskInfo(task, task_field());
      if (!task_ids.insert(task.task_id().value()).second) {
        return InvalidField(
            SubField(task_field(), "task_id"),
            absl::StrCat("task id ", task.task_id().value(), " is used twice in this request"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAcceptShape(const v1::AcceptRequest& request) {
  return CheckAcceptShape(request, nullptr);
}

absl::StatusOr<AcceptPlan> PlanAccept(const v1::AcceptRequest& request,
                                      const std::string& framework_id,
                                      const OfferLookup& find_offer,
                                      const LiveTaskCheck& is_live_task) {
  // Each task's resources, parsed once by the shape check.
  std::vector<Resources> task_resources;
  if (auto s = CheckAcceptShape(request, &task_resources); !s.ok()) return s;
  AcceptPlan plan;
  std::string stale;
  std::string first_field;
  for (int i = 0; i < request.offer_ids_size(); ++i) {
    const std::string& id = request.offer_ids(i).value();
    const OfferView* offer = find_offer(id);
    if (offer == nullptr) {
      if (stale.empty()) stale = id;
      continue;
    }
    const std::string field = IndexedField("offer_ids", i);
    if (offer->framework_id != framework_id) {
      return InvalidField(field, absl::StrCat("offer ", id, " belongs to another framework"));
    }
    if (plan.agent_id.empty()) {
      plan.agent_id = offer->agent_id;
      plan.role = offer->role;
      first_field = field;
    } else if (offer->agent_id != plan.agent_id) {
      return InvalidField(
          field, absl::StrCat("offer ", id, " is on agent ", offer->agent_id, " but ", first_field,
                              " is on agent ", plan.agent_id, "; all offers must be on one agent"));
    } else if (offer->role != plan.role) {
      return InvalidField(field, absl::StrCat("offer ", id, " was made to role '", offer->role,
                                              "' but ", first_field, " to role '", plan.role,
                                              "'; offers accepted together must share one "
                                              "allocation_role"));
    }
    plan.offer_ids.push_back(id);
    plan.offered += offer->resources;
  }

  Resources remaining = plan.offered;
  size_t next_task = 0;  // Index into task_resources.
  for (int i = 0; i < request.operations_size(); ++i) {
    const auto& launch = request.operations(i).launch();
    for (int t = 0; t < launch.task_infos_size(); ++t) {
      const Resources& needed = task_resources[next_task++];
      v1::TaskInfo task = launch.task_infos(t);
      // Built only for a rejected task (most are launched).
      auto field = [&] {
        return IndexedField(SubField(IndexedField("operations", i), "launch.task_infos"), t);
      };
      RejectedTask rejected;
      if (!stale.empty()) {
        rejected.state = v1::TASK_DROPPED;
        rejected.reason = v1::TaskStatus::REASON_INVALID_OFFERS;
        rejected.message =
            absl::StrCat("offer ", stale, " is no longer valid (rescinded, expired or used)");
        rejected.task = std::move(task);
        plan.rejected.push_back(std::move(rejected));
        continue;
      }
      if (is_live_task(task.task_id().value())) {
        rejected.message = absl::StrCat(field(), ".task_id: task ", task.task_id().value(),
                                        " is already running in this framework");
        rejected.task = std::move(task);
        plan.rejected.push_back(std::move(rejected));
        continue;
      }
      if (!remaining.Contains(needed)) {
        rejected.message =
            absl::StrCat(field(), ".resources: ", needed.ToString(),
                         " exceed what the offers still hold (", remaining.ToString(), ")");
        rejected.task = std::move(task);
        plan.rejected.push_back(std::move(rejected));
        continue;
      }
      remaining -= needed;
      plan.used += needed;
      task.mutable_agent_id()->set_value(plan.agent_id);
      plan.launches.push_back(std::move(task));
    }
  }
  return plan;
}

}  // namespace agora::master
