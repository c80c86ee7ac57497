// master_reregister_bench: the master core's CPU per agent re-registration
// after a failover, without gRPC and without threads (issue 13, B-failover:
// the new leader's loop re-admits 10,000 agents of 10 tasks each).
//
// A MasterCore on a manual loop with one framework and --agents agents
// (cpus:64;mem:262144) is replaced by a new core recovered from its
// registry, as a newly elected leader recovers: every agent is RECOVERING,
// the framework is known but not connected. The registry is in memory and
// behaves as ZkRegistry does on this path (an IndexedRegistry: records found
// by index, unchanged records not written, commits on the next loop turn);
// allocation runs on its own thread as in agora-master. Then each agent connects a new stream and
// re-registers reporting --tasks_per_agent RUNNING tasks of 0.1 cpu /
// 128 MiB, built the way the simulated agents of agora-failover-bench build
// them (TaskInfo, latest status, executor id). The tasks are unknown to the
// new leader, so every one is rebuilt from the report. Every message is
// built before the clock starts: only the core's own work is timed (thread
// CPU time), the registry's commit and the recording sinks included.
// Repeats recover a new core again (untimed) and re-register everyone anew.
//
// Instructions per re-registration (callgrind): the timed work runs in
// Timed(), kept out of line so `--toggle-collect='*Reregistration::Timed*'`
// counts it alone.
#include <time.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "common/resources.hpp"
#include "glog/logging.h"
#include "master/allocation.hpp"
#include "master/registry.hpp"
#include "micro_bench.hpp"
#include "tests/support/master_harness.hpp"

namespace agora::master {
namespace {

using agora::bench::IntFlag;
using agora::bench::ThreadCpuSeconds;
using agora::testing::MasterHarness;

struct Config {
  int agents = 10000;
  int tasks_per_agent = 10;
};

// A registry in memory that costs what ZkRegistry costs on the loop for a
// re-admission: O(change), nothing written for an unchanged record.
class IndexedMemoryRegistry : public Registry {
 public:
  IndexedMemoryRegistry(EventLoop* loop, IndexedRegistry* state) : loop_(loop), state_(state) {}
  absl::StatusOr<internal::Registry> Recover() override { return state_->registry(); }
  void Apply(std::vector<internal::Operation> operations, Callback done) override {
    state_->ApplyChanges(std::move(operations));
    if (done) loop_->Post([done = std::move(done)] { done(absl::OkStatus()); });
  }
  const internal::Registry& state() const override { return state_->registry(); }

 private:
  EventLoop* loop_;
  IndexedRegistry* state_;
};

class RecordingSink : public AgentSink {
 public:
  bool Send(internal::MasterMessage message) override {
    messages.push_back(std::move(message));
    return true;
  }
  void Close(absl::Status) override {}
  int Count(internal::MasterMessage::Type type) const {
    int n = 0;
    for (const auto& message : messages) n += message.type() == type;
    return n;
  }
  std::vector<internal::MasterMessage> messages;
};

class Reregistration {
 public:
  explicit Reregistration(const Config& config) : config_(config) {
    Recover();
    auto framework = std::make_shared<agora::testing::RecordingFrameworkSink>();
    v1::SubscribeRequest subscribe;
    *subscribe.mutable_framework_info() = MasterHarness::FrameworkInfo("fleet", 3600);
    uint64_t token = 0;
    CHECK(core_->Subscribe(subscribe, framework, &token).ok());
    loop_.RunUntilIdle();
    for (const auto& event : framework->events) {
      if (event.type() == v1::Event::SUBSCRIBED)
        framework_id_ = event.subscribed().framework_id().value();
    }
    CHECK(!framework_id_.empty()) << "the framework did not subscribe";
    for (int i = 0; i < config.agents; ++i) {
      auto sink = std::make_shared<RecordingSink>();
      const uint64_t connection = next_connection_++;
      core_->OnAgentConnected(connection, sink);
      internal::AgentMessage message;
      message.set_type(internal::AgentMessage::REGISTER);
      v1::AgentInfo* info = message.mutable_register_()->mutable_agent_info();
      info->set_hostname(absl::StrCat("sim-", i, ".bench.example"));
      *info->mutable_resources() = Resources::Parse("cpus:64;mem:262144")->ToProto();
      CHECK(core_->OnAgentMessage(connection, message).ok());
      loop_.RunUntilIdle();
      CHECK_EQ(sink->Count(internal::MasterMessage::REGISTERED), 1);
      info->mutable_id()->set_value(sink->messages[0].registered().agent_id().value());
      infos_.push_back(*info);
    }
  }

  ~Reregistration() {
    core_->Shutdown();
    loop_.RunUntilIdle();
  }

  // Recovers a new core from the registry (untimed), then times every agent
  // re-registering on a new stream. Returns the CPU seconds it took.
  double Round() {
    Recover();
    std::vector<internal::AgentMessage> messages;
    messages.reserve(infos_.size());
    for (const v1::AgentInfo& info : infos_) messages.push_back(MessageOf(info));
    std::vector<std::shared_ptr<RecordingSink>> sinks;
    for (size_t i = 0; i < infos_.size(); ++i) sinks.push_back(std::make_shared<RecordingSink>());
    const uint64_t first = next_connection_;
    next_connection_ += infos_.size();
    const double cpu = Timed([&] {
      for (size_t i = 0; i < messages.size(); ++i) {
        core_->OnAgentConnected(first + i, sinks[i]);
        // Moved in, as the agent channel hands over what it parsed.
        CHECK(core_->OnAgentMessage(first + i, std::move(messages[i])).ok());
      }
      loop_.RunUntilIdle();
    });
    for (const auto& sink : sinks) {
      CHECK_EQ(sink->Count(internal::MasterMessage::REREGISTERED), 1)
          << "an agent was not re-registered";
    }
    return cpu;
  }

