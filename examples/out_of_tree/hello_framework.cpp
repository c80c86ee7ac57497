// hello_framework: the smallest useful Agora framework, built out of tree
// against the installed libagora-dev (find_package(Agora)). It runs one task
// and exits 0 iff the task finished:
//
//   hello_framework --master=127.0.0.1:5050 [--command='echo hello']
//   hello_framework --master=... --executor=/path/to/hello_executor
//
// With --executor the task runs under hello_executor (a custom executor)
// instead of the agent's built-in command executor.
#include <cstring>
#include <iostream>
#include <string>

#include "agora/scheduler.hpp"
#include "agora/task_state.hpp"

namespace {

namespace v1 = agora::v1;

struct Options {
  std::string master = "127.0.0.1:5050";
  std::string command = "echo hello from an out-of-tree framework";
  std::string executor;
};

constexpr char kUsage[] =
    "usage: hello_framework [--master=HOST:PORT|zk://...] [--command=SHELL_COMMAND]\n"
    "                       [--executor=PATH_OF_hello_executor]\n"
    "Runs one task on an Agora cluster; exits 0 iff it finished.\n";

// Parses --name=value arguments; returns false (after saying why) on an
// unknown one.
bool ParseArgs(int argc, char** argv, Options* options, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value_of = [&arg](const char* prefix, std::string* out) {
      if (arg.rfind(prefix, 0) != 0) return false;
      *out = arg.substr(std::strlen(prefix));
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      *help = true;
    } else if (!value_of("--master=", &options->master) &&
               !value_of("--command=", &options->command) &&
               !value_of("--executor=", &options->executor)) {
      std::cerr << "hello_framework: unknown argument '" << arg << "'\n" << kUsage;
      return false;
    }
  }
  return true;
}

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource resource;
  resource.set_name(name);
  resource.set_type(v1::Resource::SCALAR);
  resource.set_scalar(value);
  return resource;
}

class HelloScheduler : public agora::Scheduler {
 public:
  explicit HelloScheduler(const Options& options) : options_(options) {}

  void registered(agora::SchedulerDriver*, const v1::FrameworkID& framework_id,
                  const v1::MasterInfo& master) override {
    std::cout << "registered as " << framework_id.value() << " with " << master.address()
              << std::endl;
  }

  void resourceOffers(agora::SchedulerDriver* driver,
                      const std::vector<v1::Offer>& offers) override {
    for (const v1::Offer& offer : offers) {
      if (launched_) {
        driver->declineOffer(offer.id());
        continue;
      }
      launched_ = true;
      driver->launchTasks({offer.id()}, {MakeTask(offer)});
      driver->suppressOffers();
    }
  }

  void statusUpdate(agora::SchedulerDriver* driver, const v1::TaskStatus& status) override {
    std::cout << status.task_id().value() << " " << v1::TaskState_Name(status.state())
              << (status.message().empty() ? "" : ": " + status.message()) << std::endl;
    if (agora::IsTerminalState(status.state())) {
      finished_ = status.state() == v1::TASK_FINISHED;
      driver->stop();
    }
  }

  void error(agora::SchedulerDriver* driver, const std::string& message) override {
    std::cerr << "error: " << message << std::endl;
    driver->abort();
  }

  bool finished() const { return finished_; }

 private:
  v1::TaskInfo MakeTask(const v1::Offer& offer) const {
    v1::TaskInfo task;
    task.set_name("hello");
    task.mutable_task_id()->set_value("hello-1");
    *task.mutable_agent_id() = offer.agent_id();
    *task.add_resources() = Scalar("cpus", 0.1);
    *task.add_resources() = Scalar("mem", 32);
    if (options_.executor.empty()) {
      task.mutable_command()->set_shell(true);
      task.mutable_command()->set_value(options_.command);
      return task;
    }
    v1::ExecutorInfo* executor = task.mutable_executor();
    executor->set_type(v1::ExecutorInfo::CUSTOM);
    executor->mutable_executor_id()->set_value("hello-executor");
    executor->set_name("hello executor");
    executor->mutable_command()->set_shell(false);
    executor->mutable_command()->set_value(options_.executor);
    executor->mutable_command()->add_arguments(options_.executor);
    return task;
  }

  Options options_;
  bool launched_ = false;
  bool finished_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool help = false;
  if (!ParseArgs(argc, argv, &options, &help)) return 2;
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  HelloScheduler scheduler(options);
  v1::FrameworkInfo framework;
  framework.set_name("hello-out-of-tree");
  agora::AgoraSchedulerDriver driver(&scheduler, framework, options.master);
  agora::SchedulerDriverStatus status = driver.run();
  if (status != agora::SchedulerDriverStatus::STOPPED) {
    std::cerr << "driver ended " << agora::SchedulerDriverStatusName(status) << std::endl;
    return 1;
  }
  return scheduler.finished() ? 0 : 1;
}
