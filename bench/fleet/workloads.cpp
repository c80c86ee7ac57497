#include "fleet/workloads.hpp"

#include <stdlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "fleet/args.hpp"
#include "fleet/fleet_run.hpp"

namespace agora::bench {
namespace {

struct CommonFlags {
  FleetRunOptions run;
  bool quick = false;
  bool json = false;
  std::string load = "pack";
  std::string bench_dir;
  std::string master_flags;
};

void Register(BenchArgs* args, CommonFlags* f) {
  FleetRunOptions& o = f->run;
  args->Int("agents", &o.agents, "Simulated agents (--quick: 100).");
  args->String("resources", &o.agent_resources, "Resources of each simulated agent.");
  args->Int("frameworks", &o.frameworks, "Frameworks on the real scheduler driver.");
  args->Int("roles", &o.roles, "Roles the frameworks are spread over (framework i: role-<i%N>).");
  args->Double("task_cpus", &o.task_cpus, "CPUs of each task.");
  args->Double("task_mem", &o.task_mem, "Memory of each task, MiB.");
  args->Duration("task_duration", &o.task_duration, "How long each task runs before FINISHED.");
  args->Int("tasks_per_offer", &o.tasks_per_offer, "Tasks packed into one offer at most.");
  args->Int("window", &o.window, "Tasks a framework keeps launched but not yet RUNNING at most.");
  args->Double("refuse", &o.refuse_seconds, "refuse_seconds of the declines of --load=decline.");
  args->Duration("warmup", &o.warmup, "Load before the measurement window (--quick: 5s).");
  args->Duration("duration", &o.duration, "Measurement window (--quick: 10s).");
  args->Duration("probe_interval", &o.probe_interval, "Period of the loop probes.");
  args->Int("channels", &o.channels, "gRPC connections the simulated agents share.");
  args->Duration("register_timeout", &o.register_timeout, "Wait for every agent to register.");
  args->String("load", &f->load,
               "pack (packing frameworks), decline (frameworks decline every offer) or idle "
               "(no frameworks).");
  args->Bool("quick", &f->quick, "Smoke run: 100 agents, 5 s warm-up, 10 s window.");
  args->Bool("json", &f->json, "Print one JSON object instead of the report.");
  args->String("master_binary", &o.master_binary, "agora-master to run (default: beside this).");
  args->String("master_flags", &f->master_flags,
               "Further agora-master flags, space-separated (e.g. --allocation_thread=false).");
  args->String("bench_dir", &f->bench_dir, "Work dir (default: a fresh one under /tmp).");
  args->Int("fleet_nice", &o.fleet_nice,
            "Niceness 0..19 of agora-bench's threads (simulated agents, frameworks, probes) once "
            "the master runs; 19 models a fleet on other machines, where the master does not "
            "share its cores with it.");
  args->String("perf", &o.perf_output,
               "Record `perf record -g` of the master over the window "
               "into this file.");
}

// Parses, applies --quick and --load, runs and prints.
int Run(const std::string& workload, int argc, char** argv, CommonFlags flags) {
  BenchArgs args(workload);
  Register(&args, &flags);
  if (absl::Status status = args.Parse(argc, argv); !status.ok()) {
    std::fprintf(stderr, "agora-bench %s: %s\n", workload.c_str(),
                 std::string(status.message()).c_str());
    return 2;
  }
  if (args.help_requested()) {
    std::printf("%s", args.Usage().c_str());
    return 0;
  }
  FleetRunOptions& o = flags.run;
  if (flags.quick) {
    if (!args.Given("agents")) o.agents = 100;
    if (!args.Given("warmup")) o.warmup = absl::Seconds(5);
    if (!args.Given("duration")) o.duration = absl::Seconds(10);
  }
  if (flags.load == "pack") {
    o.load = FleetLoad::kPack;
  } else if (flags.load == "decline") {
    o.load = FleetLoad::kDecline;
  } else if (flags.load == "idle") {
    o.frameworks = 0;
  } else {
    std::fprintf(stderr, "agora-bench %s: --load: '%s' is not pack, decline or idle\n",
                 workload.c_str(), flags.load.c_str());
    return 2;
  }
  if (absl::Status status = ValidateFleetOptions(o); !status.ok()) {
    std::fprintf(stderr, "agora-bench %s: %s\n", workload.c_str(),
                 std::string(status.message()).c_str());
    return 2;
  }
  if (o.master_binary.empty()) o.master_binary = BesideSelf("agora-master");
  std::vector<std::string> master_flags =
      absl::StrSplit(flags.master_flags, ' ', absl::SkipEmpty());
  o.master_flags = std::move(master_flags);
  o.work_dir = flags.bench_dir;
  if (o.work_dir.empty()) {
    char pattern[] = "/tmp/agora-bench-XXXXXX";
    o.work_dir = ::mkdtemp(pattern);
  }
  auto result = RunFleet(o);
  if (!result.ok()) {
    std::fprintf(stderr, "agora-bench %s: %s\n", workload.c_str(),
                 result.status().ToString().c_str());
    return 1;
  }
  if (flags.json) {
    std::printf("%s\n", FleetResultJson(workload, o, *result).c_str());
  } else {
    std::printf("%s", FleetResultText(workload, o, *result).c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int RunThroughput(int argc, char** argv) { return Run("throughput", argc, argv, CommonFlags()); }

int RunLoop(int argc, char** argv) {
  // The loop's figures need no long steady state to be meaningful; the
  // default load is the throughput workload's.
  CommonFlags flags;
  flags.run.duration = absl::Seconds(30);
  return Run("loop", argc, argv, flags);
}

}  // namespace agora::bench
