// State queries must not stall the master's loop: while one client issues
// GetState back-to-back against a master holding 5,000 agents and 50,000
// tasks, the round trip of a scheduler call (Reconcile, served on the loop)
// stays within a bound that a GetState built or serialized on the loop would
// break. Prints the figures (docs/benchmarks.md, "Master state queries").
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "common/raw_methods.hpp"
#include "master/master.hpp"
#include "tests/cluster/master/agent_fleet.hpp"
#include "tests/cluster/master/master_test_clients.hpp"

namespace agora::master {
namespace {

using agora::testing::AgentFleet;
using agora::testing::SchedulerClient;
using Clock = std::chrono::steady_clock;

// Under ThreadSanitizer (the CI's cluster pass) the same traffic runs on a
// tenth of the cluster to look for races; its latencies mean nothing there.
#if defined(__SANITIZE_THREAD__)
constexpr bool kTimed = false;
constexpr size_t kAgents = 500;
#else
constexpr bool kTimed = true;
constexpr size_t kAgents = 5000;
#endif
constexpr size_t kTasksPerAgent = 10;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Figures {
  std::vector<double> ms;
  double Percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
  }
  double Max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
  std::string Describe() const {
    return absl::StrCat("n=", ms.size(), " p50=", Percentile(0.5), "ms p99=", Percentile(0.99),
                        "ms max=", Max(), "ms");
  }
};

class StateStallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("agora-state-stall-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    MasterOptions options;
    options.work_dir = dir_.string();
    options.port = 0;
    options.http_port = -1;
    // The fleet's agents do not heartbeat; nothing here is about liveness.
    options.agent_heartbeat_interval = absl::Hours(1);
    // Every agent is full: the periodic sweep (a DRF pass over 5,000
    // agents) would only add its own, unrelated loop time to the figures.
    options.allocation_interval = absl::Hours(1);
    auto master = Master::Start(options);
    ASSERT_TRUE(master.ok()) << master.status();
    master_ = std::move(*master);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(512 * 1024 * 1024);
    channel_ =
        grpc::CreateCustomChannel(master_->address(), grpc::InsecureChannelCredentials(), args);
    operator_ = v1::MasterOperator::NewStub(channel_);
  }
  void TearDown() override {
    master_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One GetState; its wall time in ms, or -1 on error.
  double GetState(v1::MasterState* state) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    const auto start = Clock::now();
    grpc::Status status = operator_->GetState(&context, v1::GetStateRequest(), state);
    if (!status.ok()) {
      ADD_FAILURE() << "GetState: " << status.error_message();
      return -1;
    }
    return Millis(Clock::now() - start);
  }

  // One GetState whose answer is received but not parsed (the load: parsing
  // 20 MB would only take CPU from the master on this 2-core machine); its
  // wall time in ms, or -1 on error.
  double GetStateUnparsed() {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::ByteBuffer request = SerializeRaw(v1::GetStateRequest());
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    const auto start = Clock::now();
    stub.UnaryCall(&context, "/agora.v1.MasterOperator/GetState", grpc::StubOptions(), &request,
                   &response, [&done](grpc::Status status) { done.set_value(status); });
    grpc::Status status = done.get_future().get();
    if (!status.ok()) {
      ADD_FAILURE() << "GetState: " << status.error_message();
      return -1;
    }
    return Millis(Clock::now() - start);
  }

  // One Reconcile of a known task; its round trip in ms, or -1 on error.
  double Reconcile(SchedulerClient* scheduler, size_t i) {
    v1::ReconcileRequest request;
    auto* task = request.add_tasks();
    task->mutable_task_id()->set_value(AgentFleet::TaskId(i % kAgents, 0));
    task->mutable_agent_id()->set_value(AgentFleet::AgentId(i % kAgents));
    const auto start = Clock::now();
    grpc::Status status = scheduler->Call(&v1::Scheduler::Stub::Reconcile, request);
    if (!status.ok()) {
      ADD_FAILURE() << "Reconcile: " << status.error_message();
      return -1;
    }
    return Millis(Clock::now() - start);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Master> master_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MasterOperator::Stub> operator_;
};

TEST_F(StateStallTest, GetStateOnFiftyThousandTasksDoesNotStallSchedulerCalls) {
  SchedulerClient scheduler(master_->address());
  v1::FrameworkInfo info;
  info.set_name("state-stall");
  info.set_user("nobody");
  info.add_roles("*");
  ASSERT_TRUE(scheduler.Subscribe(info));

  const auto setup_start = Clock::now();
  AgentFleet::Options fleet_options;
  fleet_options.agents = kAgents;
  fleet_options.tasks_per_agent = kTasksPerAgent;
  fleet_options.framework_id = scheduler.header.framework_id().value();
  AgentFleet fleet(master_->address(), fleet_options);
  ASSERT_TRUE(fleet.WaitReregistered(std::chrono::seconds(120)))
      << fleet.reregistered() << " of " << kAgents << " agents re-registered";
  std::cout << "setup: " << kAgents << " agents, " << kAgents * kTasksPerAgent << " tasks in "
            << Millis(Clock::now() - setup_start) << " ms" << std::endl;

  v1::MasterState state;
  const double first = GetState(&state);
  ASSERT_GE(first, 0);
  ASSERT_EQ(state.agents_size(), static_cast<int>(kAgents));
  ASSERT_EQ(state.tasks_size(), static_cast<int>(kAgents * kTasksPerAgent));
  std::cout << "GetState alone: " << first << " ms, " << state.ByteSizeLong() << " bytes"
            << std::endl;

  Figures idle;
  for (size_t i = 0; i < 200; ++i) idle.ms.push_back(Reconcile(&scheduler, i));
  std::cout << "Reconcile round trip, idle: " << idle.Describe() << std::endl;

  // One thread issues GetState back-to-back while this one measures
  // Reconcile round trips, paced (1 ms apart) so the scheduler stream keeps
  // up with the UPDATE each one produces.
  std::atomic<bool> stop{false};
  std::atomic<int> get_states{0};
  Figures state_times;
  std::thread load([&] {
    while (!stop.load()) {
      const double ms = GetStateUnparsed();
      if (ms < 0) break;
      state_times.ms.push_back(ms);
      get_states.fetch_add(1);
    }
  });
  Figures loaded;
  const auto load_start = Clock::now();
  while ((get_states.load() < 8 || Clock::now() - load_start < std::chrono::seconds(3)) &&
         Clock::now() - load_start < std::chrono::seconds(60)) {
    loaded.ms.push_back(Reconcile(&scheduler, loaded.ms.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  load.join();
  std::cout << "GetState back-to-back: " << state_times.Describe() << std::endl;
  std::cout << "Reconcile round trip under GetState load: " << loaded.Describe() << std::endl;

  EXPECT_GE(get_states.load(), 8) << "the load did not run";
  // A GetState built or serialized on the loop holds every call queued
  // behind it for most of its duration: on main p99 and max were ~1 s
  // (GetState ~0.9 s), now p99 is ~10-20 ms. The machine is shared (2
  // cores, other builds running; load average 5-9 when measured), so the
  // OS and gRPC's own threads delay a rare call by a few hundred ms: the
  // maximum is only held below a whole GetState.
  if (!kTimed) return;
  EXPECT_LT(loaded.Percentile(0.99), 50.0) << loaded.Describe();
  EXPECT_LT(loaded.Max(), state_times.Percentile(0.5)) << loaded.Describe();
}

}  // namespace
}  // namespace agora::master
