#include "tests/system/e2e/process_cluster.hpp"

#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/cgroup_owners.hpp"
#include "agora/v1/master.pb.h"
#include "gtest/gtest.h"
#include "tests/support/process_scan.hpp"

namespace agora::testing {

int ProbeFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

ProcessCluster::~ProcessCluster() {
  // SIGUSR1: an agent kills its executors, then stops; no task outlives the
  // test.
  for (auto& agent : agents_) {
    if (agent && agent->Running()) agent->Signal(SIGUSR1);
  }
  for (auto it = agents_.rbegin(); it != agents_.rend(); ++it) {
    if (*it && !(*it)->Wait(absl::Seconds(10)).ok()) (*it)->Stop();
  }
  if (master_) master_->Stop();
  // Executors and tasks of agents a test killed with SIGKILL and never
  // restarted: nothing a test started outlives it.
  for (pid_t pid : ProcessesWithEnvironmentPrefix("AGORA_SANDBOX", dir_ + "/")) {
    ::kill(pid, SIGKILL);
  }
  // Their agora-<hash> cgroup directories: an agent killed with SIGKILL
  // cannot remove them, and its work dir is never started again. Retried
  // while the kernel still releases the processes just killed.
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (size_t index = 0; index < agent_specs_.size(); ++index) {
    while (!agent::SweepDeadCgroupOwners(agent::kDefaultCgroupOwnersDir, "", agent_work_dir(index),
                                         /*remove_empty_containers=*/true)
                .kept.empty() &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
}

absl::Status ProcessCluster::StartMaster(const std::vector<std::string>& extra_flags) {
  if (master_port_ == 0) {
    master_port_ = ProbeFreePort();
    master_http_port_ = ProbeFreePort();
    master_address_ = absl::StrCat("127.0.0.1:", master_port_);
  }
  if (!extra_flags.empty() || master_starts_ == 0) master_flags_ = extra_flags;
  std::string work_dir = dir_ + "/master";
  std::filesystem::create_directories(work_dir);
  std::vector<std::string> argv = {BinaryPath("agora-master"),
                                   "--ip=127.0.0.1",
                                   absl::StrCat("--port=", master_port_),
                                   absl::StrCat("--http_port=", master_http_port_),
                                   "--work_dir=" + work_dir,
                                   "--logtostderr"};
  argv.insert(argv.end(), master_flags_.begin(), master_flags_.end());
  auto master = Subprocess::Spawn(
      argv, master_starts_ == 0 ? dir_ + "/master.log"
                                : absl::StrCat(dir_, "/master.", master_starts_, ".log"));
  if (!master.ok()) return master.status();
  ++master_starts_;
  master_ = std::move(*master);
  bool up = WaitFor(
      [this] { return !master_->Running() || Cli({"agents"}, absl::Seconds(10)).exit_code == 0; },
      absl::Seconds(30), absl::Milliseconds(50));
  if (!up || !master_->Running()) {
    return absl::UnavailableError("master did not come up:\n" + master_->Log());
  }
  return absl::OkStatus();
}

void ProcessCluster::KillMaster() {
  if (!master_) return;
  master_->Signal(SIGKILL);
  (void)master_->Wait(absl::Seconds(10));
}

absl::StatusOr<std::unique_ptr<Subprocess>> ProcessCluster::Spawn(
    const std::vector<std::string>& argv, const std::string& log_name) {
  return Subprocess::Spawn(argv, dir_ + "/" + log_name);
}

absl::StatusOr<std::unique_ptr<Subprocess>> ProcessCluster::SpawnAgent(
    size_t index, const std::vector<std::string>& once_flags) {
  AgentSpec& spec = agent_specs_.at(index);
  std::string work_dir = agent_work_dir(index);
  std::filesystem::create_directories(work_dir);
  std::vector<std::string> argv = {BinaryPath("agora-agent"),
                                   "--master=" + master_address_,
                                   "--ip=127.0.0.1",
                                   absl::StrCat("--port=", spec.port),
                                   absl::StrCat("--http_port=", spec.http_port),
                                   "--work_dir=" + work_dir,
                                   "--resources=" + spec.resources,
                                   "--logtostderr"};
  argv.insert(argv.end(), spec.extra_flags.begin(), spec.extra_flags.end());
  argv.insert(argv.end(), once_flags.begin(), once_flags.end());
  std::string log = spec.starts == 0
                        ? absl::StrCat(dir_, "/agent", index, ".log")
                        : absl::StrCat(dir_, "/agent", index, ".", spec.starts, ".log");
  ++spec.starts;
  return Subprocess::Spawn(argv, log);
}

absl::Status ProcessCluster::StartAgent(const std::string& resources,
                                        const std::vector<std::string>& extra_flags) {
  size_t index = agents_.size();
  agent_specs_.push_back(AgentSpec{resources, extra_flags, ProbeFreePort(), ProbeFreePort()});
  agents_.push_back(nullptr);
  auto agent = SpawnAgent(index, {});
  if (!agent.ok()) return agent.status();
  agents_[index] = std::move(*agent);
  int expected = static_cast<int>(agents_.size());
  if (!WaitFor([&] { return RegisteredAgents() >= expected || !agents_.back()->Running(); },
               absl::Seconds(30), absl::Milliseconds(50)) ||
      !agents_.back()->Running()) {
    return absl::UnavailableError("agent did not register:\n" + agents_.back()->Log());
  }
  return absl::OkStatus();
}

void ProcessCluster::KillAgent(size_t index) {
  Subprocess* agent = agents_.at(index).get();
  if (agent == nullptr) return;
  agent->Signal(SIGKILL);
  (void)agent->Wait(absl::Seconds(10));
}

absl::Status ProcessCluster::RestartAgent(size_t index, bool wait_registered,
                                          const std::vector<std::string>& once_flags) {
  auto agent = SpawnAgent(index, once_flags);
  if (!agent.ok()) return agent.status();
  agents_.at(index) = std::move(*agent);
  Subprocess* process = agents_[index].get();
  std::string log_path = process->log_path();
  bool ok = WaitFor(
      [&] {
        if (!process->Running()) return true;
        std::string log = ReadFileOrEmpty(log_path);
        return log.find(wait_registered ? "egistered with master" : "Agent listening on") !=
               std::string::npos;
      },
      absl::Seconds(30), absl::Milliseconds(50));
  if (!ok || !process->Running()) {
    return absl::UnavailableError("agent did not come back:\n" + process->Log());
  }
  return absl::OkStatus();
}

CommandResult ProcessCluster::Cli(std::vector<std::string> args, absl::Duration timeout) {
  args.insert(args.begin(), BinaryPath("agora"));
  args.push_back("--master");
  args.push_back(master_address_);
  absl::StatusOr<CommandResult> result = RunCommand(args, timeout);
  if (!result.ok()) return CommandResult{-1, std::string(result.status().message())};
  return *result;
}

int ProcessCluster::RegisteredAgents() {
  CommandResult result = Cli({"agents", "--json"}, absl::Seconds(10));
  if (result.exit_code != 0) return 0;
  return CountOccurrences(result.output, "\"hostname\"");
}

std::vector<v1::Task> ProcessCluster::Tasks() {
  CommandResult result = Cli({"tasks", "--all", "--json"});
  if (result.exit_code != 0) {
    ADD_FAILURE() << "agora tasks --all --json failed: " << result.output;
    return {};
  }
  v1::GetTasksResponse response;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(result.output, &response, options).ok()) {
    ADD_FAILURE() << "agora tasks --all --json printed no GetTasksResponse: " << result.output;
    return {};
  }
  return {response.tasks().begin(), response.tasks().end()};
}

std::map<v1::TaskState, int> ProcessCluster::TasksByState() {
  std::map<v1::TaskState, int> counts;
  for (const v1::Task& task : Tasks()) ++counts[task.state()];
  return counts;
}

std::string ProcessCluster::agent_work_dir(size_t index) const {
  return absl::StrCat(dir_, "/agent", index);
}

std::string ProcessCluster::Logs() const {
  std::string logs;
  if (master_) logs += "--- master ---\n" + master_->Log();
  for (size_t i = 0; i < agents_.size(); ++i) {
    if (agents_[i]) logs += absl::StrCat("--- agent ", i, " ---\n", agents_[i]->Log());
  }
  return logs;
}

int CountOccurrences(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace agora::testing
