// recording_framework: a real framework process (libagora_scheduler) for
// the fault-injection system tests. It launches --tasks command tasks and
// prints one line per scheduler callback, unfiltered, so a test can count
// exactly what a framework author's code would have seen:
//
//   SUBSCRIBED <framework id>          registered / reregistered
//   LAUNCHED <task id> <agent id>
//   UPDATE <task id> <STATE> <REASON> <uuid hex or -> <message>
//   AGENT_LOST <agent id>
//   ERROR <message>
//
// Flags (--name=value): master, tasks, command, cpus, mem, name,
// failover_timeout (seconds), framework_id (re-subscribe as that framework),
// reconcile_every (seconds; explicit reconciliation of every task it
// launched or was told about), exit_when_done (exit 0 once every task is
// terminal).
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agora/scheduler.hpp"
#include "agora/task_state.hpp"

namespace {

struct Flags {
  std::string master;
  int tasks = 1;
  std::string command = "true";
  double cpus = 0.1;
  double mem = 16;
  std::string name = "recording";
  double failover_timeout = 3600;
  std::string framework_id;
  double reconcile_every = 0;
  bool exit_when_done = false;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "recording_framework: expected --name=value, got '%s'\n", argv[i]);
      return false;
    }
    std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    bool ok = true;
    if (name == "master")
      flags->master = value;
    else if (name == "tasks")
      ok = absl::SimpleAtoi(value, &flags->tasks) && flags->tasks > 0;
    else if (name == "command")
      flags->command = value;
    else if (name == "cpus")
      ok = absl::SimpleAtod(value, &flags->cpus);
    else if (name == "mem")
      ok = absl::SimpleAtod(value, &flags->mem);
    else if (name == "name")
      flags->name = value;
    else if (name == "failover_timeout")
      ok = absl::SimpleAtod(value, &flags->failover_timeout);
    else if (name == "framework_id")
      flags->framework_id = value;
    else if (name == "reconcile_every")
      ok = absl::SimpleAtod(value, &flags->reconcile_every);
    else if (name == "exit_when_done")
      flags->exit_when_done = value == "true" || value == "1";
    else
      ok = false;
    if (!ok) {
      std::fprintf(stderr, "recording_framework: bad flag --%s=%s\n", name.c_str(), value.c_str());
      return false;
    }
  }
  return !flags->master.empty();
}

