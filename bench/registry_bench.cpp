// agora-registry-bench: a registration storm through the master's
// LocalRegistry. N agent admissions (one PUT_AGENT Apply each, with a
// realistic AgentRecord) are posted to a real event loop as fast as it runs
// them, the way N REGISTER messages arriving together would be; the program
// waits until every Apply's callback reported the change durable.
//
// Prints, per N: the wall time of the storm, the loop's busy time in Apply
// (total, per admission, and the longest single Apply: the stall a
// registration adds to every other call; also the loop thread's CPU time),
// the fsyncs and bytes the registry wrote, and the restart (Recover) time of
// the result.
//
//   agora-registry-bench [--agents=1000,10000] [--dir=DIR]
//
// DIR (default: a temp dir under /tmp) should be on the disk the master's
// work_dir would use: fsync costs are the disk's.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/asio_event_loop.hpp"
#include "common/resources.hpp"
#include "master/registry.hpp"
#include "micro_bench.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using agora::bench::ThreadCpuSeconds;
using agora::master::LocalRegistry;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Bytes this process passed to write() so far (/proc/self/io wchar).
uint64_t BytesWritten() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

agora::internal::Operation Admission(int i) {
  static const auto resources =
      agora::Resources::Parse("cpus:64;mem:262144;disk:1048576;ports:[31000-32000]")->ToProto();
  agora::internal::Operation op;
  op.set_type(agora::internal::Operation::PUT_AGENT);
  auto* record = op.mutable_agent();
  record->set_status(agora::internal::AgentRecord::ADMITTED);
  auto* info = record->mutable_info();
  info->mutable_id()->set_value("7-S" + std::to_string(i));
  info->set_hostname("agent-" + std::to_string(i) + ".rack-" + std::to_string(i / 40) +
                     ".example.com");
  info->set_address("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":5051");
  *info->mutable_resources() = resources;
  auto* rack = info->add_attributes();
  rack->set_name("rack");
  rack->set_text("rack-" + std::to_string(i / 40));
  return op;
}

struct Result {
  double wall = 0;       // First post to last callback.
  double loop_busy = 0;  // Sum of the Apply calls' durations.
  double loop_cpu = 0;   // The loop thread's CPU time in them.
  double longest = 0;    // The longest single Apply.
  uint64_t bytes = 0;    // Bytes written while the storm ran.
  double recover = 0;    // Recover() of the result in a new LocalRegistry.
  int recovered_agents = 0;
  LocalRegistry::Stats stats;
};

Result Storm(const std::string& work_dir, int agents) {
  std::filesystem::remove_all(work_dir);
  Result result;
  agora::AsioEventLoop loop("registry-bench");
  loop.Start();
  {
    LocalRegistry registry(&loop, work_dir);
    if (auto recovered = registry.Recover(); !recovered.ok()) {
      std::fprintf(stderr, "%s\n", std::string(recovered.status().message()).c_str());
      std::exit(1);
    }
    std::vector<agora::internal::Operation> ops;
    for (int i = 0; i < agents; ++i) ops.push_back(Admission(i));
    std::promise<void> all_done;
    int committed = 0;  // Loop-owned.
    const uint64_t bytes_before = BytesWritten();
    const auto start = Clock::now();
    for (int i = 0; i < agents; ++i) {
      loop.Post([&, i] {
        const auto apply_start = Clock::now();
        const double cpu_start = ThreadCpuSeconds();
        registry.Apply({std::move(ops[i])}, [&](absl::Status status) {
          if (!status.ok()) {
            std::fprintf(stderr, "registry write failed: %s\n",
                         std::string(status.message()).c_str());
            std::exit(1);
          }
          if (++committed == agents) all_done.set_value();
        });
        const double took = Seconds(Clock::now() - apply_start);
        result.loop_cpu += ThreadCpuSeconds() - cpu_start;
        result.loop_busy += took;
        result.longest = std::max(result.longest, took);
      });
    }
    all_done.get_future().wait();
    result.wall = Seconds(Clock::now() - start);
    registry.Flush();
    result.bytes = BytesWritten() - bytes_before;
    result.stats = registry.stats();
  }
  loop.Stop();
  agora::AsioEventLoop unused("registry-bench");
  LocalRegistry reloaded(&unused, work_dir);
  const auto recover_start = Clock::now();
  auto recovered = reloaded.Recover();
  result.recover = Seconds(Clock::now() - recover_start);
  result.recovered_agents = recovered.ok() ? recovered->agents_size() : -1;
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {1000, 10000};
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--agents=", 0) == 0) {
      sizes.clear();
      for (absl::string_view part : absl::StrSplit(arg.substr(9), ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n <= 0) {
          std::fprintf(stderr, "--agents: '%s' is not a positive count\n",
                       std::string(part).c_str());
          return 2;
        }
        sizes.push_back(n);
      }
    } else if (arg.rfind("--dir=", 0) == 0) {
      dir = arg.substr(6);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  bool own_dir = false;
  if (dir.empty()) {
    char pattern[] = "/tmp/agora-registry-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    own_dir = true;
  }
  std::printf("%8s %9s %10s %12s %11s %10s %8s %8s %12s %9s %9s\n", "agents", "wall_s", "loop_s",
              "loop_us/adm", "cpu_us/adm", "max_us", "fsyncs", "batches", "bytes", "bytes/adm",
              "recover_s");
  for (int agents : sizes) {
    Result r = Storm(dir + "/work", agents);
    if (r.recovered_agents != agents) {
      std::fprintf(stderr, "recovered %d agents, expected %d\n", r.recovered_agents, agents);
      return 1;
    }
    std::printf("%8d %9.3f %10.3f %12.1f %11.1f %10.0f %8llu %8llu %12llu %9.0f %9.3f\n", agents,
                r.wall, r.loop_busy, 1e6 * r.loop_busy / agents, 1e6 * r.loop_cpu / agents,
                1e6 * r.longest, static_cast<unsigned long long>(r.stats.fsyncs),
                static_cast<unsigned long long>(r.stats.batches),
                static_cast<unsigned long long>(r.bytes), static_cast<double>(r.bytes) / agents,
                r.recover);
  }
  std::filesystem::remove_all(dir + "/work");
  if (own_dir) std::filesystem::remove(dir);
  return 0;
}
