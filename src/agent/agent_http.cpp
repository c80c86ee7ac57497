// AgentImpl: the HTTP endpoints (/health, /ready, /metrics). The HTTP server runs on
// its own thread; /metrics takes a snapshot on the loop and renders it there.
#include <future>

#include "absl/strings/str_cat.h"
#include "agent/agent_impl.hpp"
#include "agent/container_stats.hpp"
#include "common/metrics.hpp"
#include "common/process_metrics.hpp"
#include "common/task_state.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

// One series per live container and figure, labelled by its ids (a command
// task's executor id is its task id) and where the figures come from. Each
// family's samples stay together, as the text format requires.
void AddContainerMetrics(const std::vector<v1::ContainerStatus>& containers, MetricsText* metrics) {
  auto labels = [](const v1::ContainerStatus& c) -> MetricsText::Labels {
    return {{"container_id", c.container_id().value()},
            {"framework_id", c.framework_id().value()},
            {"executor_id", c.executor_id().value()},
            {"source", c.statistics_source()}};
  };
  for (const v1::ContainerStatus& c : containers) {
    metrics->Counter("agora_agent_container_cpu_seconds_total",
                     "CPU time (user + system) used by a live container",
                     c.statistics().cpus_total_time_secs(), labels(c));
  }
  for (const v1::ContainerStatus& c : containers) {
    metrics->Gauge("agora_agent_container_memory_rss_bytes",
                   "Resident anonymous memory of a live container",
                   static_cast<double>(c.statistics().mem_rss_bytes()), labels(c));
  }
  for (const v1::ContainerStatus& c : containers) {
    if (c.statistics_source() != "cgroup") continue;  // /proc has no such figure.
    metrics->Gauge("agora_agent_container_memory_current_bytes",
                   "Memory charged to a live container's cgroup, page cache included",
                   static_cast<double>(c.statistics().mem_current_bytes()), labels(c));
  }
  for (const v1::ContainerStatus& c : containers) {
    metrics->Gauge("agora_agent_container_memory_limit_bytes",
                   "Memory limit of a live container (its cgroup's, else its resources' mem)",
                   static_cast<double>(c.statistics().mem_limit_bytes()), labels(c));
  }
  for (const v1::ContainerStatus& c : containers) {
    metrics->Gauge("agora_agent_container_cpus_limit", "CPUs of a live container's resources",
                   c.statistics().cpus_limit(), labels(c));
  }
  for (const v1::ContainerStatus& c : containers) {
    metrics->Gauge("agora_agent_container_processes", "Processes in a live container",
                   c.statistics().processes(), labels(c));
  }
}

}  // namespace

absl::Status AgentImpl::StartHttp() {
  if (options_.http_port < 0) return absl::OkStatus();
  std::map<std::string, HttpServer::Handler> routes;
  // /health: serving and durable. 503 names what fails (the checkpoint path
  // and error) while the agent cannot persist and refuses launches.
  routes["/health"] = [this] {
    HttpResponse response;
    std::lock_guard<std::mutex> lock(health_mu_);
    if (health_problem_.empty()) {
      response.body = "OK: serving; checkpoints are durable\n";
    } else {
      response.status = 503;
      response.body = absl::StrCat("UNHEALTHY: ", health_problem_,
                                   "; launches are refused until checkpoints succeed again\n");
    }
    return response;
  };
  // /ready: registered with a master (able to take tasks).
  routes["/ready"] = [this] {
    HttpResponse response;
    std::lock_guard<std::mutex> lock(health_mu_);
    if (registered()) {
      response.body = "READY: registered with the master\n";
    } else {
      response.status = 503;
      response.body = absl::StrCat("NOT READY: ", ready_problem_, "\n");
    }
    return response;
  };
  routes["/metrics"] = [this] {
    HttpResponse response;
    response.content_type = std::string(MetricsText::kContentType);
    response.body = RenderMetrics();
    return response;
  };
  auto server = HttpServer::Start(options_.ip, options_.http_port, std::move(routes));
  if (!server.ok()) {
    // HTTP is auxiliary: an agent whose HTTP port is taken (several agents on
    // one machine with the default port) still runs tasks.
    LOG(ERROR) << "--http_port: cannot serve HTTP on " << options_.ip << ":" << options_.http_port
               << " (" << server.status() << "); continuing without it";
    return absl::OkStatus();
  }
  http_ = std::move(*server);
  http_port_ = http_->port();
  return absl::OkStatus();
}

