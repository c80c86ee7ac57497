// agora-bench: fleet-scale benchmarks of one agora-master (issue 13), one
// workload per subcommand:
//
//   agora-bench <workload> [--flag=value ...]
//   agora-bench --help                 lists the workloads
//   agora-bench <workload> --help      lists a workload's flags
//
// See docs/benchmarks.md ("Fleet scale") for what each measures and
// bench/run-all for how they are run.
#include <cstdio>
#include <cstring>

#include "common/absl_locks.hpp"
#include "fleet/scale.hpp"
#include "fleet/workloads.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"

namespace {

struct Workload {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

constexpr Workload kWorkloads[] = {
    {"throughput",
     "B-throughput: tasks/s to RUNNING (acknowledged) through one master from simulated agents "
     "and packing frameworks; per-stage p50/p90/p99/max",
     agora::bench::RunThroughput},
    {"loop",
     "B-loop: the master's event-loop stall (probes every 10 ms, its lag metric) under the "
     "throughput load, an idle fleet or declining frameworks",
     agora::bench::RunLoop},
    {"scale",
     "B-scale: master RSS, GetState time and the loop's stall with 10,000 agents, 100 frameworks "
     "and 100,000 tasks",
     agora::bench::RunScale},
};

void PrintWorkloads(FILE* out) {
  std::fprintf(out, "usage: agora-bench <workload> [--flag=value ...]  (<workload> --help)\n");
  std::fprintf(out, "workloads:\n");
  for (const Workload& workload : kWorkloads)
    std::fprintf(out, "  %-11s %s\n", workload.name, workload.summary);
}

}  // namespace

int main(int argc, char** argv) {
  // The drivers and simulated agents log through glog: keep their INFO
  // lines out of the figures (warnings still reach stderr).
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintWorkloads(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Workload& workload : kWorkloads)
    if (std::strcmp(argv[1], workload.name) == 0) return workload.run(argc - 1, argv + 1);
  std::fprintf(stderr, "agora-bench: unknown workload '%s'\n", argv[1]);
  PrintWorkloads(stderr);
  return 2;
}
