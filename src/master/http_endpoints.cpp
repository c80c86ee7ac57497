#include "master/http_endpoints.hpp"

#include <future>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "common/asio_event_loop.hpp"
#include "common/metrics.hpp"
#include "common/process_metrics.hpp"
#include "common/task_state.hpp"
#include "master/state_snapshot.hpp"
#include "master/state_wire.hpp"

namespace agora::master {
namespace {

// Runs `fn` on the loop and waits for its result (nullopt on timeout).
template <typename T, typename Fn>
std::optional<T> FromLoop(EventLoop* loop, Fn fn) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  loop->Post([promise, fn = std::move(fn)] { promise->set_value(fn()); });
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

HttpResponse Unavailable() {
  return HttpResponse{503, "text/plain; charset=utf-8", "master is not responding\n"};
}

// How much of each resource name `resources` holds: scalars summed, ranges
// and sets counted by value (ports: how many).
std::map<std::string, double> AmountsByName(
    const google::protobuf::RepeatedPtrField<v1::Resource>& resources) {
  std::map<std::string, double> amounts;
  for (const v1::Resource& r : resources) {
    double amount = r.scalar();
    if (r.type() == v1::Resource::RANGES) {
      amount = 0;
      for (const auto& range : r.ranges().range()) amount += range.end() - range.begin() + 1;
    } else if (r.type() == v1::Resource::SET) {
      amount = r.set().item_size();
    }
    amounts[r.name()] += amount;
  }
  return amounts;
}

// One gauge family over every role and resource name in `field`.
template <typename Field>
void RoleResources(MetricsText* out, absl::string_view name, absl::string_view help,
                   const v1::GetRolesResponse& roles, Field field) {
  for (const v1::RoleSummary& role : roles.roles()) {
    for (const auto& [resource, amount] : AmountsByName(field(role))) {
      out->Gauge(name, help, amount, {{"role", role.name()}, {"resource", resource}});
    }
  }
}

void RenderRoles(MetricsText* out, const v1::GetRolesResponse& roles) {
  for (const v1::RoleSummary& role : roles.roles()) {
    out->Gauge("agora_master_role_weight", "Weight of each role known to the master.",
               role.weight(), {{"role", role.name()}});
  }
  RoleResources(
      out, "agora_master_role_allocated",
      "Resources held by the role's running tasks (scalars in their unit; ranges and "
      "sets counted by value).",
      roles, [](const v1::RoleSummary& r) -> const auto& { return r.allocated(); });
  RoleResources(
      out, "agora_master_role_offered", "Resources offered to the role, not yet answered.", roles,
      [](const v1::RoleSummary& r) -> const auto& { return r.offered(); });
  RoleResources(
      out, "agora_master_role_quota_guarantee",
      "Quota guarantee of the role (absent: no guarantee).", roles,
      [](const v1::RoleSummary& r) -> const auto& { return r.quota().guarantees(); });
  RoleResources(
      out, "agora_master_role_quota_limit", "Quota limit of the role (absent: no limit).", roles,
      [](const v1::RoleSummary& r) -> const auto& { return r.quota().limits(); });
}

// Every family of agora-master that does not need the leader's core: the
// event loop and the process.
std::string RenderProcessMetrics(EventLoop* loop) {
  MetricsText out;
  if (auto* asio = dynamic_cast<AsioEventLoop*>(loop)) {
    AsioEventLoop::Stats stats = asio->stats();
    out.Gauge("agora_master_event_loop_queue_depth",
              "Closures posted to the master's event loop and not yet run.",
              static_cast<double>(stats.queue_depth));
    out.Gauge("agora_master_event_loop_bulk_depth",
              "Of those, closures in the loop's bulk lane (agent messages, scheduler calls of "
              "live frameworks), run in slices between the other work.",
              static_cast<double>(stats.bulk_depth));
    out.Counter("agora_master_event_loop_posted_total",
                "Closures posted to the master's event loop.",
                static_cast<double>(stats.posted_total));
    out.Histogram("agora_master_event_loop_lag_seconds",
                  "Delay between posting a periodic probe (every second) to the master's event "
                  "loop and its run: how long work waits behind the queue.",
                  stats.lag_seconds);
  }
  AddProcessMetrics(&out);
  return out.text();
}

}  // namespace

std::string RenderMetrics(const MasterMetrics& m) {
  MetricsText out;
  out.Gauge("agora_master_agents", "Agents known to the master by state.", m.agents_connected,
            {{"state", "connected"}});
  out.Gauge("agora_master_agents", "", m.agents_disconnected, {{"state", "disconnected"}});
  out.Gauge("agora_master_agents", "", m.agents_unreachable, {{"state", "unreachable"}});
  const auto* statuses = v1::AgentSummary::Status_descriptor();
  for (int i = 0; i < statuses->value_count(); ++i) {
    const auto* status = statuses->value(i);
    if (status->number() == v1::AgentSummary::STATUS_UNSPECIFIED) continue;
    auto it = m.agents_by_status.find(status->name());
    out.Gauge("agora_master_agents_by_status",
              "Agents by the status the operator API reports (active, deactivated, draining, "
              "drained, unreachable, gone, recovering).",
              it == m.agents_by_status.end() ? 0 : it->second,
              {{"status", absl::AsciiStrToLower(status->name())}});
  }
  out.Gauge("agora_master_agents_recovering",
            "Agents recovered from the registry that have not re-registered yet.",
            m.agents_recovering);
  out.Gauge("agora_master_frameworks",
            "Frameworks by connection state (connected = active: offered resources; "
            "disconnected = inactive: within their failover timeout).",
            m.frameworks_connected, {{"state", "connected"}});
  out.Gauge("agora_master_frameworks", "", m.frameworks_disconnected, {{"state", "disconnected"}});
  // Counted here, off the loop, from the snapshot the core captured.
  std::map<v1::TaskState, size_t> tasks_by_state = m.tasks_by_state;
  if (m.state != nullptr) {
    ForEachActiveTask(*m.state,
                      [&](const TaskBook::Shared& task) { ++tasks_by_state[task->state()]; });
  }
  for (int s = v1::TASK_STAGING; s <= v1::TASK_UNKNOWN; ++s) {
    auto state = static_cast<v1::TaskState>(s);
    auto it = tasks_by_state.find(state);
    out.Gauge("agora_master_tasks", "Active tasks (incl. unacknowledged terminal ones) by state.",
              it == tasks_by_state.end() ? 0 : it->second,
              {{"state", std::string(ShortStateName(state))}});
  }
  out.Gauge("agora_master_tasks_completed", "Terminal tasks kept in the completed history.",
            m.tasks_completed);
  out.Gauge("agora_master_offers_outstanding", "Offers sent and not yet answered.",
            m.offers_outstanding);
  out.Gauge("agora_master_watch_subscribers", "Operator Watch streams open now.",
            m.watch_subscribers);
  out.Counter(
      "agora_master_watch_subscribers_dropped_total",
      "Watch streams closed because they fell --max_watch_queue events behind or went away.",
      m.watch_subscribers_dropped);
  const MasterCounters& c = m.counters;
  out.Counter("agora_master_offers_sent_total", "Offers sent to frameworks.", c.offers_sent);
  out.Counter("agora_master_offers_rescinded_total", "Offers rescinded.", c.offers_rescinded);
  out.Counter("agora_master_offers_declined_total", "Offers declined.", c.offers_declined);
  out.Counter("agora_master_offers_accepted_total", "Offers accepted.", c.offers_accepted);
  out.Counter("agora_master_tasks_launched_total", "Tasks sent to agents.", c.tasks_launched);
  out.Counter("agora_master_tasks_error_total", "Tasks refused with TASK_ERROR.", c.tasks_errored);
  out.Counter("agora_master_tasks_dropped_total", "Tasks refused with TASK_DROPPED.",
              c.tasks_dropped);
  out.Counter("agora_master_invalid_requests_total", "Requests rejected as invalid.",
              c.invalid_requests);
  out.Counter("agora_master_allocation_invariant_violations_total",
              "Allocation calls that failed because the master's and the allocator's accounting "
              "disagreed (each is a bug; debug builds abort).",
              c.allocation_invariant_violations);
  out.Counter("agora_master_allocation_decisions_dropped_total",
              "Decisions of allocation cycles run off the loop whose agent or framework was "
              "removed before they reached the loop (the removal freed them).",
              c.allocation_decisions_dropped);
  out.Counter("agora_master_allocation_decisions_returned_total",
              "Allocation decisions returned to the allocator instead of offered (agent or "
              "framework disconnected, agent inactive, role suppressed meanwhile).",
              c.allocation_decisions_returned);
  out.Counter("agora_master_agent_updates_total",
              "Status updates received from agents (each entry of a STATUS_UPDATES batch).",
              c.agent_updates);
  out.Counter("agora_master_agent_update_batches_total",
              "STATUS_UPDATES messages (batches of status updates) received from agents.",
              c.agent_update_batches);
  out.Counter("agora_master_agent_updates_refused_total",
              "Agent status updates refused as malformed (the entry, or a whole empty or "
              "oversized batch).",
              c.agent_updates_refused);
  out.Counter("agora_master_status_updates_forwarded_total",
              "Agent status updates forwarded to frameworks.", c.status_updates_forwarded);
  out.Counter("agora_master_status_updates_duplicate_total",
              "Repeated agent status updates not forwarded (in flight or already acknowledged).",
              c.status_updates_duplicate);
  out.Counter("agora_master_acknowledgements_total",
              "Acknowledgements applied from frameworks (each entry of a batched call).",
              c.acknowledgements);
  out.Counter("agora_master_acknowledgements_relayed_again_total",
              "Acknowledgements relayed to an agent again for a repeated update.",
              c.acknowledgements_relayed_again);
  out.Counter("agora_master_acknowledgements_unknown_total",
              "Acknowledgement entries refused with NOT_FOUND (unknown agent or task).",
              c.acknowledgements_unknown);
  out.Counter("agora_master_recovered_agents_unreachable_total",
              "Recovered agents marked unreachable after the re-registration window.",
              c.recovered_agents_unreachable);
  out.Histogram("agora_master_allocation_cycle_seconds", "Duration of allocation cycles.",
                c.allocation_seconds);
  out.Histogram("agora_master_allocation_loop_seconds",
                "CPU time the event loop spends on allocation at a stretch (a cycle and its "
                "offers on the loop; one slice of offers with --allocation_thread).",
                c.allocation_loop_seconds);
  out.Gauge("agora_master_allocation_last_cycle_seconds", "Duration of the last allocation cycle.",
            c.allocation_seconds_last);
  out.Histogram("agora_master_registry_write_seconds",
                "Time from a registry change to its commit (batched writes included).",
                c.registry_write_seconds);
  out.Counter("agora_master_registry_fsyncs_total",
              "fsync/fdatasync calls of the local registry (one per group-commit batch, plus "
              "compactions); 0 with --registry=zk.",
              m.registry_writes.fsyncs);
  out.Counter("agora_master_registry_bytes_written_total",
              "Bytes the local registry wrote (log records and snapshots).",
              m.registry_writes.bytes);
  for (const auto& [kind, count] : c.messages) {
    out.Counter("agora_master_messages_received_total", "Messages received, by kind.", count,
                {{"kind", kind}});
  }
  if (m.state != nullptr) RenderRoles(&out, RolesView(*m.state));
  return out.text();
}

std::map<std::string, HttpServer::Handler> MasterHttpRoutes(EventLoop* loop, const CoreSlot* slot) {
  std::map<std::string, HttpServer::Handler> routes;
  // What the slot says, copied on the loop.
  struct View {
    std::optional<MasterHealth> health;  // Of the installed core.
    absl::Status refusal;                // Why no core serves (OK if one does).
    std::optional<MasterMetrics> metrics;
    std::string election_metrics;
  };
  auto view = [loop, slot](bool with_metrics) {
    return FromLoop<View>(loop, [slot, with_metrics] {
      View view;
      MasterCore* core = slot->Serving(&view.refusal);
      if (slot->installed() != nullptr) view.health = slot->installed()->Health();
      if (with_metrics && core != nullptr) view.metrics = core->Metrics();
      if (with_metrics) view.election_metrics = slot->ElectionMetrics();
      return view;
    });
  };
  auto text = [](int code, const std::string& body) {
    return HttpResponse{code, "text/plain; charset=utf-8", body + "\n"};
  };
  routes["/health"] = [view, text] {
    auto v = view(false);
    if (!v) return Unavailable();
    if (v->health && !v->health->durable) return text(503, v->health->reason);
    return text(200, "ok");
  };
  routes["/ready"] = [view, text] {
    auto v = view(false);
    if (!v) return Unavailable();
    if (!v->refusal.ok()) return text(503, std::string(v->refusal.message()));
    if (!v->health || !v->health->ready) return text(503, v->health ? v->health->reason : "");
    return text(200, "ready");
  };
  routes["/metrics"] = [view, loop] {
    auto v = view(true);
    if (!v) return Unavailable();
    std::string body = v->metrics ? RenderMetrics(*v->metrics) : "";
    body += v->election_metrics;
    body += RenderProcessMetrics(loop);
    return HttpResponse{200, std::string(MetricsText::kContentType), std::move(body)};
  };
  routes["/state"] = [loop, slot, text] {
    // The snapshot is taken on the loop; the state is encoded and rendered
    // here, on the HTTP thread (state_snapshot.hpp).
    struct Captured {
      absl::Status refusal;
      std::shared_ptr<const StateSnapshot> snapshot;
    };
    auto v = FromLoop<Captured>(loop, [slot] {
      Captured view;
      if (MasterCore* core = slot->Serving(&view.refusal))
        view.snapshot = core->SnapshotState(slot->Masters());
      return view;
    });
    if (!v) return Unavailable();
    if (!v->refusal.ok()) return text(503, std::string(v->refusal.message()));
    // Converted from GetState's bytes: the tasks are never copied into a
    // MasterState (state_wire.hpp).
    absl::StatusOr<std::string> json = EncodeStateJson(*v->snapshot);
    if (!json.ok()) return text(500, std::string(json.status().message()));
    json->push_back('\n');
    return HttpResponse{200, "application/json", std::move(*json)};
  };
  return routes;
}

}  // namespace agora::master
