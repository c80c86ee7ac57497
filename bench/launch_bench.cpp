// agora-launch-bench: how fast today's launch path runs command tasks on one
// real agent (issue 9). See bench/run-launch for how to run it and
// docs/benchmarks.md ("Task launch") for the figures.
//
// Each phase starts a fresh agora-master and agora-agent
// (cpus:64;mem:262144) on free loopback ports and a framework on the real
// scheduler driver running `true` tasks of 0.05 cpu / 16 MiB:
//   sequential  --sequential_tasks tasks one after another: launch -> RUNNING
//               and launch -> FINISHED latency (p50/p99), as the scheduler
//               sees them
//   burst-N     N tasks launched as fast as offers allow (all of the first
//               offer: 1,280 fit): wall time from the first launch to the
//               last terminal update, capped by --burst_timeout
// and for every phase: how many tasks FINISHED / FAILED, CPU seconds of
// master + agent + everything they started (launch/proc_usage.hpp), and the
// agent's RSS once the tasks ended.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/absl_locks.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "launch/launch_cluster.hpp"
#include "launch/launch_framework.hpp"
#include "launch/proc_usage.hpp"

DEFINE_bool(quick, false, "Smoke run: 100 sequential tasks and one burst of 100.");
DEFINE_int32(sequential_tasks, 1000, "Tasks of the sequential phase (0 skips it).");
DEFINE_string(bursts, "1000,10000", "Sizes of the burst phases, comma-separated ('' for none).");
DEFINE_double(burst_timeout, 300, "Seconds a burst may run before it is cut off and reported.");
DEFINE_double(sequential_timeout, 900, "Seconds the sequential phase may run.");
DEFINE_bool(json, false, "Print one JSON object per phase instead of a table.");
DEFINE_string(master_binary, "", "agora-master to run (default: beside this program).");
DEFINE_string(agent_binary, "", "agora-agent to run (default: beside this program).");
DEFINE_string(bench_dir, "", "Work dir for the daemons (default: a fresh one under /tmp).");

