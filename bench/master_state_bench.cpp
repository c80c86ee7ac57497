// master_state_bench: what a state query costs the master's loop, and what
// it costs off the loop, on a MasterCore holding N agents with 10 tasks each
// (MasterHarness: the agents re-register with their RUNNING tasks, as after
// a fail-over). Figures: docs/benchmarks.md, "Master state queries".
//
//   SnapshotState      the loop's share of GetState and /state now
//   StateView          building the MasterState from it (query pool)
//   StateSerialize     serializing that MasterState (query pool)
//   StateViewSerialize both, GetState's work on the pool before state_wire
//   StateEncode        GetState's work on the pool now: its bytes written
//                      straight from the snapshot (state_wire.hpp)
//   OnLoopBefore       the whole GetState as main ran it on the loop:
//                      build + serialize
//   SnapshotTasks/...  the loop's share of GetTasks filtered by agent
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "absl/strings/str_format.h"
#include "common/resources.hpp"
#include "master/state_snapshot.hpp"
#include "master/state_wire.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using agora::testing::MasterHarness;

constexpr int kTasksPerAgent = 10;

// One harness per cluster size, built once.
MasterHarness& Cluster(int agents) {
  static std::map<int, std::unique_ptr<MasterHarness>> clusters;
  auto& slot = clusters[agents];
  if (slot) return *slot;
  slot = std::make_unique<MasterHarness>();
  MasterHarness& h = *slot;
  MasterHarness::Scheduler scheduler = h.Subscribe(MasterHarness::FrameworkInfo("bench"));
  const auto agent_resources = Resources::Parse("cpus:10;mem:1280")->ToProto();
  const auto task_resources = Resources::Parse("cpus:1;mem:128")->ToProto();
  for (int i = 0; i < agents; ++i) {
    v1::AgentInfo info;
    info.mutable_id()->set_value(absl::StrFormat("agent-%05d", i));
    info.set_hostname(absl::StrFormat("host-%d.bench.example", i));
    *info.mutable_resources() = agent_resources;
    std::vector<v1::Task> tasks;
    for (int j = 0; j < kTasksPerAgent; ++j) {
      v1::Task task;
      const std::string id = absl::StrFormat("task-%05d-%02d", i, j);
      task.set_name("bench task " + id);
      task.mutable_task_id()->set_value(id);
      task.mutable_framework_id()->set_value(scheduler.framework_id);
      *task.mutable_agent_id() = info.id();
      task.set_state(v1::TASK_RUNNING);
      task.set_role("*");
      *task.mutable_resources() = task_resources;
      task.mutable_info()->set_name(task.name());
      *task.mutable_info()->mutable_task_id() = task.task_id();
      *task.mutable_info()->mutable_resources() = task_resources;
      task.mutable_info()->mutable_command()->set_value("sleep 3600");
      v1::TaskStatus* status = task.mutable_status();
      *status->mutable_task_id() = task.task_id();
      status->set_state(v1::TASK_RUNNING);
      status->set_uuid("uuid-" + id);
      status->set_timestamp(1.7e9);
      *task.add_statuses() = *status;
      tasks.push_back(std::move(task));
    }
    h.Reregister(info, std::move(tasks));
  }
  return h;
}

void Counters(benchmark::State& state) {
  state.counters["agents"] = static_cast<double>(state.range(0));
  state.counters["tasks"] = static_cast<double>(state.range(0) * kTasksPerAgent);
}

void BM_SnapshotState(benchmark::State& state) {
  MasterCore& core = Cluster(static_cast<int>(state.range(0))).core();
  for (auto _ : state) benchmark::DoNotOptimize(core.SnapshotState());
  Counters(state);
}

void BM_StateView(benchmark::State& state) {
  auto snapshot = Cluster(static_cast<int>(state.range(0))).core().SnapshotState();
  for (auto _ : state) benchmark::DoNotOptimize(StateView(*snapshot));
  Counters(state);
}

void BM_StateSerialize(benchmark::State& state) {
  v1::MasterState built =
      StateView(*Cluster(static_cast<int>(state.range(0))).core().SnapshotState());
  for (auto _ : state) benchmark::DoNotOptimize(built.SerializeAsString());
  state.counters["bytes"] = static_cast<double>(built.ByteSizeLong());
  Counters(state);
}

void BM_StateViewSerialize(benchmark::State& state) {
  auto snapshot = Cluster(static_cast<int>(state.range(0))).core().SnapshotState();
  for (auto _ : state) benchmark::DoNotOptimize(StateView(*snapshot).SerializeAsString());
  Counters(state);
}

void BM_StateEncode(benchmark::State& state) {
  auto snapshot = Cluster(static_cast<int>(state.range(0))).core().SnapshotState();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string encoded = EncodeStateView(*snapshot);
    bytes = encoded.size();
    benchmark::DoNotOptimize(encoded);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  Counters(state);
}

void BM_OnLoopBefore(benchmark::State& state) {
  MasterCore& core = Cluster(static_cast<int>(state.range(0))).core();
  for (auto _ : state) benchmark::DoNotOptimize(core.BuildState().SerializeAsString());
  Counters(state);
}

void BM_SnapshotTasksOfOneAgent(benchmark::State& state) {
  MasterCore& core = Cluster(static_cast<int>(state.range(0))).core();
  v1::GetTasksRequest request;
  request.mutable_agent_id()->set_value("agent-00042");
  for (auto _ : state) benchmark::DoNotOptimize(core.SnapshotTasks(request));
  Counters(state);
}

BENCHMARK(BM_SnapshotState)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateView)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateSerialize)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateViewSerialize)->Arg(1000)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StateEncode)->Arg(1000)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OnLoopBefore)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotTasksOfOneAgent)->Arg(5000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace agora::master

BENCHMARK_MAIN();
