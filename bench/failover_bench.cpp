// agora-failover-bench: how long the cluster takes to recover from the loss
// of its leading master, with a fleet of simulated agents and a real
// framework. See bench/run-failover for how to run it and
// docs/benchmarks.md ("Master failover") for the figures.
//
// Workload: --agents simulated agents (bench/sim) each running
// --tasks_per_agent never-ending tasks of 0.1 cpu / 128 MiB, launched by a
// framework on the real scheduler driver. Then the leading master is killed
// (kill -9) and the stages of recovery are timed from that instant:
//   detection   the leader's election znode is gone (failover mode only)
//   election    a master (a new one, or the restarted one) answers /ready 200
//   agents      the last agent's (re-)registration is acknowledged
//   framework   the driver's `reregistered` callback ran
//   tasks       the serving master's operator API counts every task RUNNING
// --mode=restart kills the one standalone master and restarts it on its
// work dir (the same re-registration path); --mode=failover runs ZooKeeper
// and three masters.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/absl_locks.hpp"
#include "failover/cluster.hpp"
#include "failover/packing_framework.hpp"
#include "failover/probes.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "sim/fleet_priority.hpp"
#include "sim/sim_agent_host.hpp"

DEFINE_string(mode, "restart",
              "restart (one standalone master, kill -9 and restart) or failover "
              "(ZooKeeper and three masters, kill -9 the leader).");
DEFINE_int32(agents, 1000, "Simulated agents.");
DEFINE_int32(tasks_per_agent, 10, "Never-ending tasks launched on each agent.");
DEFINE_double(zk_session_timeout, 10, "The masters' --zk_session_timeout, in seconds (failover).");
DEFINE_bool(quick, false, "Smoke run: 100 agents.");
DEFINE_bool(json, false, "Print the figures as one JSON object instead of a table.");
DEFINE_string(master_binary, "", "agora-master to run (default: beside this program).");
DEFINE_string(bench_dir, "",
              "Work dir for the daemons (default: a fresh dir under /tmp, "
              "removed after a successful run).");
DEFINE_int32(sim_loops, 1,
             "Event loop threads the simulated agents are spread over (real agents reconnect "
             "in parallel, each on its own machine; one loop opens every stream in turn).");
DEFINE_int32(fleet_nice, 0,
             "Niceness (0..19) of this process's threads -- the simulated agents and the framework "
             "-- once the masters run: 19 models agents on their own machines, where the master "
             "does not share its cores with the fleet. Failover mode only (a master restarted "
             "later would inherit it).");
DEFINE_double(stage_timeout, 180, "Seconds each phase may take before the run fails.");

