// Replicas of Mesos's allocator benchmarks (hierarchical_allocator_tests.cpp
// and hierarchical_allocator_benchmarks.cpp), written against Agora's
// Allocator. Each benchmark runs once (Iterations(1)) and reports its own
// figures as counters (milliseconds unless named otherwise); the iteration
// time is the mean timed cycle. `--quick` registers a small subset.

#include <cstring>
#include <memory>

#include "allocator_bench_util.hpp"

namespace agora::allocator::bench {
namespace {

const absl::Duration kForever = absl::Hours(24 * 365 * 10);

AllocatorOptions LongFilters() {
  AllocatorOptions options;
  options.max_refuse = kForever;
  return options;
}

void DeclineAll(Allocator* allocator, const std::vector<Allocation>& offers, absl::Time now) {
  for (const Allocation& offer : offers) {
    Ok(allocator->RecoverResources(offer.framework_id, offer.agent_id, offer.role, offer.resources,
                                   kForever, now));
  }
}

// DeclineOffers / SuppressOffers / ExtremeSuppressOffers. Every round all
// outstanding offers are declined with an effectively infinite filter and
// one cycle is timed. `suppress_mode`: 0 none, 1 a further F/5 frameworks
// per round, 2 99% of the frameworks suppressed up front.
void RunDeclineFamily(benchmark::State& state, int suppress_mode) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  const int max_rounds = static_cast<int>(state.range(2));
  for (auto _ : state) {
    const size_t heap_start = HeapBytes();
    auto allocator = std::make_unique<Allocator>(LongFilters());
    double add_frameworks = Seconds([&] {
      for (int f = 0; f < frameworks; ++f) {
        FrameworkSpec spec;
        spec.id = FrameworkName(f);
        spec.roles = {"*"};
        Ok(allocator->AddFramework(spec));
      }
    });
    const size_t heap_frameworks = HeapBytes();
    double add_agents = Seconds([&] {
      for (int a = 0; a < agents; ++a) {
        Ok(allocator->AddAgent(DeclineOffersAgent(a, frameworks)));
      }
    });
    const size_t heap_agents = HeapBytes();
    int suppressed = 0;
    if (suppress_mode == 2) {
      for (; suppressed < frameworks * 99 / 100; ++suppressed) {
        Ok(allocator->SuppressRoles(FrameworkName(suppressed), {}));
      }
    }
    std::vector<Allocation> offers;
    double first = Seconds([&] { offers = allocator->Allocate(At(0)); });
    double offers_made = static_cast<double>(offers.size());
    uint64_t digest = 14695981039346656037ull;
    if (DigestWanted()) DigestAllocations(offers, &digest);
    CycleStats cycles;
    CycleStats cpu;
    const int rounds = std::min(2 * frameworks, max_rounds);
    for (int r = 1; r <= rounds; ++r) {
      DeclineAll(allocator.get(), offers, At(r));
      if (suppress_mode == 1) {
        for (int i = 0; i < std::max(1, frameworks / 5) && suppressed < frameworks;
             ++i, ++suppressed) {
          Ok(allocator->SuppressRoles(FrameworkName(suppressed), {}));
        }
      }
      cycles.Add(
          Seconds([&] { cpu.Add(CpuSeconds([&] { offers = allocator->Allocate(At(r)); })); }));
      offers_made += offers.size();
      if (DigestWanted()) DigestAllocations(offers, &digest);
    }
    AllocatorMetrics metrics = allocator->Metrics();
    state.SetIterationTime(cycles.Mean() / 1000);
    state.counters["add_frameworks_ms"] = add_frameworks * 1000;
    state.counters["add_agents_ms"] = add_agents * 1000;
    state.counters["first_cycle_ms"] = first * 1000;
    state.counters["cycle_mean_ms"] = cycles.Mean();
    state.counters["cycle_max_ms"] = cycles.Max();
    state.counters["cycle_min_ms"] = cycles.Min();
    state.counters["cycle_cpu_mean_ms"] = cpu.Mean();
    state.counters["rounds"] = rounds;
    state.counters["offers"] = offers_made;
    state.counters["filters"] = static_cast<double>(metrics.filters_active);
    state.counters["candidates_per_cycle"] =
        static_cast<double>(metrics.candidates_examined) / (rounds + 1);
    if (DigestWanted()) state.counters["digest"] = DigestCounter(digest);
    state.counters["bytes_per_agent"] = static_cast<double>(heap_agents - heap_frameworks) / agents;
    state.counters["bytes_per_framework"] =
        static_cast<double>(heap_frameworks - heap_start) / frameworks;
    state.counters["bytes_per_filter"] = metrics.filters_active == 0
                                             ? 0
                                             : static_cast<double>(HeapBytes() - heap_agents) /
                                                   static_cast<double>(metrics.filters_active);
  }
}

void BM_DeclineOffers(benchmark::State& state) { RunDeclineFamily(state, 0); }
void BM_SuppressOffers(benchmark::State& state) { RunDeclineFamily(state, 1); }
void BM_ExtremeSuppressOffers(benchmark::State& state) { RunDeclineFamily(state, 2); }

// LargeAndSmallQuota: range(0) small roles with quota cpus:1 and range(1)
// large roles with cpus:4 (mem/disk alike), one framework each, on
// small/5 + 5*large agents of cpus:2;mem:2048;disk:2048.
void BM_LargeAndSmallQuota(benchmark::State& state) {
  const int small = static_cast<int>(state.range(0));
  const int large = static_cast<int>(state.range(1));
  const int agents = small / 5 + 5 * large;
  for (auto _ : state) {
    Allocator allocator;
    const Resources small_quota = Parse("cpus:1;mem:1024;disk:1024");
    const Resources large_quota = Parse("cpus:4;mem:4096;disk:4096");
    for (int i = 0; i < small + large; ++i) {
      std::string role = (i < small ? "small-" : "large-") + std::to_string(i);
      const Resources& quota = i < small ? small_quota : large_quota;
      Ok(allocator.UpdateQuota(role, quota, quota));
      FrameworkSpec spec;
      spec.id = FrameworkName(i);
      spec.roles = {role};
      Ok(allocator.AddFramework(spec));
    }
    const Resources total = Parse("cpus:2;mem:2048;disk:2048");
    for (int a = 0; a < agents; ++a) {
      AgentSpec spec;
      spec.id = AgentName(a);
      spec.total = total;
      Ok(allocator.AddAgent(spec));
    }
    std::vector<Allocation> offers;
    double allocating = Seconds([&] { offers = allocator.Allocate(At(0)); });
    std::vector<Allocation> none;
    double noop = Seconds([&] { none = allocator.Allocate(At(1)); });
    CHECK(none.empty());
    state.SetIterationTime(allocating);
    state.counters["roles"] = small + large;
    state.counters["agents"] = agents;
    state.counters["allocating_cycle_ms"] = allocating * 1000;
    state.counters["noop_cycle_ms"] = noop * 1000;
    state.counters["offers"] = static_cast<double>(offers.size());
  }
}

// AllocatorBacklog: F suppressed frameworks revive in one burst; the burst
// must coalesce into one cycle.
void BM_AllocatorBacklog(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  for (auto _ : state) {
    Allocator allocator(LongFilters());
    for (int f = 0; f < frameworks; ++f) {
      FrameworkSpec spec;
      spec.id = FrameworkName(f);
      spec.roles = {"role-" + std::to_string(f % 10)};
      spec.suppressed_roles = spec.roles;
      Ok(allocator.AddFramework(spec));
    }
    for (int a = 0; a < agents; ++a) {
      Ok(allocator.AddAgent(DeclineOffersAgent(a, frameworks)));
    }
    allocator.Allocate(At(0));
    double revive = Seconds([&] {
      for (int f = 0; f < frameworks; ++f) {
        Ok(allocator.ReviveRoles(FrameworkName(f), {}));
      }
    });
    uint64_t cycles_before = allocator.Metrics().cycles;
    std::vector<Allocation> offers;
    double drain = Seconds([&] {
      while (allocator.HasPendingWork()) {
        std::vector<Allocation> more = allocator.Allocate(At(1));
        offers.insert(offers.end(), more.begin(), more.end());
      }
    });
    state.SetIterationTime(drain);
    state.counters["revives_ms"] = revive * 1000;
    state.counters["cycles"] = static_cast<double>(allocator.Metrics().cycles - cycles_before);
    state.counters["cycle_ms"] = drain * 1000;
    state.counters["offers"] = static_cast<double>(offers.size());
  }
}

benchmark::internal::Benchmark* Once(benchmark::internal::Benchmark* b) {
  return b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void Register(bool quick) {
  const int kRounds = quick ? 5 : 20;
  auto* decline = Once(benchmark::RegisterBenchmark("DeclineOffers", BM_DeclineOffers));
  auto* suppress = Once(benchmark::RegisterBenchmark("SuppressOffers", BM_SuppressOffers));
  std::vector<int64_t> agent_grid =
      quick ? std::vector<int64_t>{1000, 10000} : std::vector<int64_t>{1000, 5000, 10000, 20000};
  std::vector<int64_t> fw_grid =
      quick ? std::vector<int64_t>{1, 1000} : std::vector<int64_t>{1, 50, 100, 200, 500, 1000};
  for (int64_t a : agent_grid) {
    for (int64_t f : fw_grid) decline->Args({a, f, kRounds});
  }
  suppress->Args({10000, 1000, kRounds});
  // Mesos's full 2F rounds, where late rounds walk past many filters.
  decline->Args({1000, 200, 400});
  Once(benchmark::RegisterBenchmark("ExtremeSuppressOffers", BM_ExtremeSuppressOffers))
      ->Args({quick ? 10000 : 20000, 1000, kRounds})
      ->Args({quick ? 10000 : 20000, 100, kRounds});
  auto* quota = Once(benchmark::RegisterBenchmark("LargeAndSmallQuota", BM_LargeAndSmallQuota));
  quota->Args({25, 5})->Args({250, 50})->Args({2500, 500});
  Once(benchmark::RegisterBenchmark("AllocatorBacklog", BM_AllocatorBacklog))
      ->Args({quick ? 1000 : 10000, 1000});
}

}  // namespace

void RegisterMultiFramework();

}  // namespace agora::allocator::bench

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  agora::allocator::bench::Register(quick);
  agora::allocator::bench::RegisterMultiFramework();
  benchmark::Initialize(&count, args.data());
  // Every benchmark is one full scenario: run it once, timed manually.
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
