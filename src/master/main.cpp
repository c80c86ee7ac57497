// agora-master: the master daemon. Flags are documented by --help.
#include <gflags/gflags.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <string>

#include "common/absl_locks.hpp"
#include "common/fd_limit.hpp"
#include "common/flag_env.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"
#include "master/flags.hpp"
#include "master/master.hpp"

namespace {

// Set by the step-down hook (on the master's loop), read by main after
// sigwait returns.
std::mutex step_down_mutex;
std::string step_down_reason;

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "agora-master: pools agents' resources and offers them to frameworks.\n"
      "Usage: agora-master --work_dir=DIR [--port=5050 --http_port=5055 ...]\n"
      "Every flag may also come from --flagfile=PATH or AGORA_<FLAG_NAME_UPPER> in the\n"
      "environment (the command line wins); see docs/configuration.md.");
  if (auto status = agora::ApplyEnvironmentToFlags("agora-master"); !status.ok()) {
    std::cerr << "agora-master: invalid environment variable " << status.message() << std::endl;
    return 2;
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  // Before any socket or registry file is opened.
  agora::LogFdLimit("agora-master", agora::RaiseFdLimit(),
                    "gRPC connections of agents and schedulers, HTTP connections, registry files");
  auto options = agora::master::OptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "agora-master: invalid flag --" << options.status().message()
              << agora::EnvironmentSourceNote(
                     agora::ViolatedField(options.status()).value_or(std::string()))
              << std::endl;
    return 2;
  }
  // Block the stop signals before any thread starts so sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // Raised by the step-down hook below.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A master whose registry cannot be written must not serve: exit non-zero
  // so a supervisor restarts it (or an operator sees why it stopped).
  options->on_step_down = [](const absl::Status& status) {
    {
      std::lock_guard<std::mutex> lock(step_down_mutex);
      step_down_reason = std::string(status.message());
    }
    kill(getpid(), SIGUSR1);
  };
  auto master = agora::master::Master::Start(*options);
  if (!master.ok()) {
    std::cerr << "agora-master: " << master.status().message() << std::endl;
    return 1;
  }
  std::cout << "agora-master listening on " << (*master)->address() << " (HTTP port "
            << (*master)->http_port() << ")" << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  if (signal == SIGUSR1) {
    std::string reason;
    {
      std::lock_guard<std::mutex> lock(step_down_mutex);
      reason = step_down_reason;
    }
    LOG(ERROR) << "Stepping down: the registry cannot be written: " << reason;
    std::cerr << "agora-master: stepping down: the registry cannot be written: " << reason
              << std::endl;
    (*master)->Stop();
    return 3;
  }
  LOG(INFO) << "Received signal " << signal << "; stopping";
  (*master)->Stop();
  return 0;
}
