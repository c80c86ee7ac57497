// agora-agent: offers this machine's resources to the master and runs the
// tasks it launches. See docs/agent.md.
#include <gflags/gflags.h>
#include <signal.h>

#include <cstdio>

#include "agent/agent.hpp"
#include "agent/flags.hpp"
#include "common/absl_locks.hpp"
#include "common/fd_limit.hpp"
#include "common/flag_env.hpp"
#include "common/validation.hpp"
#include "glog/logging.h"

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "agora-agent --master=HOST:PORT --work_dir=DIR [--resources=...] [--attributes=...]\n"
      "Every flag may also come from --flagfile=PATH or AGORA_<FLAG_NAME_UPPER> in the\n"
      "environment (the command line wins); see docs/configuration.md.");
  if (auto status = agora::ApplyEnvironmentToFlags("agora-agent"); !status.ok()) {
    std::fprintf(stderr, "agora-agent: invalid environment variable %s\n",
                 std::string(status.message()).c_str());
    return 2;
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  agora::DisableAbseilDeadlockDetection();
  FLAGS_logtostderr = FLAGS_log_dir.empty();
  // Before any socket, pidfd or sandbox file is opened.
  agora::LogFdLimit("agora-agent", agora::RaiseFdLimit(),
                    "gRPC connections, executor pidfds, sandbox and checkpoint files");

  auto options = agora::agent::AgentOptionsFromFlags();
  if (!options.ok()) {
    std::string note = agora::EnvironmentSourceNote(
        agora::ViolatedField(options.status()).value_or(std::string()));
    std::fprintf(stderr, "agora-agent: invalid flag %s%s\n",
                 std::string(options.status().message()).c_str(), note.c_str());
    return 2;
  }
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto agent = agora::agent::Agent::Start(*options);
  if (!agent.ok()) {
    std::fprintf(stderr, "agora-agent: %s\n", std::string(agent.status().message()).c_str());
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (signal_number == SIGUSR1) {
    // As in Mesos: SIGUSR1 shuts the agent down with its executors.
    LOG(INFO) << "Received SIGUSR1; killing every executor and stopping";
    (*agent)->Shutdown();
  } else {
    LOG(INFO) << "Received signal " << signal_number << "; stopping (executors keep running)";
    (*agent)->Stop();
  }
  return 0;
}