namespace agora::bench {
namespace {

// Seconds from `start` to `end`, or nullopt for "did not happen".
using Stage = std::optional<double>;

struct Figures {
  double fleet_registered = 0;  // Set-up: all agents registered, seconds.
  double tasks_launched = 0;    // Set-up: all tasks RUNNING, seconds.
  Stage detection, election, agents, framework, tasks;
  // Spread of the agents' re-registrations after the kill, seconds.
  Stage agents_p50, agents_p90;
  // The agents' successful attempts: when they started (after the kill) and
  // how long the master took to admit them.
  Stage attempt_p50, attempt_max, wait_p50, wait_max;
  int tasks_running_after = 0;
  int tasks_terminal = 0;
};

std::string DefaultMasterBinary() {
  char path[4096] = {};
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0) return "agora-master";
  return (std::filesystem::path(std::string(path, length)).parent_path() / "agora-master").string();
}

bool Poll(const std::function<bool()>& done, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Measures the stages after killing the leader. The master side
// (detection, election) is polled every 5 ms on a thread of its own, so the
// fleet's queries, which queue behind the agents' busy loop, never delay it;
// the agents' and the framework's times are recorded where they happen; the
// task count is polled every 20 ms once every agent is back.
void MeasureRecovery(BenchCluster* cluster, sim::SimAgentHost* host, PackingFramework* framework,
                     bool failover, Figures* figures) {
  absl::StatusOr<int> leader = cluster->Leader();
  CHECK(leader.ok()) << "no leader to kill: " << leader.status();
  const int killed = *leader;
  std::string znode = failover ? cluster->LeaderZnode().value_or("") : "";
  const absl::Time kill = absl::Now();
  cluster->Kill(killed);
  if (!failover) {
    absl::Status restarted = cluster->Restart(killed);
    CHECK(restarted.ok()) << "restarting the master: " << restarted;
  }
  auto since = [kill](absl::Time t) { return absl::ToDoubleSeconds(t - kill); };
  const absl::Time deadline = kill + absl::Seconds(FLAGS_stage_timeout);

  // Only this thread uses `cluster` (and writes detection and election)
  // until it is joined.
  std::atomic<int> serving{-1};
  std::thread master_side([&] {
    while (absl::Now() < deadline) {
      if (failover && !figures->detection) {
        auto exists = cluster->ZnodeExists(znode);
        if (exists.ok() && !*exists) figures->detection = since(absl::Now());
      }
      if (!figures->election) {
        auto now_leading = cluster->Leader();
        if (now_leading.ok() && (!failover || *now_leading != killed) &&
            MasterReady(cluster->master(*now_leading).http_port)) {
          figures->election = since(absl::Now());
          serving = *now_leading;
        }
      }
      if ((!failover || figures->detection) && figures->election) return;
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  std::vector<int> ports;  // Read here while the thread runs: fixed since start-up.
  for (int i = 0; i < cluster->masters(); ++i) ports.push_back(cluster->master(i).port);
  while (absl::Now() < deadline) {
    if (!figures->agents) {
      sim::SimFleetSummary fleet = host->Summary(kill);
      if (fleet.admitted_since == fleet.agents) figures->agents = since(fleet.last_admitted);
    }
    if (!figures->framework && framework->reregistered_at() > kill)
      figures->framework = since(framework->reregistered_at());
    if (!figures->tasks && serving >= 0 && figures->agents) {
      std::string address = absl::StrCat("127.0.0.1:", ports[serving]);
      auto running = CountTasks(address, v1::TASK_RUNNING);
      if (running.ok() && *running >= framework->target()) {
        figures->tasks = since(absl::Now());
        figures->tasks_running_after = *running;
      }
    }
    if (figures->agents && figures->framework && figures->tasks) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  master_side.join();
  figures->tasks_terminal = framework->terminal();
  // Where the agents' time went: when their successful attempt started, and
  // how long the master took to answer it.
  std::vector<double> admitted, attempt, wait;
  for (const sim::SimAgentStats& stats : host->Stats()) {
    if (stats.times.admitted < kill) continue;
    admitted.push_back(since(stats.times.admitted));
    attempt.push_back(since(stats.times.connected));
    wait.push_back(absl::ToDoubleSeconds(stats.times.admitted - stats.times.connected));
  }
  auto quantile = [](std::vector<double>* values, double q) -> Stage {
    if (values->empty()) return std::nullopt;
    std::sort(values->begin(), values->end());
    return (*values)[std::min(values->size() - 1, static_cast<size_t>(values->size() * q))];
  };
  figures->agents_p50 = quantile(&admitted, 0.5);
  figures->agents_p90 = quantile(&admitted, 0.9);
  figures->attempt_p50 = quantile(&attempt, 0.5);
  figures->attempt_max = quantile(&attempt, 1.0);
  figures->wait_p50 = quantile(&wait, 0.5);
  figures->wait_max = quantile(&wait, 1.0);
}

std::string Format(const Stage& stage) {
  return stage ? absl::StrFormat("%.2f s", *stage) : std::string("-");
}
std::string Json(const Stage& stage) {
  return stage ? absl::StrFormat("%.3f", *stage) : std::string("null");
}

void Print(const Figures& f, bool failover, int agents, int tasks) {
  if (FLAGS_json) {
    std::printf(
        "{\"mode\": \"%s\", \"agents\": %d, \"tasks\": %d, \"zk_session_timeout_s\": %g, "
        "\"fleet_nice\": %d, \"sim_loops\": %d, "
        "\"setup\": {\"agents_registered_s\": %.3f, \"tasks_running_s\": %.3f}, "
        "\"after_kill\": {\"detection_s\": %s, \"election_s\": %s, "
        "\"agents_reregistered_s\": %s, \"agents_reregistered_p50_s\": %s, "
        "\"agents_reregistered_p90_s\": %s, \"framework_reregistered_s\": %s, "
        "\"tasks_running_s\": %s}, \"agents_last_attempt_p50_s\": %s, "
        "\"agents_last_attempt_max_s\": %s, \"agents_admission_wait_p50_s\": %s, "
        "\"agents_admission_wait_max_s\": %s, \"tasks_running\": %d, \"tasks_terminal\": %d}\n",
        FLAGS_mode.c_str(), agents, tasks, failover ? FLAGS_zk_session_timeout : 0.0,
        FLAGS_fleet_nice, FLAGS_sim_loops, f.fleet_registered, f.tasks_launched,
        Json(f.detection).c_str(), Json(f.election).c_str(), Json(f.agents).c_str(),
        Json(f.agents_p50).c_str(), Json(f.agents_p90).c_str(), Json(f.framework).c_str(),
        Json(f.tasks).c_str(), Json(f.attempt_p50).c_str(), Json(f.attempt_max).c_str(),
        Json(f.wait_p50).c_str(), Json(f.wait_max).c_str(), f.tasks_running_after,
        f.tasks_terminal);
    return;
  }
  std::printf("Master %s: %d agents, %d tasks", failover ? "failover" : "restart", agents, tasks);
  if (failover) std::printf(", ZooKeeper session timeout %g s", FLAGS_zk_session_timeout);
  if (FLAGS_fleet_nice != 0) std::printf(", simulated fleet at niceness %d", FLAGS_fleet_nice);
  if (FLAGS_sim_loops != 1) std::printf(", simulated agents on %d loops", FLAGS_sim_loops);
  std::printf("\n  set-up: agents registered in %.2f s, tasks running in %.2f s\n",
              f.fleet_registered, f.tasks_launched);
  std::printf("  after kill -9 of the leader:\n");
  if (failover)
    std::printf("    detection (znode gone)            %s\n", Format(f.detection).c_str());
  std::printf("    %-34s%s\n",
              failover ? "election (new leader /ready 200)" : "restart (/ready 200)",
              Format(f.election).c_str());
  std::printf("    all agents re-registered          %s (p50 %s, p90 %s)\n",
              Format(f.agents).c_str(), Format(f.agents_p50).c_str(), Format(f.agents_p90).c_str());
  std::printf("      successful attempts started: p50 %s, last %s; answered in p50 %s, max %s\n",
              Format(f.attempt_p50).c_str(), Format(f.attempt_max).c_str(),
              Format(f.wait_p50).c_str(), Format(f.wait_max).c_str());
  std::printf("    framework re-registered           %s\n", Format(f.framework).c_str());
  std::printf("    all tasks RUNNING on the master   %s (%d of %d; %d ended)\n",
              Format(f.tasks).c_str(), f.tasks_running_after, tasks, f.tasks_terminal);
}

int Run() {
  const bool failover = FLAGS_mode == "failover";
  if (!failover && FLAGS_mode != "restart") {
    std::fprintf(stderr, "--mode: must be restart or failover, got %s\n", FLAGS_mode.c_str());
    return 2;
  }
  const int agents = FLAGS_quick ? 100 : FLAGS_agents;
  if (agents < 1 || FLAGS_tasks_per_agent < 0) {
    std::fprintf(stderr, "--agents and --tasks_per_agent: must be positive\n");
    return 2;
  }
  if (FLAGS_fleet_nice != 0 && !failover) {
    std::fprintf(stderr,
                 "--fleet_nice: needs --mode=failover (the restarted master would "
                 "inherit the niceness)\n");
    return 2;
  }
  std::string dir = FLAGS_bench_dir;
  bool own_dir = dir.empty();
  if (own_dir) {
    char pattern[] = "/tmp/agora-failover-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return 2;
    dir = pattern;
  }
  std::filesystem::create_directories(dir);

  ClusterOptions options;
  options.mode = failover ? ClusterMode::kFailover : ClusterMode::kRestart;
  options.work_dir = dir;
  options.master_binary = FLAGS_master_binary.empty() ? DefaultMasterBinary() : FLAGS_master_binary;
  options.zk_session_timeout_seconds = FLAGS_zk_session_timeout;
  absl::Duration timeout = absl::Seconds(FLAGS_stage_timeout);
  auto cluster = BenchCluster::Start(options, timeout);
  if (!cluster.ok()) {
    std::fprintf(stderr, "cluster: %s\n(daemon logs kept under %s)\n",
                 cluster.status().ToString().c_str(), dir.c_str());
    return 1;
  }

  if (FLAGS_fleet_nice != 0) {
    if (absl::Status lowered = sim::LowerThisProcessPriority(FLAGS_fleet_nice); !lowered.ok()) {
      std::fprintf(stderr, "--fleet_nice: %s\n", lowered.ToString().c_str());
      return 2;
    }
  }
  Figures figures;
  sim::SimAgentHostOptions host_options;
  host_options.master = (*cluster)->MasterSpec();
  host_options.agents = agents;
  host_options.loops = FLAGS_sim_loops;
  auto host = sim::SimAgentHost::Create(host_options);
  if (!host.ok()) {
    std::fprintf(stderr, "agents: %s\n", host.status().ToString().c_str());
    return 1;
  }
  absl::Time start = absl::Now();
  (*host)->Start();
  if (!(*host)->WaitUntil([agents](const auto& s) { return s.registered == agents; }, timeout)) {
    std::fprintf(stderr, "agents: not all %d registered within %s\n", agents,
                 absl::FormatDuration(timeout).c_str());
    return 1;
  }
  figures.fleet_registered = absl::ToDoubleSeconds(absl::Now() - start);

  PackingFramework framework(agents, FLAGS_tasks_per_agent);
  start = absl::Now();
  framework.Start((*cluster)->MasterSpec());
  std::string leader = (*cluster)->master(*(*cluster)->Leader()).address();
  if (!Poll(
          [&] {
            // The master is asked only once the framework saw every task
            // RUNNING: 100,000 tasks are ten GetTasks pages, and asking every
            // 10 ms kept the master too busy to heartbeat its agents.
            if (framework.running() < framework.target()) return false;
            auto count = CountTasks(leader, v1::TASK_RUNNING);
            return count.ok() && *count >= framework.target();
          },
          timeout)) {
    std::fprintf(stderr, "framework: %d of %d tasks running after %s\n", framework.running(),
                 framework.target(), absl::FormatDuration(timeout).c_str());
    return 1;
  }
  figures.tasks_launched = absl::ToDoubleSeconds(absl::Now() - start);

  MeasureRecovery(cluster->get(), host->get(), &framework, failover, &figures);
  Print(figures, failover, agents, framework.target());
  bool complete = figures.election && figures.agents && figures.framework && figures.tasks &&
                  (!failover || figures.detection) && figures.tasks_terminal == 0;
  framework.Stop();
  (*host)->Stop();
  cluster->reset();
  if (complete && own_dir) {
    std::filesystem::remove_all(dir);
  } else if (!complete) {
    std::fprintf(stderr, "incomplete run; daemon logs kept under %s\n", dir.c_str());
  }
  return complete ? 0 : 1;
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;  // Warnings and errors only: the figures go to stdout.
  gflags::SetUsageMessage("Times the recovery from a kill -9 of the leading master.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  return agora::bench::Run();
}