void Print(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string Hex(const std::string& bytes) {
  if (bytes.empty()) return "-";
  std::string out;
  for (unsigned char c : bytes) absl::StrAppendFormat(&out, "%02x", c);
  return out;
}

class RecordingFramework : public agora::Scheduler {
 public:
  explicit RecordingFramework(Flags flags) : flags_(std::move(flags)) {}

  void registered(agora::SchedulerDriver*, const agora::v1::FrameworkID& id,
                  const agora::v1::MasterInfo&) override {
    Print("SUBSCRIBED " + id.value());
  }
  void reregistered(agora::SchedulerDriver*, const agora::v1::MasterInfo&) override {
    Print("SUBSCRIBED again");
  }

  void resourceOffers(agora::SchedulerDriver* driver,
                      const std::vector<agora::v1::Offer>& offers) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const agora::v1::Offer& offer : offers) {
      double cpus = 0, mem = 0;
      for (const auto& resource : offer.resources()) {
        if (resource.name() == "cpus") cpus += resource.scalar();
        if (resource.name() == "mem") mem += resource.scalar();
      }
      std::vector<agora::v1::TaskInfo> launch;
      while (launched_ < flags_.tasks && !flags_.framework_id.size() && cpus >= flags_.cpus &&
             mem >= flags_.mem) {
        std::string id = absl::StrCat(flags_.name, "-", launched_++);
        agora::v1::TaskInfo task;
        task.set_name(id);
        task.mutable_task_id()->set_value(id);
        *task.mutable_agent_id() = offer.agent_id();
        task.mutable_command()->set_shell(true);
        task.mutable_command()->set_value(flags_.command);
        for (auto [name, value] :
             {std::pair<const char*, double>{"cpus", flags_.cpus}, {"mem", flags_.mem}}) {
          auto* resource = task.add_resources();
          resource->set_name(name);
          resource->set_type(agora::v1::Resource::SCALAR);
          resource->set_scalar(value);
        }
        cpus -= flags_.cpus;
        mem -= flags_.mem;
        agents_[id] = offer.agent_id().value();
        Print("LAUNCHED " + id + " " + offer.agent_id().value());
        launch.push_back(std::move(task));
      }
      if (launch.empty()) {
        agora::v1::Filters filters;
        filters.set_refuse_seconds(3600);
        driver->declineOffer(offer.id(), filters);
      } else {
        driver->launchTasks({offer.id()}, launch);
      }
    }
  }

  void statusUpdate(agora::SchedulerDriver*, const agora::v1::TaskStatus& status) override {
    Print(absl::StrCat("UPDATE ", status.task_id().value(), " ",
                       agora::v1::TaskState_Name(status.state()), " ",
                       agora::v1::TaskStatus::Reason_Name(status.reason()), " ", Hex(status.uuid()),
                       " ", status.message()));
    std::lock_guard<std::mutex> lock(mu_);
    agents_[status.task_id().value()] = status.agent_id().value();
    terminal_[status.task_id().value()] = agora::IsTerminalState(status.state());
    int done = 0;
    for (const auto& [id, terminal] : terminal_) done += terminal ? 1 : 0;
    if (flags_.exit_when_done && done >= flags_.tasks) done_ = true;
  }

  void agentLost(agora::SchedulerDriver*, const agora::v1::AgentID& agent_id) override {
    Print("AGENT_LOST " + agent_id.value());
  }

  void error(agora::SchedulerDriver*, const std::string& message) override {
    Print("ERROR " + message);
  }

  // Explicit reconciliation of every task known so far.
  void Reconcile(agora::SchedulerDriver* driver) {
    std::vector<agora::v1::TaskStatus> statuses;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [task_id, agent_id] : agents_) {
        agora::v1::TaskStatus status;
        status.mutable_task_id()->set_value(task_id);
        if (!agent_id.empty()) status.mutable_agent_id()->set_value(agent_id);
        statuses.push_back(std::move(status));
      }
    }
    if (!statuses.empty()) driver->reconcileTasks(statuses);
  }

  // Task ids to reconcile from the start (a re-subscribing framework).
  void Know(const std::string& task_id, const std::string& agent_id) {
    std::lock_guard<std::mutex> lock(mu_);
    agents_[task_id] = agent_id;
  }

  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  Flags flags_;
  std::mutex mu_;
  int launched_ = 0;
  std::map<std::string, std::string> agents_;  // Task id -> agent id.
  std::map<std::string, bool> terminal_;
  bool done_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    std::fprintf(stderr, "usage: recording_framework --master=HOST:PORT [--tasks=N ...]\n");
    return 2;
  }
  RecordingFramework framework(flags);
  agora::v1::FrameworkInfo info;
  info.set_name(flags.name);
  info.set_user("root");
  info.add_roles("*");
  info.set_failover_timeout(flags.failover_timeout);
  if (!flags.framework_id.empty()) {
    info.mutable_id()->set_value(flags.framework_id);
    for (int i = 0; i < flags.tasks; ++i) framework.Know(absl::StrCat(flags.name, "-", i), "");
  }
  agora::AgoraSchedulerDriver driver(&framework, info, flags.master);
  if (driver.start() != agora::SchedulerDriverStatus::RUNNING) return 1;
  double since_reconcile = 0;
  while (!framework.done()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // A process's main loop.
    since_reconcile += 0.1;
    if (flags.reconcile_every > 0 && since_reconcile >= flags.reconcile_every) {
      since_reconcile = 0;
      framework.Reconcile(&driver);
    }
  }
  driver.stop();
  driver.join();
  return 0;
}
