#include "fleet/scale.hpp"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "failover/cluster.hpp"
#include "failover/probes.hpp"
#include "fleet/scale_framework.hpp"
#include "fleet/scale_probes.hpp"
#include "launch/proc_usage.hpp"
#include "sim/sim_agent_host.hpp"
#include "tests/support/subprocess.hpp"

namespace agora::bench {
namespace {

// Every figure the report prints.
struct ScaleReport {
  ScaleOptions options;
  double load_before = 0, load_after = 0;
  MemorySample before_agents, after_agents, after_tasks;
  double agents_seconds = 0, tasks_seconds = 0;
  int agents_registered = 0;  // As the simulated agents saw it.
  int tasks_running = 0;      // As the frameworks saw it.
  int state_agents = 0;       // As GetState reported them.
  int state_tasks_running = 0;
  int tasks_terminal = 0;
  Millis get_state;
  size_t state_bytes = 0;
  // The master's CPU (all its threads) per timed GetState: its CPU over the
  // timed calls minus what it burns without them (heartbeats, allocation
  // passes: its rate over 5 s just before), and the load average around
  // them: the wall times above mean little at a high load, the CPU does.
  double state_master_cpu_ms = 0;
  double idle_master_cpu_per_s = 0;
  double state_load = 0;
  Millis health_idle, health_loaded;
  int probe_failures = 0;
  double master_cpu_seconds = 0, bench_cpu_seconds = 0;
  std::string error;  // The stage that did not complete, if any.
};

double PerUnit(int64_t bytes, int units) { return units > 0 ? double(bytes) / units : 0; }
double MiB(int64_t bytes) { return double(bytes) / (1024 * 1024); }

double SelfCpuSeconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string DefaultMasterBinary() {
  char path[4096] = {};
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return "agora-master";
  return (std::filesystem::path(std::string(path, length)).parent_path() / "agora-master").string();
}

std::string Escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' ? ' ' : c);
  }
  return out;
}

std::string Json(const ScaleReport& r) {
  const int agents = r.options.agents, tasks = r.options.tasks;
  return absl::StrFormat(
      "{\"heartbeat_seconds\":%d,\"wave\":%d,\"agents\":%d,\"frameworks\":%d,\"tasks\":%d,\"agents_"
      "registered\":%d,"
      "\"tasks_running\":%d,\"tasks_terminal\":%d,\"state_agents\":%d,"
      "\"state_tasks_running\":%d,\"agents_seconds\":%.3f,\"tasks_seconds\":%.3f,"
      "\"rss_before_agents_bytes\":%d,\"rss_after_agents_bytes\":%d,"
      "\"rss_after_tasks_bytes\":%d,\"rss_peak_bytes\":%d,\"bytes_per_agent\":%.0f,"
      "\"bytes_per_task\":%.0f,\"get_state_calls\":%d,\"get_state_p50_ms\":%.3f,"
      "\"get_state_max_ms\":%.3f,\"get_state_bytes\":%d,\"probe_idle_p50_ms\":%.3f,"
      "\"probe_idle_max_ms\":%.3f,\"probe_loaded_calls\":%d,\"probe_loaded_p50_ms\":%.3f,"
      "\"probe_loaded_p99_ms\":%.3f,\"probe_loaded_max_ms\":%.3f,\"probe_failures\":%d,"
      "\"probe_shared_connection\":%s,\"get_state_master_cpu_ms\":%.1f,\"get_state_load\":%.2f,"
      "\"idle_master_cpu_per_s\":%.3f,"
      "\"master_cpu_seconds\":%.2f,\"bench_cpu_seconds\":%.2f,\"load_before\":%.2f,"
      "\"load_after\":%.2f,\"error\":\"%s\"}",
      r.options.heartbeat_seconds, r.options.wave, agents, r.options.frameworks, tasks,
      r.agents_registered, r.tasks_running, r.tasks_terminal, r.state_agents, r.state_tasks_running,
      r.agents_seconds, r.tasks_seconds, r.before_agents.rss, r.after_agents.rss, r.after_tasks.rss,
      r.after_tasks.peak, PerUnit(r.after_agents.rss - r.before_agents.rss, r.agents_registered),
      PerUnit(r.after_tasks.rss - r.after_agents.rss, r.tasks_running),
      static_cast<int>(r.get_state.values.size()), r.get_state.Percentile(0.5), r.get_state.Max(),
      r.state_bytes, r.health_idle.Percentile(0.5), r.health_idle.Max(),
      static_cast<int>(r.health_loaded.values.size()), r.health_loaded.Percentile(0.5),
      r.health_loaded.Percentile(0.99), r.health_loaded.Max(), r.probe_failures,
      r.options.probe_shared_connection ? "true" : "false", r.state_master_cpu_ms, r.state_load,
      r.idle_master_cpu_per_s, r.master_cpu_seconds, r.bench_cpu_seconds, r.load_before,
      r.load_after, Escaped(r.error));
}

