// master_task_cycle_bench: the master core's CPU per task over a task's whole
// life, without gRPC and without threads (issue 13, B-throughput's "master
// CPU per task"; figures in docs/benchmarks.md).
//
// A MasterCore on a manual loop (MasterHarness) with --agents agents
// (cpus:64;mem:262144) and --frameworks frameworks in 5 roles, as in
// `agora-bench throughput`. Each round every framework accepts the offers it
// holds with up to 100 tasks of 0.1 cpu / 128 MiB each, at most --window
// tasks per round; the agents report RUNNING; each framework acknowledges
// in one batched call; the agents report FINISHED; the frameworks
// acknowledge again; the clock moves 10 ms and the loop runs (allocation
// cycles, offers). Every request is built before the clock starts: only the
// core's own work is timed (thread CPU time), sinks that keep what the core
// sends included. Prints CPU per task and tasks per CPU second.
//
// Instructions per task (callgrind): the timed work runs in Timed(), kept
// out of line so `--toggle-collect='*TaskCycle::Timed*'` counts it alone;
// run two --rounds and divide the difference by the difference in tasks.
#include <time.h>

#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "glog/logging.h"
#include "micro_bench.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using agora::bench::IntFlag;
using agora::bench::ThreadCpuSeconds;
using agora::testing::MasterHarness;

struct Config {
  int agents = 1000;
  int frameworks = 10;
  int window = 200;  // Tasks per framework per round.
  int rounds = 100;
  int warmup_rounds = 20;
};

struct Framework {
  MasterHarness::Scheduler scheduler;
  std::deque<v1::Offer> held;
};

class TaskCycle {
 public:
  explicit TaskCycle(const Config& config) : config_(config) {
    for (int i = 0; i < config.frameworks; ++i) {
      v1::FrameworkInfo info = MasterHarness::FrameworkInfo(absl::StrCat("fleet-", i));
      info.clear_roles();
      info.add_roles(absl::StrCat("role-", i % 5));
      frameworks_.push_back(Framework{h_.Subscribe(info), {}});
    }
    for (int i = 0; i < config.agents; ++i) {
      agents_.push_back(
          h_.RegisterAgent(absl::StrCat("sim-", i, ".bench.example"), "cpus:64;mem:262144"));
    }
    task_resources_ = Resources::Parse("cpus:0.1;mem:128")->ToProto();
  }

  // One round; returns the tasks that went through it.
  int Round() {
    Timed([&] { h_.Advance(absl::Milliseconds(10)); });  // Allocation, offers.
    std::vector<v1::AcceptRequest> accepts;
    for (Framework& framework : frameworks_) {
      TakeOffers(&framework, nullptr);
      int launched = 0;
      while (launched < config_.window && !framework.held.empty()) {
        v1::Offer offer = std::move(framework.held.front());
        framework.held.pop_front();
        accepts.push_back(AcceptOf(framework, offer, config_.window - launched));
        launched += accepts.back().operations(0).launch().task_infos_size();
      }
    }
    Timed([&] {
      for (const auto& accept : accepts) (void)h_.core().Accept(accept);
    });
    const int tasks = UpdateAll(v1::TASK_RUNNING);
    AcknowledgeAll();
    UpdateAll(v1::TASK_FINISHED);
    AcknowledgeAll();
    return tasks;
  }

  double cpu_seconds() const { return cpu_seconds_; }
  void ResetClock() { cpu_seconds_ = 0; }

 private:
  template <typename F>
  ABSL_ATTRIBUTE_NOINLINE void Timed(F work) {
    const double start = ThreadCpuSeconds();
    work();
    cpu_seconds_ += ThreadCpuSeconds() - start;
  }

  // Moves the framework's offers to `held` (dropping rescinded ones) and its
  // updates to `updates`; forgets every other event.
  void TakeOffers(Framework* framework, std::vector<v1::TaskStatus>* updates) {
    for (auto& event : framework->scheduler.sink->events) {
      if (event.type() == v1::Event::OFFERS) {
        for (auto& offer : *event.mutable_offers()->mutable_offers())
          framework->held.push_back(std::move(offer));
      } else if (event.type() == v1::Event::RESCIND) {
        const std::string& id = event.rescind().offer_id().value();
        for (auto it = framework->held.begin(); it != framework->held.end(); ++it) {
          if (it->id().value() == id) {
            framework->held.erase(it);
            break;
          }
        }
      } else if (event.type() == v1::Event::UPDATE && updates != nullptr) {
        updates->push_back(std::move(*event.mutable_update()->mutable_status()));
      }
    }
    framework->scheduler.sink->events.clear();
  }

