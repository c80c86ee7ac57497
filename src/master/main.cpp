// agora-master: the master daemon. Flags are documented by --help.
#include <gflags/gflags.h>
#include <signal.h>

#include <iostream>

#include "glog/logging.h"
#include "master/flags.hpp"
#include "master/master.hpp"

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "agora-master: pools agents' resources and offers them to frameworks.\n"
      "Usage: agora-master --work_dir=DIR [--port=5050 --http_port=5055 ...]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  auto options = agora::master::OptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "agora-master: invalid flag --" << options.status().message() << std::endl;
    return 2;
  }
  // Block the stop signals before any thread starts so sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto master = agora::master::Master::Start(*options);
  if (!master.ok()) {
    std::cerr << "agora-master: " << master.status().message() << std::endl;
    return 1;
  }
  std::cout << "agora-master listening on " << (*master)->address() << " (HTTP port "
            << (*master)->http_port() << ")" << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  LOG(INFO) << "Received signal " << signal << "; stopping";
  (*master)->Stop();
  return 0;
}