std::string Text(const ScaleReport& r) {
  const int agents = r.options.agents, tasks = r.options.tasks;
  std::ostringstream out;
  out << absl::StrFormat(
      "B-scale: %d agents, %d frameworks, %d tasks (load %.2f -> %.2f; heartbeat %d s, waves of "
      "%d agents)\n",
      agents, r.options.frameworks, tasks, r.load_before, r.load_after, r.options.heartbeat_seconds,
      r.options.wave);
  out << absl::StrFormat("  agents registered %d in %.1f s; tasks RUNNING %d in %.1f s\n",
                         r.agents_registered, r.agents_seconds, r.tasks_running, r.tasks_seconds);
  out << absl::StrFormat("  GetState sees %d agents, %d RUNNING tasks\n", r.state_agents,
                         r.state_tasks_running);
  out << absl::StrFormat(
      "  master RSS: %.1f MiB before agents, %.1f after agents, %.1f after tasks "
      "(peak %.1f): %.0f B/agent, %.0f B/task\n",
      MiB(r.before_agents.rss), MiB(r.after_agents.rss), MiB(r.after_tasks.rss),
      MiB(r.after_tasks.peak),
      PerUnit(r.after_agents.rss - r.before_agents.rss, r.agents_registered),
      PerUnit(r.after_tasks.rss - r.after_agents.rss, r.tasks_running));
  out << absl::StrFormat(
      "  GetState x%d: p50 %.1f ms, max %.1f ms, %.1f MiB; master CPU %.1f ms per call beyond its "
      "idle %.0f ms/s (load %.1f)\n",
      r.get_state.values.size(), r.get_state.Percentile(0.5), r.get_state.Max(), MiB(r.state_bytes),
      r.state_master_cpu_ms, r.idle_master_cpu_per_s * 1000, r.state_load);
  out << absl::StrFormat("  GetHealth (on the loop) idle: p50 %.2f ms, max %.2f ms\n",
                         r.health_idle.Percentile(0.5), r.health_idle.Max());
  out << absl::StrFormat(
      "  GetHealth during GetState (%s connection): n=%d p50 %.2f ms, p99 %.2f ms, max %.2f ms "
      "(%d failed)\n",
      r.options.probe_shared_connection ? "GetState's" : "its own", r.health_loaded.values.size(),
      r.health_loaded.Percentile(0.5), r.health_loaded.Percentile(0.99), r.health_loaded.Max(),
      r.probe_failures);
  out << absl::StrFormat("  CPU: master %.1f s, benchmark process %.1f s\n", r.master_cpu_seconds,
                         r.bench_cpu_seconds);
  if (!r.error.empty()) out << "  INCOMPLETE: " << r.error << "\n";
  return out.str();
}

