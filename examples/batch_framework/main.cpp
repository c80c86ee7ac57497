// batch_framework: runs N tasks to completion, then exits (0 iff all
// FINISHED). Shows the parts of the scheduler API a batch system needs:
//
//   - explicit acknowledgements: an update is acknowledged only after the
//     scheduler has handled it, so a crash in between means the agent
//     re-sends it (at-least-once delivery);
//   - implicit reconciliation on every (re-)registration: the master
//     answers with the latest state of every task it knows for us;
//   - packing several tasks into one offer, declining what is left, and
//     suppressing offers once everything is launched;
//   - optionally (--executor=PATH) running the tasks under a custom
//     executor instead of the built-in command executor.
//
//   batch_framework --master=127.0.0.1:5050 --tasks=10 --command='echo hi'
//   batch_framework --tasks=4 --executor=$PWD/build/bin/custom_executor
#include <signal.h>

#include <cmath>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "agora/scheduler.hpp"
#include "agora/task_state.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"

DEFINE_string(master, "127.0.0.1:5050",
              "The master: host:port, a list host:port,host:port,... (tried in turn), or "
              "zk://host:port[,...]/path (the leader elected in ZooKeeper)");
DEFINE_int32(tasks, 5, "Number of tasks to run");
DEFINE_string(command, "echo hello from $AGORA_EXECUTOR_ID", "Shell command each task runs");
DEFINE_double(cpus, 0.1, "CPUs per task");
DEFINE_double(mem, 32, "Memory per task (MiB)");
DEFINE_string(executor, "",
              "Path of a custom executor (e.g. build/bin/custom_executor); its tasks carry "
              "--work as data instead of running --command");
DEFINE_int32(work, 200000, "With --executor: count primes below this number in each task");

namespace {

using agora::SchedulerDriver;
namespace v1 = agora::v1;

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource resource;
  resource.set_name(name);
  resource.set_type(v1::Resource::SCALAR);
  resource.set_scalar(value);
  return resource;
}

// Unreserved amount of a scalar resource in an offer.
double Available(const v1::Offer& offer, const std::string& name) {
  double total = 0;
  for (const v1::Resource& r : offer.resources()) {
    if (r.name() == name && r.reservations().empty() && !r.revocable()) total += r.scalar();
  }
  return total;
}

class BatchScheduler : public agora::Scheduler {
 public:
  BatchScheduler() {
    for (int i = 0; i < FLAGS_tasks; ++i) pending_.push_back("batch-" + std::to_string(i));
  }

  void registered(SchedulerDriver* driver, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override {
    std::cout << "registered as " << framework_id.value() << " with " << master.address()
              << std::endl;
    // Implicit reconciliation: learn the state of everything we launched
    // before (after a scheduler restart with the same framework id).
    driver->reconcileTasks({});
  }

  void reregistered(SchedulerDriver* driver, const v1::MasterInfo& master) override {
    std::cout << "re-registered with " << master.address() << "; reconciling" << std::endl;
    driver->reconcileTasks({});
  }

  void disconnected(SchedulerDriver*) override {
    std::cout << "disconnected; the driver re-subscribes on its own" << std::endl;
  }

  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override {
    for (const v1::Offer& offer : offers) {
      double cpus = Available(offer, "cpus");
      double mem = Available(offer, "mem");
      std::vector<v1::TaskInfo> tasks;
      // Compare in thousandths, as the master does, so 0.3 holds three 0.1s.
      while (!pending_.empty() && std::llround(cpus * 1000) >= std::llround(FLAGS_cpus * 1000) &&
             std::llround(mem * 1000) >= std::llround(FLAGS_mem * 1000)) {
        tasks.push_back(MakeTask(pending_.front(), offer));
        pending_.pop_front();
        cpus -= FLAGS_cpus;
        mem -= FLAGS_mem;
      }
      if (tasks.empty()) {
        driver->declineOffer(offer.id());
        continue;
      }
      std::cout << "launching " << tasks.size() << " task(s) on agent " << offer.agent_id().value()
                << std::endl;
      // The rest of the offer is declined by the accept itself.
      driver->launchTasks({offer.id()}, tasks);
    }
    if (pending_.empty()) driver->suppressOffers();
  }

  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override {
    const std::string& id = status.task_id().value();
    std::cout << id << " " << v1::TaskState_Name(status.state())
              << (status.message().empty() ? "" : ": " + status.message()) << std::endl;
    if (agora::IsTerminalState(status.state()) && !done_.count(id) && id.rfind("batch-", 0) == 0) {
      done_[id] = status.state();
    }
    // Handled (printed, recorded): now the agent may forget it.
    driver->acknowledgeStatusUpdate(status);
    if (static_cast<int>(done_.size()) == FLAGS_tasks) driver->stop();
  }

  void frameworkMessage(SchedulerDriver*, const v1::ExecutorID& executor_id, const v1::AgentID&,
                        const std::string& data) override {
    std::cout << "message from " << executor_id.value() << ": " << data << std::endl;
  }

  void error(SchedulerDriver*, const std::string& message) override {
    std::cerr << "error: " << message << std::endl;
  }

  void callFailed(SchedulerDriver*, const std::string& call, const std::string& message) override {
    std::cerr << call << " rejected: " << message << std::endl;
  }

  int ExitCode() const {
    if (static_cast<int>(done_.size()) != FLAGS_tasks) return 1;
    for (const auto& [id, state] : done_) {
      if (state != v1::TASK_FINISHED) return 1;
    }
    return 0;
  }

 private:
  v1::TaskInfo MakeTask(const std::string& id, const v1::Offer& offer) const {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_agent_id() = offer.agent_id();
    *task.add_resources() = Scalar("cpus", FLAGS_cpus);
    *task.add_resources() = Scalar("mem", FLAGS_mem);
    if (FLAGS_executor.empty()) {
      task.mutable_command()->set_shell(true);
      task.mutable_command()->set_value(FLAGS_command);
    } else {
      // One custom executor per agent runs all of this framework's tasks
      // there; the task's data tells it what to do.
      v1::ExecutorInfo* executor = task.mutable_executor();
      executor->set_type(v1::ExecutorInfo::CUSTOM);
      executor->mutable_executor_id()->set_value("batch-executor-" + offer.agent_id().value());
      executor->set_name("batch example executor");
      executor->mutable_command()->set_shell(false);
      executor->mutable_command()->set_value(FLAGS_executor);
      executor->mutable_command()->add_arguments(FLAGS_executor);
      task.set_data(std::to_string(FLAGS_work));
    }
    return task;
  }

  std::deque<std::string> pending_;
  std::map<std::string, v1::TaskState> done_;
};

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Runs N tasks on an Agora cluster and waits for them");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  // Ctrl-C tears the framework down (killing its tasks) instead of leaving
  // it to the failover timeout. Signals are blocked before the driver's
  // threads exist and taken by one thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  BatchScheduler scheduler;
  v1::FrameworkInfo framework;
  framework.set_name("batch-example");
  agora::SchedulerDriverOptions options;
  options.implicit_acknowledgements = false;
  agora::AgoraSchedulerDriver driver(&scheduler, framework, FLAGS_master, options);

  std::thread([&driver, signals] {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0) driver.stop();
  }).detach();

  agora::SchedulerDriverStatus status = driver.run();
  if (status != agora::SchedulerDriverStatus::STOPPED) return 1;
  return scheduler.ExitCode();
}
