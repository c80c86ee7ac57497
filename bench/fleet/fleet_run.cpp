#include "fleet/fleet_run.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "failover/cluster.hpp"
#include "glog/logging.h"
#include "launch/proc_usage.hpp"
#include "sim/fleet_priority.hpp"
#include "sim/sim_agent_host.hpp"
#include "tests/support/http_get.hpp"

namespace agora::bench {
namespace {

// The master's agent heartbeat interval (its default --agent_heartbeat_interval).
constexpr absl::Duration kMasterHeartbeat = absl::Seconds(5);

absl::Status Bad(const std::string& flag, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", reason));
}

// The value of the unlabelled metric `name` in a /metrics text (0 if absent).
int64_t ScrapeCounter(const std::string& metrics_text, const std::string& name) {
  const std::string prefix = name + " ";
  for (size_t at = metrics_text.find(prefix); at != std::string::npos;
       at = metrics_text.find(prefix, at + 1)) {
    if (at == 0 || metrics_text[at - 1] == '\n') {
      return std::strtoll(metrics_text.c_str() + at + prefix.size(), nullptr, 10);
    }
  }
  return 0;
}

// Waits for `done` (polled every 100 ms) while the master lives.
absl::Status WaitWhileAlive(BenchCluster* cluster, const std::function<bool()>& done,
                            absl::Duration timeout, const std::string& what) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (!cluster->master(0).process->Running()) {
      return absl::UnavailableError(absl::StrCat("agora-master exited while waiting for ", what,
                                                 "; see ", cluster->master(0).log_path));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, " did not happen within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

}  // namespace

std::string BesideSelf(const std::string& name) {
  char self[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  return (std::filesystem::path(std::string(self, n > 0 ? n : 0)).parent_path() / name).string();
}

absl::Status ValidateFleetOptions(const FleetRunOptions& o) {
  if (o.agents < 1) return Bad("agents", absl::StrCat("must be at least 1, got ", o.agents));
  if (o.frameworks < 0)
    return Bad("frameworks", absl::StrCat("must not be negative, got ", o.frameworks));
  if (o.roles < 1) return Bad("roles", absl::StrCat("must be at least 1, got ", o.roles));
  if (o.tasks_per_offer < 1)
    return Bad("tasks_per_offer", absl::StrCat("must be at least 1, got ", o.tasks_per_offer));
  if (o.window < o.tasks_per_offer) {
    return Bad("window", absl::StrCat("must be at least --tasks_per_offer (", o.tasks_per_offer,
                                      "), got ", o.window));
  }
  if (!(o.task_cpus > 0)) return Bad("task_cpus", "must be positive");
  if (!(o.task_mem > 0)) return Bad("task_mem", "must be positive");
  if (o.duration <= absl::ZeroDuration()) return Bad("duration", "must be positive");
  if (o.probe_interval <= absl::ZeroDuration()) return Bad("probe_interval", "must be positive");
  if (o.channels < 1) return Bad("channels", absl::StrCat("must be at least 1, got ", o.channels));
  if (o.refuse_seconds < 0) return Bad("refuse", "must not be negative");
  if (o.fleet_nice < 0 || o.fleet_nice > 19)
    return Bad("fleet_nice", absl::StrCat("must be 0..19, got ", o.fleet_nice));
  return absl::OkStatus();
}

absl::StatusOr<FleetRunResult> RunFleet(const FleetRunOptions& options) {
  if (absl::Status status = ValidateFleetOptions(options); !status.ok()) return status;
  FleetRunResult result;
  result.load_before = LoadAverage();
  ClusterOptions cluster_options;
  cluster_options.mode = ClusterMode::kRestart;
  cluster_options.work_dir = options.work_dir;
  cluster_options.master_binary = options.master_binary;
  cluster_options.master_flags = options.master_flags;
  auto started = BenchCluster::Start(cluster_options, absl::Seconds(30));
  if (!started.ok()) return started.status();
  std::unique_ptr<BenchCluster> cluster = std::move(*started);
  MasterProcess& master = cluster->master(0);
  result.master_pid = master.process->pid();
  result.master_log = master.log_path;
  if (options.fleet_nice != 0) {
    if (absl::Status lowered = sim::LowerThisProcessPriority(options.fleet_nice); !lowered.ok())
      return lowered;
  }

  StageRecorder recorder;
  sim::SimAgentHostOptions host_options;
  host_options.master = master.address();
  host_options.agents = options.agents;
  host_options.channels_per_master = options.channels;
  host_options.agent.resources = options.agent_resources;
  host_options.agent.task_duration = options.task_duration;
  host_options.agent.on_task_arrived = [&recorder](const std::string& task_id) {
    recorder.Arrived(task_id, absl::Now());
  };
  host_options.agent.on_master_heartbeat = [&recorder](absl::Duration gap) {
    recorder.MasterHeartbeat(gap);
  };
  auto host = sim::SimAgentHost::Create(host_options);
  if (!host.ok()) return host.status();
  absl::Time registering = absl::Now();
  (*host)->Start();
  int registered = 0;
  absl::Status status = WaitWhileAlive(
      cluster.get(),
      [&] {
        registered = (*host)->Summary().registered;
        return registered == options.agents;
      },
      options.register_timeout, absl::StrCat("the registration of ", options.agents, " agents"));
  result.agents_registered = registered;
  if (!status.ok()) return status;
  result.register_seconds = absl::ToDoubleSeconds(absl::Now() - registering);

  std::vector<std::unique_ptr<FleetFramework>> frameworks;
  for (int i = 0; i < options.frameworks; ++i) {
    FleetFrameworkOptions framework_options;
    framework_options.name = absl::StrCat("fleet-", i);
    framework_options.role = absl::StrCat("role-", i % options.roles);
    framework_options.load = options.load;
    framework_options.task_cpus = options.task_cpus;
    framework_options.task_mem = options.task_mem;
    framework_options.tasks_per_offer = options.tasks_per_offer;
    framework_options.window = options.window;
    framework_options.refuse_seconds = options.refuse_seconds;
    frameworks.push_back(std::make_unique<FleetFramework>(framework_options, &recorder));
    frameworks.back()->Start(master.address());
  }
  status = WaitWhileAlive(
      cluster.get(),
      [&] {
        for (const auto& framework : frameworks)
          if (!framework->subscribed()) return false;
        return true;
      },
      absl::Seconds(60), absl::StrCat("the subscription of ", options.frameworks, " frameworks"));
  if (!status.ok()) return status;
  absl::SleepFor(options.warmup);

  // The window.
  const std::vector<pid_t> master_pids = {static_cast<pid_t>(result.master_pid)};
  const std::vector<pid_t> self_pids = {::getpid()};
  std::unique_ptr<testing::Subprocess> perf;
  if (!options.perf_output.empty()) {
    // posix_spawn does not search PATH: the shell finds perf.
    auto spawned = testing::Subprocess::Spawn(
        {"/bin/sh", "-c", "exec \"$0\" \"$@\"", "perf", "record", "-g", "-o", options.perf_output,
         "-p", std::to_string(result.master_pid), "--", "sleep",
         std::to_string(absl::ToInt64Seconds(options.duration))},
        options.work_dir + "/perf.log");
    if (!spawned.ok()) return spawned.status();
    perf = std::move(*spawned);
  }
  const std::string metrics_before = testing::HttpGet(master.http_port, "/metrics");
  const CpuSample master_before = SampleCpu(master_pids), self_before = SampleCpu(self_pids);
  LoopProbes probes;
  probes.Start(master.address(), options.probe_interval);
  recorder.Open(absl::Now());
  status = WaitWhileAlive(
      cluster.get(), [] { return false; }, options.duration, "");
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  recorder.Close(absl::Now());
  probes.Stop();
  const CpuSample master_after = SampleCpu(master_pids), self_after = SampleCpu(self_pids);
  const std::string metrics_after = testing::HttpGet(master.http_port, "/metrics");
  if (perf != nullptr) (void)perf->Wait(absl::Seconds(60));
  result.load_after = LoadAverage();
  result.master_rss_mib = RssMiB(result.master_pid);
  result.bench_rss_mib = RssMiB(::getpid());
  result.master_cpu_seconds = master_after.self_seconds - master_before.self_seconds;
  result.bench_cpu_seconds = self_after.self_seconds - self_before.self_seconds;

  result.window_seconds = recorder.window_seconds();
  result.window = recorder.window_counts();
  result.running_per_second =
      result.window_seconds > 0 ? result.window.running_acked / result.window_seconds : 0;
  std::vector<int64_t> seconds = recorder.running_per_second();
  if (!seconds.empty()) {
    result.worst_second = *std::min_element(seconds.begin(), seconds.end());
    result.best_second = *std::max_element(seconds.begin(), seconds.end());
  }
  result.offer_to_accept = recorder.offer_to_accept();
  result.accept_to_agent = recorder.accept_to_agent();
  result.agent_to_running = recorder.agent_to_running();
  result.accept_to_running = recorder.accept_to_running();
  result.heartbeat_lateness = recorder.heartbeat_lateness(kMasterHeartbeat);
  result.probe_health = probes.health();
  result.probe_accept = probes.accept();
  result.probe_unexpected = probes.unexpected();
  const std::string lag = "agora_master_event_loop_lag_seconds";
  const std::string cycle = "agora_master_allocation_cycle_seconds";
  result.loop_lag =
      HistogramDelta(ScrapeHistogram(metrics_before, lag), ScrapeHistogram(metrics_after, lag));
  result.allocation_cycle =
      HistogramDelta(ScrapeHistogram(metrics_before, cycle), ScrapeHistogram(metrics_after, cycle));
  const std::string on_loop = "agora_master_allocation_loop_seconds";
  result.allocation_loop = HistogramDelta(ScrapeHistogram(metrics_before, on_loop),
                                          ScrapeHistogram(metrics_after, on_loop));
  result.allocation_invariant_violations =
      ScrapeCounter(metrics_after, "agora_master_allocation_invariant_violations_total");
  result.allocation_decisions_dropped =
      ScrapeCounter(metrics_after, "agora_master_allocation_decisions_dropped_total");
  result.allocation_decisions_returned =
      ScrapeCounter(metrics_after, "agora_master_allocation_decisions_returned_total");
  for (const auto& framework : frameworks) {
    result.offers += framework->offers();
    result.framework_errors += framework->errors();
  }

  // Before the teardown, whose kills are not part of the run.
  result.total = recorder.total_counts();
  // Tear down: the frameworks first (the master kills their tasks), then
  // the fleet, then the master (with the cluster).
  for (auto& framework : frameworks) framework->RequestStop();
  for (auto& framework : frameworks) framework->Stop();
  (*host)->Stop();
  return result;
}

}  // namespace agora::bench