namespace agora::bench {
namespace {

struct PhaseResult {
  std::string name;
  int tasks = 0;
  bool timed_out = false;
  double wall_seconds = 0;
  std::map<std::string, int> states;    // Final state name -> tasks.
  std::map<std::string, int> messages;  // Message of non-FINISHED terminal updates -> tasks.
  int duplicate_terminal = 0;           // Tasks whose terminal update came twice or more.
  double running_p50_ms = 0, running_p99_ms = 0;
  double finished_p50_ms = 0, finished_p99_ms = 0;
  double cpu_seconds = 0;
  int unreaped_descendants = 0;
  double agent_rss_mib = 0, master_rss_mib = 0;
  double load_before = 0, load_after = 0;
};

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(q * (values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::string Beside(const std::string& flag, const std::string& name) {
  if (!flag.empty()) return flag;
  char self[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  return (std::filesystem::path(std::string(self, n > 0 ? n : 0)).parent_path() / name).string();
}

void Summarize(const std::map<std::string, TaskTimes>& times, PhaseResult* result) {
  std::vector<double> running, finished;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const auto& [id, task] : times) {
    first = std::min(first, task.launched);
    if (task.running != absl::InfinitePast())
      running.push_back(absl::ToDoubleMilliseconds(task.running - task.launched));
    if (task.terminal_updates > 0) last = std::max(last, task.terminal);
    if (task.terminal_updates > 1) ++result->duplicate_terminal;
    ++result->states[v1::TaskState_Name(task.state)];
    if (task.state == v1::TASK_FINISHED) {
      finished.push_back(absl::ToDoubleMilliseconds(task.terminal - task.launched));
    } else if (task.terminal_updates > 0) {
      ++result->messages[task.message.substr(0, 80)];
    }
  }
  result->states["(never launched)"] = result->tasks - static_cast<int>(times.size());
  if (result->states["(never launched)"] == 0) result->states.erase("(never launched)");
  if (!result->timed_out && last > first)
    result->wall_seconds = absl::ToDoubleSeconds(last - first);
  result->running_p50_ms = Percentile(running, 0.5);
  result->running_p99_ms = Percentile(running, 0.99);
  result->finished_p50_ms = Percentile(finished, 0.5);
  result->finished_p99_ms = Percentile(finished, 0.99);
}

absl::StatusOr<PhaseResult> RunPhase(const std::string& name, LaunchMode mode, int tasks,
                                     double timeout_seconds, const std::string& dir) {
  PhaseResult result;
  result.name = name;
  result.tasks = tasks;
  result.load_before = LoadAverage();
  LaunchClusterOptions options;
  options.work_dir = dir + "/" + name;
  options.master_binary = Beside(FLAGS_master_binary, "agora-master");
  options.agent_binary = Beside(FLAGS_agent_binary, "agora-agent");
  auto cluster = LaunchCluster::Start(options, absl::Seconds(30));
  if (!cluster.ok()) return cluster.status();
  const std::vector<pid_t> daemons = {(*cluster)->master_pid(), (*cluster)->agent_pid()};
  const CpuSample before = SampleCpu(daemons);

  LaunchFramework framework(mode, tasks);
  framework.Start((*cluster)->master_address());
  absl::Time started = absl::Now();
  bool done = testing::WaitFor(
      [&] { return framework.terminal() >= tasks || !(*cluster)->CheckAlive().ok(); },
      absl::Seconds(timeout_seconds));
  if (auto alive = (*cluster)->CheckAlive(); !alive.ok()) return alive;
  result.timed_out = !done;
  if (result.timed_out) result.wall_seconds = absl::ToDoubleSeconds(absl::Now() - started);
  // Executors linger after their task ends; their CPU counts once the agent
  // has reaped them (or, still alive, through the process tree).
  pid_t agent = (*cluster)->agent_pid();
  testing::WaitFor([&] { return Descendants(agent).empty(); }, absl::Seconds(15));
  const CpuSample after = SampleCpu(daemons);
  result.cpu_seconds = after.total() - before.total();
  result.unreaped_descendants = after.live_descendants;
  result.agent_rss_mib = RssMiB(agent);
  result.master_rss_mib = RssMiB((*cluster)->master_pid());
  result.load_after = LoadAverage();
  Summarize(framework.times(), &result);
  framework.Stop();
  return result;
}

std::string JoinCounts(const std::map<std::string, int>& counts) {
  return absl::StrJoin(counts, ", ", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.first, ": ", entry.second);
  });
}

void Print(const PhaseResult& r) {
  double per_task_ms = 1000 * r.cpu_seconds / r.tasks;
  int finished = r.states.count("TASK_FINISHED") ? r.states.at("TASK_FINISHED") : 0;
  if (FLAGS_json) {
    std::string states = absl::StrJoin(r.states, ",", [](std::string* out, const auto& entry) {
      absl::StrAppend(out, "\"", entry.first, "\":", entry.second);
    });
    std::printf(
        "{\"phase\":\"%s\",\"tasks\":%d,\"timed_out\":%s,\"wall_s\":%.3f,\"finished_per_s\":%.2f,"
        "\"states\":{%s},\"duplicate_terminal\":%d,\"running_p50_ms\":%.2f,"
        "\"running_p99_ms\":%.2f,\"finished_p50_ms\":%.2f,\"finished_p99_ms\":%.2f,"
        "\"cpu_s\":%.2f,\"cpu_ms_per_task\":%.2f,\"unreaped_descendants\":%d,"
        "\"agent_rss_mib\":%.1f,\"master_rss_mib\":%.1f,\"load_before\":%.2f,"
        "\"load_after\":%.2f}\n",
        r.name.c_str(), r.tasks, r.timed_out ? "true" : "false", r.wall_seconds,
        r.wall_seconds > 0 ? finished / r.wall_seconds : 0.0, states.c_str(), r.duplicate_terminal,
        r.running_p50_ms, r.running_p99_ms, r.finished_p50_ms, r.finished_p99_ms, r.cpu_seconds,
        per_task_ms, r.unreaped_descendants, r.agent_rss_mib, r.master_rss_mib, r.load_before,
        r.load_after);
  } else {
    std::printf("== %s: %d tasks%s\n", r.name.c_str(), r.tasks,
                r.timed_out ? " (CUT OFF by the timeout)" : "");
    std::printf("  wall %.2f s, %.1f FINISHED tasks/s\n", r.wall_seconds,
                r.wall_seconds > 0 ? finished / r.wall_seconds : 0.0);
    std::printf("  final states: %s; terminal update twice: %d tasks\n",
                JoinCounts(r.states).c_str(), r.duplicate_terminal);
    if (!r.messages.empty())
      std::printf("  why not FINISHED: %s\n", JoinCounts(r.messages).c_str());
    std::printf(
        "  launch -> RUNNING p50 %.1f ms, p99 %.1f ms; launch -> FINISHED p50 %.1f ms, "
        "p99 %.1f ms\n",
        r.running_p50_ms, r.running_p99_ms, r.finished_p50_ms, r.finished_p99_ms);
    std::printf("  CPU master + agent + descendants: %.2f s = %.2f ms per task (%d not reaped)\n",
                r.cpu_seconds, per_task_ms, r.unreaped_descendants);
    std::printf("  RSS after: agent %.1f MiB, master %.1f MiB; load average %.2f -> %.2f\n",
                r.agent_rss_mib, r.master_rss_mib, r.load_before, r.load_after);
  }
  std::fflush(stdout);
}

int Main() {
  int sequential = FLAGS_quick ? 100 : FLAGS_sequential_tasks;
  std::vector<int> bursts;
  for (absl::string_view size :
       absl::StrSplit(FLAGS_quick ? "100" : FLAGS_bursts, ',', absl::SkipWhitespace())) {
    int n = 0;
    if (!absl::SimpleAtoi(size, &n) || n <= 0) {
      std::fprintf(stderr, "--bursts: '%s' is not a positive task count\n",
                   std::string(size).c_str());
      return 2;
    }
    bursts.push_back(n);
  }
  std::string dir = FLAGS_bench_dir;
  if (dir.empty()) {
    char pattern[] = "/tmp/agora-launch-bench-XXXXXX";
    dir = ::mkdtemp(pattern);
  }
  std::printf("# agora-launch-bench: daemon logs under %s; %ld cores\n", dir.c_str(),
              ::sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<std::pair<std::string, int>> phases;
  if (sequential > 0) phases.emplace_back("sequential", sequential);
  for (int n : bursts) phases.emplace_back(absl::StrCat("burst-", n), n);
  for (const auto& [name, tasks] : phases) {
    bool burst = name != "sequential";
    auto result = RunPhase(name, burst ? LaunchMode::kBurst : LaunchMode::kSequential, tasks,
                           burst ? FLAGS_burst_timeout : FLAGS_sequential_timeout, dir);
    if (!result.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), result.status().ToString().c_str());
      return 1;
    }
    Print(*result);
  }
  return 0;
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Times today's task launch path; see bench/run-launch.");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = false;
  FLAGS_minloglevel = 1;  // The driver's INFO lines would drown the figures.
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  return agora::bench::Main();
}
