// `agora run`: checks the master answers, runs RunScheduler on the driver,
// and tears the framework down when the tasks are done, on timeout, or on
// SIGINT/SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/operator_client.hpp"
#include "cli/run_scheduler.hpp"

namespace agora::cli {
namespace {

// Waits for SIGINT/SIGTERM (blocked everywhere by main) and interrupts the
// run. Detached: it dies with the process.
void StartSignalWaiter(RunScheduler* scheduler, std::atomic<int>* signal_seen) {
  std::thread([scheduler, signal_seen] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    signal_seen->store(sig);
    scheduler->Interrupt();
  }).detach();
}

}  // namespace

int RunRunCommand(const CliOptions& options) {
  // A quick probe turns "nothing listens there" into one clear line instead
  // of a driver retrying forever. The probe and the driver are deliberately
  // never destroyed: the process ends right after the run, and destroying
  // the last gRPC channel joins gRPC's threads (~10 ms of a one-task run,
  // twice if the probe went first).
  auto* probe = new OperatorClient(options.master, 3);
  absl::StatusOr<v1::GetHealthResponse> health = probe->GetHealth();
  if (!health.ok() && (health.status().code() == absl::StatusCode::kUnavailable ||
                       health.status().code() == absl::StatusCode::kDeadlineExceeded)) {
    std::cerr << "agora: " << DescribeCallError(options.master, "GetHealth", health.status())
              << std::endl;
    return 1;
  }

  // Outlives the (never destroyed) driver that calls it.
  auto& scheduler = *new RunScheduler(options.run, &std::cout, &std::cerr);
  std::atomic<int> signal_seen{0};
  StartSignalWaiter(&scheduler, &signal_seen);

  v1::FrameworkInfo framework;
  framework.set_name(options.run.name);
  framework.add_roles(options.run.role);
  // A one-shot job: if this process dies without tearing down, the master
  // should not keep its tasks for the 7-day default.
  framework.set_failover_timeout(60);
  auto* driver = new AgoraSchedulerDriver(&scheduler, framework, options.master);
  if (driver->start() != SchedulerDriverStatus::RUNNING) {
    driver->join();
    return 1;
  }
  absl::Duration timeout = options.run.timeout_seconds > 0
                               ? absl::Seconds(options.run.timeout_seconds)
                               : absl::InfiniteDuration();
  bool finished = scheduler.WaitFinished(timeout);
  int exit_code = 1;
  if (finished) {
    exit_code = scheduler.ExitCode();
    std::cout << scheduler.Summary() << std::endl;
  } else if (int sig = signal_seen.load(); sig != 0) {
    std::cerr << "agora: interrupted (" << (sig == SIGINT ? "SIGINT" : "SIGTERM")
              << "); tearing down the framework" << std::endl;
    std::cout << scheduler.Summary() << std::endl;
    exit_code = 128 + sig;
  } else {
    std::cerr << "agora: timed out after " << options.run.timeout_seconds
              << " s; tearing down the framework" << std::endl;
    std::cout << scheduler.Summary() << std::endl;
  }
  driver->stop();  // Teardown (kills whatever still runs).
  driver->join();
  std::cout.flush();
  return exit_code;
}

}  // namespace agora::cli
