#include "tests/system/ha/replicated_masters.hpp"

#include <signal.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/http_get.hpp"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {

ReplicatedMasters::ReplicatedMasters(std::string dir, std::string zk_url, size_t count,
                                     std::vector<std::string> flags)
    : dir_(std::move(dir)), zk_url_(std::move(zk_url)), flags_(std::move(flags)) {
  masters_.resize(count);
  for (Replica& replica : masters_) {
    replica.port = ProbeFreePort();
    replica.http_port = ProbeFreePort();
  }
}

ReplicatedMasters::~ReplicatedMasters() {
  for (Replica& replica : masters_) {
    if (!replica.process) continue;
    if (replica.frozen) replica.process->Signal(SIGCONT);
    replica.process->Stop();
  }
}

absl::Status ReplicatedMasters::Spawn(size_t index) {
  Replica& replica = masters_.at(index);
  const std::string work_dir = absl::StrCat(dir_, "/master", index);
  std::filesystem::create_directories(work_dir);
  std::vector<std::string> argv = {BinaryPath("agora-master"),
                                   "--ip=127.0.0.1",
                                   absl::StrCat("--port=", replica.port),
                                   absl::StrCat("--http_port=", replica.http_port),
                                   "--work_dir=" + work_dir,
                                   "--zk=" + zk_url_,
                                   "--registry=zk",
                                   "--logtostderr"};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  auto process =
      Subprocess::Spawn(argv, absl::StrCat(dir_, "/master", index, ".", replica.starts, ".log"));
  if (!process.ok()) return process.status();
  ++replica.starts;
  replica.frozen = false;
  replica.process = std::move(*process);
  return absl::OkStatus();
}

absl::Status ReplicatedMasters::Start() {
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (absl::Status status = Spawn(i); !status.ok()) return status;
  }
  if (WaitForLeader(absl::Seconds(30)) < 0) {
    return absl::UnavailableError("no master was elected:\n" + Logs());
  }
  return absl::OkStatus();
}

absl::Status ReplicatedMasters::Restart(size_t index) {
  if (absl::Status status = Spawn(index); !status.ok()) return status;
  if (!WaitFor(
          [&] { return HttpGet(http_port(index), "/health").find(" 200 ") != std::string::npos; },
          absl::Seconds(30), absl::Milliseconds(50))) {
    return absl::UnavailableError(absl::StrCat("master ", index, " did not come up:\n", Logs()));
  }
  return absl::OkStatus();
}

void ReplicatedMasters::Kill(size_t index) {
  Replica& replica = masters_.at(index);
  if (!replica.process) return;
  replica.process->Signal(SIGKILL);
  (void)replica.process->Wait(absl::Seconds(10));
  replica.frozen = false;
}

void ReplicatedMasters::Freeze(size_t index) {
  masters_.at(index).process->Signal(SIGSTOP);
  masters_.at(index).frozen = true;
}

void ReplicatedMasters::Thaw(size_t index) {
  masters_.at(index).process->Signal(SIGCONT);
  masters_.at(index).frozen = false;
}

bool ReplicatedMasters::running(size_t index) {
  Replica& replica = masters_.at(index);
  return replica.process && replica.process->Running();
}

bool ReplicatedMasters::Reachable(size_t index) {
  return running(index) && !masters_.at(index).frozen;
}

int ReplicatedMasters::Leader() {
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (!Reachable(i)) continue;
    if (absl::StartsWith(HttpGet(http_port(i), "/ready"), "HTTP/1.1 200")) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int ReplicatedMasters::WaitForLeader(absl::Duration timeout, int not_index) {
  int leader = -1;
  WaitFor(
      [&] {
        leader = Leader();
        return leader >= 0 && leader != not_index;
      },
      timeout, absl::Milliseconds(50));
  return leader != not_index ? leader : -1;
}

std::vector<size_t> ReplicatedMasters::Serving() {
  std::vector<size_t> serving;
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (!Reachable(i)) continue;
    if (MetricValue(HttpGet(http_port(i), "/metrics"), "agora_master_serving") == 1) {
      serving.push_back(i);
    }
  }
  return serving;
}

double ReplicatedMasters::ElectionsWon() {
  double won = 0;
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (!Reachable(i)) continue;
    won += MetricValue(HttpGet(http_port(i), "/metrics"), "agora_master_elections_won_total");
  }
  return won;
}

std::string ReplicatedMasters::address(size_t index) const {
  return absl::StrCat("127.0.0.1:", masters_.at(index).port);
}

std::string ReplicatedMasters::List() const {
  std::vector<std::string> addresses;
  for (size_t i = 0; i < masters_.size(); ++i) addresses.push_back(address(i));
  return absl::StrJoin(addresses, ",");
}

std::string ReplicatedMasters::Logs() const {
  std::string logs;
  for (size_t i = 0; i < masters_.size(); ++i) {
    if (masters_[i].process) {
      logs += absl::StrCat("--- master ", i, " ---\n", masters_[i].process->Log());
    }
  }
  return logs;
}

}  // namespace agora::testing
