// hello_executor: the smallest custom Agora executor, built out of tree
// against the installed libagora-dev. The agent starts it for
// hello_framework's --executor tasks; it reports each task RUNNING, then
// FINISHED, and exits once the agent tells it to shut down.
#include <iostream>
#include <string>

#include "agora/executor.hpp"

namespace {

namespace v1 = agora::v1;

class HelloExecutor : public agora::Executor {
 public:
  void launchTask(agora::ExecutorDriver* driver, const v1::TaskInfo& task) override {
    Send(driver, task.task_id(), v1::TASK_RUNNING, "");
    std::cout << "hello from task " << task.task_id().value() << std::endl;
    Send(driver, task.task_id(), v1::TASK_FINISHED, "said hello");
  }

  void killTask(agora::ExecutorDriver* driver, const v1::TaskID& task_id) override {
    Send(driver, task_id, v1::TASK_KILLED, "killed before it said hello");
  }

  void shutdown(agora::ExecutorDriver* driver) override { driver->stop(); }

 private:
  static void Send(agora::ExecutorDriver* driver, const v1::TaskID& task_id, v1::TaskState state,
                   const std::string& message) {
    v1::TaskStatus status;
    *status.mutable_task_id() = task_id;
    status.set_state(state);
    status.set_message(message);
    driver->sendStatusUpdate(status);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << "usage: hello_executor (started by an Agora agent, which sets AGORA_* "
                 "environment variables)\n";
    return 0;
  }
  HelloExecutor executor;
  agora::AgoraExecutorDriver driver(&executor);
  return driver.run() == agora::ExecutorDriverStatus::STOPPED ? 0 : 1;
}
