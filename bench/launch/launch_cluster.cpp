#include "launch/launch_cluster.hpp"

#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "failover/cluster.hpp"
#include "failover/probes.hpp"
#include "launch/proc_usage.hpp"

namespace agora::bench {

absl::StatusOr<std::unique_ptr<LaunchCluster>> LaunchCluster::Start(LaunchClusterOptions options,
                                                                    absl::Duration timeout) {
  std::unique_ptr<LaunchCluster> cluster(new LaunchCluster(std::move(options)));
  const std::string& dir = cluster->options_.work_dir;
  std::filesystem::create_directories(dir + "/master");
  std::filesystem::create_directories(dir + "/agent");
  cluster->master_port_ = FreePort();
  int master_http = FreePort();
  auto master = testing::Subprocess::Spawn(
      {cluster->options_.master_binary, absl::StrCat("--work_dir=", dir, "/master"),
       absl::StrCat("--port=", cluster->master_port_), absl::StrCat("--http_port=", master_http),
       "--logtostderr=1"},
      dir + "/master.log");
  if (!master.ok()) return master.status();
  cluster->master_ = std::move(*master);
  if (!testing::WaitFor([&] { return MasterReady(master_http) || !cluster->master_->Running(); },
                        timeout) ||
      !cluster->master_->Running()) {
    return absl::UnavailableError(absl::StrCat("agora-master did not become ready within ",
                                               absl::FormatDuration(timeout), "; see ", dir,
                                               "/master.log"));
  }
  auto agent = testing::Subprocess::Spawn(
      {cluster->options_.agent_binary, absl::StrCat("--master=", cluster->master_address()),
       absl::StrCat("--work_dir=", dir, "/agent"),
       absl::StrCat("--resources=", cluster->options_.agent_resources),
       absl::StrCat("--port=", FreePort()), absl::StrCat("--http_port=", FreePort()),
       "--logtostderr=1"},
      dir + "/agent.log");
  if (!agent.ok()) return agent.status();
  cluster->agent_ = std::move(*agent);
  return cluster;
}

absl::Status LaunchCluster::CheckAlive() {
  if (!master_->Running())
    return absl::UnavailableError(absl::StrCat("agora-master exited; see ", master_->log_path()));
  if (!agent_->Running())
    return absl::UnavailableError(absl::StrCat("agora-agent exited; see ", agent_->log_path()));
  return absl::OkStatus();
}

LaunchCluster::~LaunchCluster() {
  if (agent_ != nullptr) {
    // SIGUSR1: the agent shuts down with its executors and removes its
    // empty cgroups (a killed agent would leave its agora-<hash> directory,
    // and with cgroups isolation the batch of containers it had not removed
    // yet, in every hierarchy).
    if (agent_->Running()) {
      agent_->Signal(SIGUSR1);
      (void)agent_->Wait(absl::Seconds(20));
    }
    // Executors run in sessions of their own: kill what is left of them
    // (and their tasks) explicitly, or they would outlive the benchmark.
    if (agent_->Running()) {
      for (pid_t pid : Descendants(agent_->pid())) ::kill(pid, SIGKILL);
    }
    agent_->Signal(SIGKILL);
    (void)agent_->Wait(absl::Seconds(10));
  }
  if (master_ != nullptr) {
    master_->Signal(SIGKILL);
    (void)master_->Wait(absl::Seconds(10));
  }
}

}  // namespace agora::bench
