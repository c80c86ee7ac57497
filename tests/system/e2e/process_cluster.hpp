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

  // Starts the master and waits until its operator API answers.
  absl::Status StartMaster(const std::vector<std::string>& extra_flags = {});
  // Starts an agent with `resources` and waits until the master lists it.
  absl::Status StartAgent(const std::string& resources);

  // Runs the `agora` CLI against this cluster's master.
  CommandResult Cli(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(120));

  // Number of agents the master currently lists (via `agora agents --json`).
  int RegisteredAgents();

  // Every task the master lists, active and completed, parsed from
  // `agora tasks --json`. A CLI failure or unparsable output is a test
  // failure (and yields no tasks).
  std::vector<v1::Task> Tasks();
  // How many of those tasks are in each state.
  std::map<v1::TaskState, int> TasksByState();

  const std::string& master_address() const { return master_address_; }
  const std::string& dir() const { return dir_; }
  std::string agent_work_dir(size_t index) const;
  Subprocess* master() { return master_.get(); }
  Subprocess* agent(size_t index) { return agents_.at(index).get(); }

  // Every log, for failure messages.
  std::string Logs() const;

 private:
  std::string dir_;
  std::string master_address_;
  std::unique_ptr<Subprocess> master_;
  std::vector<std::unique_ptr<Subprocess>> agents_;
};

// Occurrences of `needle` in `haystack`.
int CountOccurrences(const std::string& haystack, const std::string& needle);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_E2E_PROCESS_CLUSTER_HPP_
