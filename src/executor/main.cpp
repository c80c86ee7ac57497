// agora-executor: the built-in command executor. Started by the agent with
// the AGORA_* environment; runs exactly one command task (see
// command_executor.hpp). Logs go to stderr, i.e. the sandbox's stderr file.
#include <signal.h>

#include "agora/executor.hpp"
#include "common/absl_locks.hpp"
#include "executor/command_executor.hpp"
#include "glog/logging.h"

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  // A vanished agent must not kill us through a broken pipe.
  signal(SIGPIPE, SIG_IGN);
  agora::executor::CommandExecutor executor;
  agora::AgoraExecutorDriver driver(&executor);
  executor.set_unacknowledged_counter([&driver] { return driver.unacknowledged_updates(); });
  agora::ExecutorDriverStatus status = driver.run();
  LOG(INFO) << "Executor exiting";
  return status == agora::ExecutorDriverStatus::STOPPED ? 0 : 1;
}