  v1::AcceptRequest AcceptOf(const Framework& framework, const v1::Offer& offer, int room) {
    double cpus = 0, mem = 0;
    for (const auto& resource : offer.resources()) {
      if (resource.name() == "cpus") cpus += resource.scalar();
      if (resource.name() == "mem") mem += resource.scalar();
    }
    int fit = std::min(
        {room, 100, static_cast<int>(cpus / 0.1 + 1e-9), static_cast<int>(mem / 128 + 1e-9)});
    v1::AcceptRequest request;
    *request.mutable_header() = framework.scheduler.header();
    *request.add_offer_ids() = offer.id();
    request.mutable_filters()->set_refuse_seconds(0.001);
    auto* op = request.add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (int t = 0; t < fit; ++t) {
      v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
      const std::string id = absl::StrCat(framework.scheduler.framework_id, "-", next_task_++);
      task->set_name(id);
      task->mutable_task_id()->set_value(id);
      *task->mutable_agent_id() = offer.agent_id();
      *task->mutable_resources() = task_resources_;
      task->mutable_command()->set_value("true");
    }
    return request;
  }

  // Every task the agents were told to run (RUN_TASKS since the last call
  // with RUNNING, else every task RUNNING reported) reports `state`.
  int UpdateAll(v1::TaskState state) {
    std::vector<std::pair<uint64_t, internal::AgentMessage>> updates;
    if (state == v1::TASK_RUNNING) running_.clear();
    for (auto& agent : agents_) {
      for (const auto& message : agent.sink->messages) {
        if (message.type() != internal::MasterMessage::RUN_TASKS) continue;
        for (const auto& task : message.run_tasks().tasks())
          running_.push_back(
              {&agent, message.run_tasks().framework_info().id().value(), task.task_id().value()});
      }
      agent.sink->messages.clear();  // Acknowledgements relayed, run tasks taken.
    }
    for (const auto& task : running_) {
      internal::AgentMessage message;
      message.set_type(internal::AgentMessage::STATUS_UPDATE);
      auto* update = message.mutable_status_update();
      update->mutable_framework_id()->set_value(task.framework_id);
      v1::TaskStatus* status = update->mutable_status();
      status->mutable_task_id()->set_value(task.task_id);
      status->set_state(state);
      status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
      status->set_uuid(absl::StrCat("uuid-", next_uuid_++, "-0123456789"));
      status->set_timestamp(1.0e9);
      *status->mutable_agent_id() = task.agent->info.id();
      update->set_latest_state(state);
      updates.emplace_back(task.agent->connection, std::move(message));
    }
    Timed([&] {
      // Moved in, as the agent channel does.
      for (auto& [connection, message] : updates)
        (void)h_.core().OnAgentMessage(connection, std::move(message));
      h_.loop().RunUntilIdle();
    });
    return static_cast<int>(running_.size());
  }

  void AcknowledgeAll() {
    std::vector<v1::AcknowledgeRequest> requests;
    for (Framework& framework : frameworks_) {
      std::vector<v1::TaskStatus> updates;
      TakeOffers(&framework, &updates);
      if (updates.empty()) continue;
      v1::AcknowledgeRequest request;
      *request.mutable_header() = framework.scheduler.header();
      for (const auto& status : updates) {
        auto* ack = request.add_acknowledgements();
        *ack->mutable_agent_id() = status.agent_id();
        *ack->mutable_task_id() = status.task_id();
        ack->set_uuid(status.uuid());
      }
      requests.push_back(std::move(request));
    }
    Timed([&] {
      for (const auto& request : requests) (void)h_.core().Acknowledge(request);
      h_.loop().RunUntilIdle();
    });
  }

  struct Running {
    MasterHarness::AgentConn* agent;
    std::string framework_id;
    std::string task_id;
  };

  Config config_;
  MasterHarness h_;
  std::vector<Framework> frameworks_;
  std::vector<MasterHarness::AgentConn> agents_;
  google::protobuf::RepeatedPtrField<v1::Resource> task_resources_;
  std::vector<Running> running_;
  uint64_t next_task_ = 0;
  uint64_t next_uuid_ = 0;
  double cpu_seconds_ = 0;
};

int Main(int argc, char** argv) {
  FLAGS_minloglevel = google::WARNING;  // Not a line per agent registered.
  Config config;
  config.agents = IntFlag(argc, argv, "agents", config.agents);
  config.frameworks = IntFlag(argc, argv, "frameworks", config.frameworks);
  config.window = IntFlag(argc, argv, "window", config.window);
  config.rounds = IntFlag(argc, argv, "rounds", config.rounds);
  config.warmup_rounds = IntFlag(argc, argv, "warmup_rounds", config.warmup_rounds);
  const int repeats = IntFlag(argc, argv, "repeats", 3);
  TaskCycle cycle(config);
  for (int i = 0; i < config.warmup_rounds; ++i) cycle.Round();
  for (int r = 0; r < repeats; ++r) {
    cycle.ResetClock();
    long tasks = 0;
    for (int i = 0; i < config.rounds; ++i) tasks += cycle.Round();
    const double cpu = cycle.cpu_seconds();
    std::printf(
        "master core, %d agents, %d frameworks, %d tasks per framework per round: %ld tasks "
        "in %.3f s of CPU = %.1f us per task (%.0f tasks per CPU second)\n",
        config.agents, config.frameworks, config.window, tasks, cpu,
        tasks > 0 ? 1e6 * cpu / tasks : 0.0, cpu > 0 ? tasks / cpu : 0.0);
  }
  return 0;
}

}  // namespace
}  // namespace agora::master

int main(int argc, char** argv) { return agora::master::Main(argc, argv); }