std::string AgentImpl::RenderMetrics() {
  // The loop's text and its live containers, whose usage is read here
  // (cgroup and /proc files are I/O: never on the loop).
  using Snapshot = std::pair<std::string, std::vector<LiveContainer>>;
  auto result = std::make_shared<std::promise<Snapshot>>();
  std::future<Snapshot> future = result->get_future();
  loop_.Post([this, result] {
    MetricsText metrics;
    metrics.Gauge("agora_agent_registered", "1 while registered with the master",
                  registered_ ? 1 : 0);
    metrics.Gauge("agora_agent_checkpoint_ok",
                  "1 while checkpoints succeed; 0 while the agent holds them in memory and "
                  "refuses launches",
                  checkpoint_error_.ok() ? 1 : 0);
    metrics.Gauge("agora_agent_checkpoint_writes_held",
                  "Checkpoint writes held in memory, waiting for the disk",
                  static_cast<double>(held_writes_.size()));
    metrics.Counter("agora_agent_checkpoint_failures_total", "Checkpoint writes that failed",
                    static_cast<double>(checkpoint_failures_));
    UpdateJournal::Stats journal = journal_ ? journal_->stats() : UpdateJournal::Stats();
    metrics.Counter("agora_agent_journal_batches_total",
                    "Batches of status update records written to the journal (one write each)",
                    static_cast<double>(journal.batches));
    metrics.Counter("agora_agent_journal_records_total",
                    "Status update records written to the journal",
                    static_cast<double>(journal.records));
    metrics.Counter("agora_agent_journal_syncs_total",
                    "fdatasyncs (and directory fsyncs) of the journal",
                    static_cast<double>(journal.syncs));
    metrics.Gauge("agora_agent_journal_segments",
                  "Segments of the journal, the current one included",
                  static_cast<double>(journal.segments));
    metrics.Counter("agora_agent_launches_refused_total",
                    "Tasks refused (TASK_DROPPED) because the agent could not checkpoint",
                    static_cast<double>(launches_refused_));
    metrics.Counter("agora_agent_session_processes_killed_total",
                    "Processes killed because their executor had died",
                    static_cast<double>(session_processes_killed_));
    metrics.Gauge("agora_agent_launches_queued",
                  "Executor launches waiting for a slot (--max_concurrent_launches)",
                  static_cast<double>(launches_.queued()));
    metrics.Gauge("agora_agent_launches_in_flight",
                  "Executors started but not yet subscribed (nor exited or timed out)",
                  static_cast<double>(launches_.in_flight()));
    metrics.Gauge("agora_agent_launches_in_flight_max",
                  "The most executors started but not yet subscribed at once since the agent "
                  "started",
                  static_cast<double>(launches_.max_in_flight_seen()));
    metrics.Counter("agora_agent_launches_started_total",
                    "Executor launches taken from the queue and started",
                    static_cast<double>(launches_.started_total()));
    metrics.Counter("agora_agent_launches_dropped_total",
                    "Tasks dropped (TASK_DROPPED) because the launch queue was full "
                    "(--max_queued_launches)",
                    static_cast<double>(launches_dropped_queue_full_));
    metrics.Gauge("agora_agent_isolation", "1 for the isolation command tasks run under", 1,
                  {{"mode", IsolationMode()}});
    metrics.Counter("agora_agent_container_memory_limitations_total",
                    "Tasks failed because the kernel OOM-killed in their container",
                    static_cast<double>(memory_limitations_));
    AddHealthMetrics(&metrics);
    metrics.Counter("agora_agent_sandboxes_removed_total",
                    "Finished sandboxes removed by garbage collection",
                    static_cast<double>(sandboxes_removed_));
    metrics.Counter("agora_agent_sandboxes_removed_for_disk_space_total",
                    "Finished sandboxes removed before --gc_delay because the work_dir's "
                    "filesystem had less free space than --gc_disk_headroom",
                    static_cast<double>(sandboxes_removed_for_space_));
    metrics.Gauge("agora_agent_sandboxes_pending_gc",
                  "Finished sandboxes waiting for garbage collection",
                  static_cast<double>(gc_finished_.size()));
    metrics.Gauge("agora_agent_executors", "Executors known to the agent",
                  static_cast<double>(executors_.size()));
    std::map<v1::TaskState, int> by_state;
    for (const auto& [key, task] : tasks_) by_state[task.task.state()]++;
    for (int s = v1::TASK_STAGING; s <= v1::TASK_UNKNOWN; ++s) {
      auto state = static_cast<v1::TaskState>(s);
      metrics.Gauge("agora_agent_tasks", "Tasks known to the agent by latest state",
                    by_state[state], {{"state", std::string(ShortStateName(state))}});
    }
    metrics.Gauge("agora_agent_status_update_streams",
                  "Tasks with status updates waiting for acknowledgement",
                  static_cast<double>(updates_->streams()));
    metrics.Counter("agora_agent_executors_launched_total", "Executors launched",
                    static_cast<double>(executors_launched_));
    metrics.Counter("agora_agent_executors_exited_total", "Executor processes that exited",
                    static_cast<double>(executors_exited_));
    metrics.Counter("agora_agent_status_updates_received_total",
                    "Status updates checkpointed (from executors or generated)",
                    static_cast<double>(updates_received_));
    metrics.Counter("agora_agent_status_updates_forwarded_total",
                    "Status updates sent to the master, retries included",
                    static_cast<double>(updates_forwarded_));
    metrics.Counter("agora_agent_status_updates_retried_total",
                    "Status updates sent to the master again because no acknowledgement came "
                    "within the backoff (--status_update_retry_min/max)",
                    static_cast<double>(updates_->retried()));
    metrics.Counter("agora_agent_status_updates_acknowledged_total",
                    "Status updates acknowledged by their framework (relayed by the master)",
                    static_cast<double>(updates_->acknowledged()));
    metrics.Counter("agora_agent_acknowledgement_batches_total",
                    "ACKNOWLEDGEMENTS messages (batches of relayed acknowledgements) received",
                    static_cast<double>(ack_batches_received_));
    metrics.Counter("agora_agent_master_reconnects_total", "Reconnections to the master",
                    static_cast<double>(reconnects_));
    std::map<ExecutorRecord::Phase, int> by_phase;
    for (const auto& [key, executor] : executors_) by_phase[executor.phase]++;
    for (auto [phase, name] : {std::pair{ExecutorRecord::Phase::kLaunching, "launching"},
                               std::pair{ExecutorRecord::Phase::kRunning, "running"},
                               std::pair{ExecutorRecord::Phase::kTerminating, "terminating"}}) {
      metrics.Gauge("agora_agent_containers",
                    "Executor containers on this agent by phase (launching: started, not yet "
                    "subscribed; running; terminating: shutting down or being reaped)",
                    by_phase[phase], {{"phase", name}});
    }
    result->set_value(Snapshot(metrics.text(), OperatorContainers()));
  });
  // The loop and the process are measured here, off the loop, so they are
  // reported even when the loop is too busy to answer.
  MetricsText outside;
  AsioEventLoop::Stats stats = loop_.stats();
  outside.Gauge("agora_agent_event_loop_queue_depth",
                "Closures posted to the agent's event loop and not yet run",
                static_cast<double>(stats.queue_depth));
  outside.Counter("agora_agent_event_loop_posted_total",
                  "Closures posted to the agent's event loop",
                  static_cast<double>(stats.posted_total));
  outside.Histogram("agora_agent_event_loop_lag_seconds",
                    "Delay between posting a periodic probe (every second) to the agent's event "
                    "loop and its run: how long work waits behind the queue",
                    stats.lag_seconds);
  AddProcessMetrics(&outside);
  if (future.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    return "# agent loop busy or stopping\n" + outside.text();
  }
  Snapshot snapshot = future.get();
  MetricsText containers;
  AddContainerMetrics(ContainerStatistics(snapshot.second), &containers);
  return snapshot.first + containers.text() + outside.text();
}

}  // namespace agora::agent
