// MultiFrameworkAllocations: a mixed cluster placing 19,500 tasks.
// 80 agents of cpus:64;mem:488000; 4 "service" frameworks (own roles, 4000
// tasks of 0.07 cpu / 400 MB, up to 100 per offer), 500 "CI" frameworks in
// one shared role (5 tasks of 0.1 cpu / 4000 MB, 1 per offer), 50 "batch"
// frameworks (own roles, 20 tasks of 1 cpu / 1000 MB, up to 5 per offer).
// Loop: allocate -> launch -> recover the remainder, until all are placed.
// A framework with nothing left to launch suppresses; one that cannot use an
// offer declines it with the default filter.

#include <memory>

#include "allocator_bench_util.hpp"

namespace agora::allocator::bench {
namespace {

struct Workload {
  std::string role;
  Resources task;
  int remaining;
  int per_offer;
};

void BM_MultiFrameworkAllocations(benchmark::State& state) {
  for (auto _ : state) {
    Allocator allocator;
    std::map<std::string, Workload> work;
    auto add = [&](const std::string& id, const std::string& role, const std::string& task,
                   int count, int per_offer) {
      FrameworkSpec spec;
      spec.id = id;
      spec.roles = {role};
      Ok(allocator.AddFramework(spec));
      work[id] = Workload{role, Parse(task), count, per_offer};
    };
    for (int i = 0; i < 4; ++i) {
      add("service-" + std::to_string(i), "service-" + std::to_string(i), "cpus:0.07;mem:400", 4000,
          100);
    }
    for (int i = 0; i < 500; ++i) {
      add("ci-" + std::to_string(i), "ci", "cpus:0.1;mem:4000", 5, 1);
    }
    for (int i = 0; i < 50; ++i) {
      add("batch-" + std::to_string(i), "batch-" + std::to_string(i), "cpus:1;mem:1000", 20, 5);
    }
    const Resources agent_total = Parse("cpus:64;mem:488000");
    for (int a = 0; a < 80; ++a) {
      AgentSpec spec;
      spec.id = AgentName(a);
      spec.total = agent_total;
      Ok(allocator.AddAgent(spec));
    }

    int placed = 0, cycles = 0;
    double allocate_seconds = 0;
    double total_seconds = Seconds([&] {
      for (; cycles < 100000 && placed < 19500; ++cycles) {
        std::vector<Allocation> offers;
        allocate_seconds += Seconds([&] { offers = allocator.Allocate(At(cycles)); });
        if (offers.empty() && !allocator.HasPendingWork()) break;
        for (const Allocation& offer : offers) {
          Workload& w = work[offer.framework_id];
          Resources left = offer.resources;
          int launched = 0;
          while (w.remaining > 0 && launched < w.per_offer && left.Contains(w.task)) {
            left -= w.task;
            --w.remaining;
            ++launched;
          }
          placed += launched;
          std::optional<absl::Duration> refuse;
          if (launched == 0) refuse = absl::ZeroDuration();
          Ok(allocator.RecoverResources(offer.framework_id, offer.agent_id, offer.role, left,
                                        refuse, At(cycles)));
          if (w.remaining == 0) {
            Ok(allocator.SuppressRoles(offer.framework_id, {}));
          }
        }
      }
    });
    CHECK_EQ(placed, 19500) << "cycles " << cycles;
    state.SetIterationTime(total_seconds);
    state.counters["tasks"] = placed;
    state.counters["cycles"] = cycles;
    state.counters["total_ms"] = total_seconds * 1000;
    state.counters["allocate_ms"] = allocate_seconds * 1000;
    state.counters["cycle_mean_ms"] = allocate_seconds * 1000 / cycles;
  }
}

}  // namespace

void RegisterMultiFramework() {
  benchmark::RegisterBenchmark("MultiFrameworkAllocations", BM_MultiFrameworkAllocations)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace agora::allocator::bench