// Registers the fleet and the frameworks' tasks, then measures; stops at
// the first stage that does not complete (recorded in report->error).
void Measure(const std::string& address, pid_t master, ScaleReport* report) {
  const ScaleOptions& options = report->options;
  const absl::Duration timeout = absl::Seconds(options.timeout_seconds);
  auto memory = [&](MemorySample* out) {
    auto sample = ReadMemory(master);
    if (sample.ok()) *out = *sample;
    return sample.ok();
  };
  memory(&report->before_agents);

  // The agents come up in waves: each wave registers before the next
  // starts, so agents waiting on a slow registry do not time out and
  // reconnect (which would add their registrations again).
  std::vector<std::unique_ptr<sim::SimAgentHost>> hosts;
  auto start = absl::Now();
  const absl::Time deadline = start + timeout;
  for (int first = 0; first < options.agents; first += options.wave) {
    sim::SimAgentHostOptions host_options;
    host_options.master = address;
    host_options.agents = std::min(options.wave, options.agents - first);
    host_options.channels_per_master = 4;
    host_options.hostname_prefix = absl::StrCat("sim-", first, "-");
    host_options.seed = static_cast<uint32_t>(first + 1);
    // Until REGISTERED names the master's interval, an agent expects
    // messages at this pace; the master's own, so a wave waiting on a busy
    // master is not shed earlier than registered agents would be.
    host_options.agent.heartbeat_interval = absl::Seconds(options.heartbeat_seconds);
    auto host = sim::SimAgentHost::Create(host_options);
    if (!host.ok()) {
      report->error = absl::StrCat("simulated agents: ", host.status().message());
      return;
    }
    (*host)->Start();
    const int wanted = host_options.agents;
    (*host)->WaitUntil([&](const sim::SimFleetSummary& s) { return s.registered == wanted; },
                       std::max(absl::ZeroDuration(), deadline - absl::Now()));
    const int registered = (*host)->Summary().registered;
    report->agents_registered += registered;
    hosts.push_back(std::move(*host));
    std::cerr << "agents registered: " << report->agents_registered << " after "
              << absl::FormatDuration(absl::Now() - start) << std::endl;
    if (registered != wanted) break;
  }
  report->agents_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  memory(&report->after_agents);
  if (report->agents_registered != options.agents) {
    report->error = absl::StrCat("only ", report->agents_registered, " of ", options.agents,
                                 " agents registered within ", options.timeout_seconds, " s");
    return;
  }

  const int per_agent = (options.tasks + options.agents - 1) / options.agents;
  std::vector<std::unique_ptr<ScaleFramework>> frameworks;
  for (int i = 0; i < options.frameworks; ++i) {
    const int quota =
        options.tasks / options.frameworks + (i < options.tasks % options.frameworks ? 1 : 0);
    frameworks.push_back(
        std::make_unique<ScaleFramework>(absl::StrCat("scale-", i), quota, per_agent));
  }
  start = absl::Now();
  for (auto& framework : frameworks) framework->Start(address);
  auto running = [&] {
    int total = 0;
    for (auto& framework : frameworks) total += framework->running();
    return total;
  };
  // Waits for every task, or until the count stops moving for a minute
  // (launches lost to a framework that re-subscribed under a new id are not
  // retried): the figures are then taken on the tasks that run.
  int last = -1;
  absl::Time moved = absl::Now();
  testing::WaitFor(
      [&] {
        const int now = running();
        if (now != last) {
          last = now;
          moved = absl::Now();
          std::cerr << "tasks running: " << now << std::endl;
        }
        return now >= options.tasks || absl::Now() - moved > absl::Minutes(1);
      },
      timeout, absl::Seconds(1));
  report->tasks_seconds = absl::ToDoubleSeconds(moved - start);
  report->tasks_running = running();
  for (auto& framework : frameworks) report->tasks_terminal += framework->terminal();
  memory(&report->after_tasks);
  if (report->tasks_running != options.tasks) {
    report->error = absl::StrCat("only ", report->tasks_running, " of ", options.tasks,
                                 " tasks RUNNING (no progress for a minute, or timeout); figures "
                                 "taken on those");
  }

  MasterQueries queries(address);
  auto state = queries.GetState();
  if (!state.ok()) {
    report->error = absl::StrCat(report->error, "; GetState: ", state.status().message());
    return;
  }
  report->state_agents = state->agents_size();
  for (const v1::Task& task : state->tasks())
    if (task.state() == v1::TASK_RUNNING) ++report->state_tasks_running;

  for (int i = 0; i < 200; ++i) {
    auto ms = queries.TimeGetHealth();
    if (ms.ok()) report->health_idle.values.push_back(*ms);
  }
  LoopProbe probe(address, /*interval_ms=*/2, !options.probe_shared_connection);
  const double idle_before = SampleCpu({master}).self_seconds;
  const auto idle_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(5));  // A measurement window, not a wait.
  const double cpu_before = SampleCpu({master}).self_seconds;
  const auto window_start = std::chrono::steady_clock::now();
  report->idle_master_cpu_per_s =
      (cpu_before - idle_before) / std::chrono::duration<double>(window_start - idle_start).count();
  const double load_before = LoadAverage();
  probe.Start();
  for (int i = 0; i < options.state_calls; ++i) {
    auto timed = queries.TimeGetState();
    if (!timed.ok()) {
      report->error = absl::StrCat("GetState under probe: ", timed.status().message());
      break;
    }
    report->get_state.values.push_back(timed->ms);
    report->state_bytes = timed->bytes;
  }
  report->health_loaded = probe.Stop(&report->probe_failures);
  if (!report->get_state.values.empty()) {
    const double window =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
    const double busy = SampleCpu({master}).self_seconds - cpu_before;
    report->state_master_cpu_ms =
        (busy - report->idle_master_cpu_per_s * window) * 1000 / report->get_state.values.size();
  }
  report->state_load = (load_before + LoadAverage()) / 2;
  for (auto& framework : frameworks) framework->Stop();
  for (auto& host : hosts) host->Stop();
}

}  // namespace

