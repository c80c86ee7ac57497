// ProcessCluster: a standalone agora-master and N agora-agent processes (the
// real binaries) on loopback, each with its own work dir and log file under
// a test temp dir. Used by system tests to exercise Agora exactly as an
// operator runs it.
#ifndef AGORA_TESTS_SYSTEM_E2E_PROCESS_CLUSTER_HPP_
#define AGORA_TESTS_SYSTEM_E2E_PROCESS_CLUSTER_HPP_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agora/v1/common.pb.h"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

// A port that was free when probed (bound to 127.0.0.1:0 and released).
int ProbeFreePort();

class ProcessCluster {
 public:
  explicit ProcessCluster(std::string dir) : dir_(std::move(dir)) {}
  ~ProcessCluster();

  // Starts the master and waits until its operator API answers. A restart
  // (after KillMaster) reuses the work dir and ports; `extra_flags` of the
  // first start are kept unless new ones are given.
  absl::Status StartMaster(const std::vector<std::string>& extra_flags = {});
  // kill -9 of the master, reaped.
  void KillMaster();
  // Replicated masters started elsewhere: agents and the CLI are given
  // `spec` ("h1:p1,h2:p2" or "zk://...") as their --master instead of a
  // standalone master started here.
  void UseMasters(std::string spec) { master_address_ = std::move(spec); }
  // Starts an agent with `resources` (and extra flags) and waits until the
  // master lists it. Each agent gets fixed probed gRPC and HTTP ports, so a
  // restarted agent is found again by its executors.
  absl::Status StartAgent(const std::string& resources,
                          const std::vector<std::string>& extra_flags = {});
  // Restarts agent `index` (after KillAgent) on its work dir and ports, with
  // `once_flags` added for this start only, and waits until it is
  // (re-)registered (or, if `wait_registered` is false, only until it has
  // started).
  absl::Status RestartAgent(size_t index, bool wait_registered = true,
                            const std::vector<std::string>& once_flags = {});
  // kill -9 of agent `index`, reaped (its executors keep running).
  void KillAgent(size_t index);
  // The agent's HTTP port.
  int agent_http_port(size_t index) const { return agent_specs_.at(index).http_port; }
  // Spawns a program of this build (or any argv) with its log in the test
  // dir; the caller owns it.
  absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(const std::vector<std::string>& argv,
                                                    const std::string& log_name);

  // Runs the `agora` CLI against this cluster's master.
  CommandResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(120));

  // Number of agents the master currently lists (via `agora agents --json`).
  int RegisteredAgents();

  // Every task the master lists, active and completed, parsed from
  // `agora tasks --all --json`. A CLI failure or unparsable output is a test
  // failure (and yields no tasks).
  std::vector<v1::Task> Tasks();
  // How many of those tasks are in each state.
  std::map<v1::TaskState, int> TasksByState();

  const std::string& master_address() const { return master_address_; }
  int master_http_port() const { return master_http_port_; }
  const std::string& dir() const { return dir_; }
  std::string agent_work_dir(size_t index) const;
  Subprocess* master() { return master_.get(); }
  Subprocess* agent(size_t index) { return agents_.at(index).get(); }

  // Every log, for failure messages.
  std::string Logs() const;

 private:
  struct AgentSpec {
    std::string resources;
    std::vector<std::string> extra_flags;
    int port = 0;
    int http_port = 0;
    int starts = 0;
  };
  absl::StatusOr<std::unique_ptr<Subprocess>> SpawnAgent(
      size_t index, const std::vector<std::string>& once_flags);

  std::string dir_;
  std::string master_address_;
  int master_port_ = 0;
  int master_http_port_ = 0;
  int master_starts_ = 0;
  std::vector<std::string> master_flags_;
  std::unique_ptr<Subprocess> master_;
  std::vector<AgentSpec> agent_specs_;
  std::vector<std::unique_ptr<Subprocess>> agents_;
};

// Occurrences of `needle` in `haystack`.
int CountOccurrences(const std::string& haystack, const std::string& needle);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_E2E_PROCESS_CLUSTER_HPP_