 private:
  template <typename F>
  ABSL_ATTRIBUTE_NOINLINE double Timed(F work) {
    const double start = ThreadCpuSeconds();
    work();
    return ThreadCpuSeconds() - start;
  }

  // What a simulated agent sends (bench/sim/sim_agent.cpp BuildRegistration).
  internal::AgentMessage MessageOf(const v1::AgentInfo& info) {
    internal::AgentMessage message;
    message.set_type(internal::AgentMessage::REREGISTER);
    auto* reregister = message.mutable_reregister();
    *reregister->mutable_agent_info() = info;
    reregister->set_version("sim");
    reregister->set_accepts_acknowledgement_batches(true);
    internal::FrameworkSnapshot* snapshot = reregister->add_frameworks();
    snapshot->mutable_info()->mutable_id()->set_value(framework_id_);
    for (int t = 0; t < config_.tasks_per_agent; ++t) {
      const std::string task_id = absl::StrCat(info.id().value(), "-task-", t);
      v1::TaskInfo task_info;
      task_info.set_name(task_id);
      task_info.mutable_task_id()->set_value(task_id);
      *task_info.mutable_agent_id() = info.id();
      *task_info.mutable_resources() = task_resources_;
      task_info.mutable_command()->set_value("sleep 1000000");
      v1::Task* task = reregister->add_tasks();
      task->set_name(task_id);
      *task->mutable_task_id() = task_info.task_id();
      task->mutable_framework_id()->set_value(framework_id_);
      task->mutable_executor_id()->set_value(task_id);
      *task->mutable_agent_id() = info.id();
      *task->mutable_resources() = task_resources_;
      *task->mutable_info() = task_info;
      task->set_state(v1::TASK_RUNNING);
      v1::TaskStatus* status = task->mutable_status();
      *status->mutable_task_id() = task_info.task_id();
      status->set_state(v1::TASK_RUNNING);
      status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
      status->set_uuid(absl::StrCat("uuid-", t, "-0123456789abcdef"));
      status->set_timestamp(1.7e9);
      *status->mutable_agent_id() = info.id();
      v1::ExecutorInfo* executor = snapshot->add_executors();
      executor->set_type(v1::ExecutorInfo::DEFAULT);
      executor->mutable_executor_id()->set_value(task_id);
      executor->mutable_framework_id()->set_value(framework_id_);
      executor->mutable_command()->set_value("sim-executor");
    }
    return message;
  }

  // Replaces the core (if any) by one recovered from the registry, as a
  // newly elected leader.
  void Recover() {
    if (core_) {
      core_->Shutdown();
      loop_.RunUntilIdle();
      dead_cores_.push_back(std::move(core_));
    }
    MasterOptions options = MasterHarness::DefaultOptions();
    options.allocation_thread = true;
    core_ =
        std::make_unique<MasterCore>(&loop_, options, "master-under-test", "127.0.0.1:5050",
                                     std::make_unique<IndexedMemoryRegistry>(&loop_, &registry_),
                                     NewDrfAllocation(options.default_refuse, options.max_refuse));
    CHECK(core_->Recover().ok());
    core_->Start();
    loop_.RunUntilIdle();
  }

  Config config_;
  agora::testing::ManualEventLoop loop_;
  IndexedRegistry registry_;
  std::unique_ptr<MasterCore> core_;
  // Replaced cores, kept so closures still queued for them stay valid.
  std::vector<std::unique_ptr<MasterCore>> dead_cores_;
  std::string framework_id_;
  std::vector<v1::AgentInfo> infos_;
  google::protobuf::RepeatedPtrField<v1::Resource> task_resources_ =
      Resources::Parse("cpus:0.1;mem:128")->ToProto();
  uint64_t next_connection_ = 1;
};

int Main(int argc, char** argv) {
  // --log=1: the master's INFO lines (one per agent) on stderr.
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = IntFlag(argc, argv, "log", 0) ? google::INFO : google::WARNING;
  Config config;
  config.agents = IntFlag(argc, argv, "agents", config.agents);
  config.tasks_per_agent = IntFlag(argc, argv, "tasks_per_agent", config.tasks_per_agent);
  const int repeats = IntFlag(argc, argv, "repeats", 3);
  Reregistration bench(config);
  for (int r = 0; r < repeats; ++r) {
    const double cpu = bench.Round();
    std::printf(
        "master core, %d agents x %d tasks re-registering after a restart: %.3f s of CPU = "
        "%.1f us per re-registration (%.2f us per task)\n",
        config.agents, config.tasks_per_agent, cpu, 1e6 * cpu / config.agents,
        1e6 * cpu / (static_cast<double>(config.agents) * config.tasks_per_agent));
  }
  return 0;
}

}  // namespace
}  // namespace agora::master

int main(int argc, char** argv) { return agora::master::Main(argc, argv); }
