// service_framework: keeps N instances of a long-running command alive.
//
// Each instance occupies a slot; when its task ends for any reason (it
// exited, failed, was killed, its agent is gone) the slot is refilled with a
// new task on the next suitable offer. It shows the long-running side of the
// scheduler API:
//
//   - implicit acknowledgements (the driver's default);
//   - suppressing offers while every slot is filled and reviving them when
//     one frees up;
//   - reconciliation after re-registration, explicit reconciliation of the
//     instances on an agent reported lost (after a master restart, tasks of
//     an agent that never came back are learned this way), and killing
//     tasks it no longer wants (an UNREACHABLE task that was replaced and
//     then came back);
//   - a clean teardown on SIGINT/SIGTERM or after --duration seconds.
//
//   service_framework --master=127.0.0.1:5050 --instances=3 --command='sleep 30'
#include <signal.h>
#include <time.h>

#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agora/scheduler.hpp"
#include "agora/task_state.hpp"
#include "gflags/gflags.h"
#include "glog/logging.h"

DEFINE_string(master, "127.0.0.1:5050",
              "The master: host:port, a list host:port,host:port,... (tried in turn), or "
              "zk://host:port[,...]/path (the leader elected in ZooKeeper)");
DEFINE_int32(instances, 2, "Number of instances to keep running");
DEFINE_string(command, "while true; do date; sleep 5; done", "Shell command of each instance");
DEFINE_double(cpus, 0.1, "CPUs per instance");
DEFINE_double(mem, 32, "Memory per instance (MiB)");
DEFINE_double(duration, 0, "Seconds to run before tearing down; 0 = until SIGINT/SIGTERM");

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

double Available(const v1::Offer& offer, const std::string& name) {
  double total = 0;
  for (const v1::Resource& r : offer.resources()) {
    if (r.name() == name && r.reservations().empty() && !r.revocable()) total += r.scalar();
  }
  return total;
}

class ServiceScheduler : public agora::Scheduler {
 public:
  ServiceScheduler() : slots_(FLAGS_instances) {}

  void registered(SchedulerDriver*, const v1::FrameworkID& id, const v1::MasterInfo& m) override {
    std::cout << "registered as " << id.value() << " with " << m.address() << std::endl;
  }

  void reregistered(SchedulerDriver* driver, const v1::MasterInfo& m) override {
    std::cout << "re-registered with " << m.address() << "; reconciling" << std::endl;
    driver->reconcileTasks({});
  }

  void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override {
    for (const v1::Offer& offer : offers) {
      double cpus = Available(offer, "cpus");
      double mem = Available(offer, "mem");
      std::vector<v1::TaskInfo> tasks;
      for (size_t slot = 0; slot < slots_.size(); ++slot) {
        if (!slots_[slot].empty() || cpus + 1e-9 < FLAGS_cpus || mem + 1e-9 < FLAGS_mem) continue;
        std::string id = "service-" + std::to_string(slot) + "-" + std::to_string(++launches_);
        slots_[slot] = id;
        agents_[id] = offer.agent_id().value();
        tasks.push_back(MakeTask(id, offer));
        cpus -= FLAGS_cpus;
        mem -= FLAGS_mem;
        std::cout << "slot " << slot << ": launching " << id << " on agent "
                  << offer.agent_id().value() << std::endl;
      }
      if (tasks.empty()) {
        driver->declineOffer(offer.id());
      } else {
        driver->launchTasks({offer.id()}, tasks);
      }
    }
    if (FreeSlots() == 0 && !suppressed_) {
      suppressed_ = true;
      driver->suppressOffers();
    }
  }

  void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) override {
    const std::string& id = status.task_id().value();
    std::cout << id << " " << v1::TaskState_Name(status.state())
              << (status.message().empty() ? "" : ": " + status.message()) << std::endl;
    int slot = SlotOf(id);
    if (slot < 0) {
      // Not (or no longer) ours: an instance we already replaced that came
      // back from an unreachable agent. Keep exactly N.
      if (!agora::IsTerminalState(status.state()))
        driver->killTask(status.task_id(), status.agent_id());
      return;
    }
    // UNREACHABLE may come back; replace it anyway (a service wants N
    // reachable instances) and kill the old one if it returns.
    if (agora::IsTerminalState(status.state()) || status.state() == v1::TASK_UNREACHABLE) {
      slots_[slot].clear();
      agents_.erase(id);
      if (suppressed_) {
        suppressed_ = false;
        driver->reviveOffers();
      }
    }
  }

  void agentLost(SchedulerDriver* driver, const v1::AgentID& agent_id) override {
    // Ask about our instances there by name: the master answers
    // TASK_UNREACHABLE for each (and the slot is refilled). Implicit
    // reconciliation could not, after a master restart, for an agent that
    // never came back: the master never learned its tasks.
    std::vector<v1::TaskStatus> ours;
    for (const auto& [task_id, agent] : agents_) {
      if (agent != agent_id.value()) continue;
      v1::TaskStatus status;
      status.mutable_task_id()->set_value(task_id);
      *status.mutable_agent_id() = agent_id;
      ours.push_back(std::move(status));
    }
    std::cout << "agent lost: " << agent_id.value() << "; reconciling " << ours.size()
              << " instance(s) there" << std::endl;
    if (!ours.empty()) driver->reconcileTasks(ours);
  }

  void disconnected(SchedulerDriver*) override { std::cout << "disconnected" << std::endl; }

  void error(SchedulerDriver*, const std::string& message) override {
    std::cerr << "error: " << message << std::endl;
  }

 private:
  v1::TaskInfo MakeTask(const std::string& id, const v1::Offer& offer) const {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_agent_id() = offer.agent_id();
    *task.add_resources() = Scalar("cpus", FLAGS_cpus);
    *task.add_resources() = Scalar("mem", FLAGS_mem);
    task.mutable_command()->set_shell(true);
    task.mutable_command()->set_value(FLAGS_command);
    task.mutable_kill_policy()->set_grace_period_seconds(2);
    return task;
  }

  int SlotOf(const std::string& id) const {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i] == id) return static_cast<int>(i);
    }
    return -1;
  }

  int FreeSlots() const {
    int free = 0;
    for (const std::string& s : slots_) free += s.empty() ? 1 : 0;
    return free;
  }

  // Loop-owned (callbacks run serially on the driver's thread).
  std::vector<std::string> slots_;             // Task id per slot; empty = to launch.
  std::map<std::string, std::string> agents_;  // Task id of a slot -> its agent id.
  int launches_ = 0;
  bool suppressed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Keeps N instances of a command running on an Agora cluster");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // Before the driver's threads.

  ServiceScheduler scheduler;
  v1::FrameworkInfo framework;
  framework.set_name("service-example");
  agora::AgoraSchedulerDriver driver(&scheduler, framework, FLAGS_master);
  if (driver.start() != agora::SchedulerDriverStatus::RUNNING) return 1;

  // Run until a signal, the --duration, or the driver ending on its own.
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      std::cout << "signal " << sig << ": tearing down" << std::endl;
      break;
    }
    static const auto start = std::chrono::steady_clock::now();
    if (FLAGS_duration > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(FLAGS_duration)) {
      std::cout << "duration reached: tearing down" << std::endl;
      break;
    }
  }
  driver.stop();  // Teardown: the master kills every instance.
  return driver.join() == agora::SchedulerDriverStatus::STOPPED ? 0 : 1;
}