int RunScale(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = ParseScaleArgs(args);
  if (!options.ok()) {
    std::cerr << "agora-bench scale: " << options.status().message() << std::endl;
    return 2;
  }
  ScaleReport report;
  report.options = *options;
  report.load_before = LoadAverage();
  std::string dir = options->work_dir;
  const bool own_dir = dir.empty();
  if (own_dir) {
    char pattern[] = "/tmp/agora-bench-scale-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      std::cerr << "agora-bench scale: cannot create a temp dir under /tmp" << std::endl;
      return 1;
    }
    dir = pattern;
  }
  std::filesystem::create_directories(dir + "/master");
  const int port = FreePort(), http_port = FreePort();
  auto master = testing::Subprocess::Spawn(
      {options->master_binary.empty() ? DefaultMasterBinary() : options->master_binary,
       absl::StrCat("--work_dir=", dir, "/master"), absl::StrCat("--port=", port),
       absl::StrCat("--http_port=", http_port), "--max_message_bytes=1GiB",
       absl::StrCat("--agent_heartbeat_interval=", options->heartbeat_seconds, "s"),
       "--logtostderr=1"},
      dir + "/master.log");
  if (!master.ok()) {
    std::cerr << "agora-bench scale: agora-master: " << master.status().message() << std::endl;
    return 1;
  }
  if (!testing::WaitFor([&] { return MasterReady(http_port) || !(*master)->Running(); },
                        absl::Seconds(30)) ||
      !(*master)->Running()) {
    report.error = absl::StrCat("agora-master did not become ready; see ", dir, "/master.log");
  } else {
    Measure(absl::StrCat("127.0.0.1:", port), (*master)->pid(), &report);
    report.master_cpu_seconds = SampleCpu({(*master)->pid()}).self_seconds;
  }
  report.bench_cpu_seconds = SelfCpuSeconds();
  report.load_after = LoadAverage();
  if (!(*master)->Running() && report.error.empty())
    report.error = absl::StrCat("agora-master exited; see ", dir, "/master.log");
  master->reset();
  std::cout << (options->json ? Json(report) + "\n" : Text(report)) << std::flush;
  if (own_dir && report.error.empty()) std::filesystem::remove_all(dir);
  return report.error.empty() ? 0 : 1;
}

}  // namespace agora::bench
