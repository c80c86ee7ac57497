#include "failover/cluster.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora::bench {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

absl::StatusOr<std::unique_ptr<BenchCluster>> BenchCluster::Start(ClusterOptions options,
                                                                  absl::Duration timeout) {
  std::unique_ptr<BenchCluster> cluster(new BenchCluster(std::move(options)));
  const bool failover = cluster->options_.mode == ClusterMode::kFailover;
  if (failover) {
    std::string zk_dir = cluster->options_.work_dir + "/zookeeper";
    std::filesystem::create_directories(zk_dir);
    auto zookeeper = testing::ZooKeeperServer::Start(zk_dir);
    if (!zookeeper.ok()) return zookeeper.status();
    cluster->zookeeper_ = std::move(*zookeeper);
    auto probe = ElectionProbe::Connect(cluster->MasterSpec(), absl::Seconds(10));
    if (!probe.ok()) return probe.status();
    cluster->election_ = std::move(*probe);
  }
  int count = failover ? 3 : 1;
  cluster->masters_.resize(count);
  for (int i = 0; i < count; ++i) {
    MasterProcess& master = cluster->masters_[i];
    master.work_dir = absl::StrCat(cluster->options_.work_dir, "/master-", i);
    master.log_path = absl::StrCat(cluster->options_.work_dir, "/master-", i, ".log");
    master.port = FreePort();
    master.http_port = FreePort();
    std::filesystem::create_directories(master.work_dir);
    if (auto status = cluster->Launch(i); !status.ok()) return status;
  }
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    // Failover mode also waits for every standby to contend, so that the
    // election measured later is not a standby's start-up.
    bool all_contending = true;
    if (failover) {
      auto members = cluster->election_->Members();
      all_contending = members.ok() && static_cast<int>(members->size()) == count;
    }
    auto leader = cluster->Leader();
    if (all_contending && leader.ok() && MasterReady(cluster->masters_[*leader].http_port))
      return cluster;
    for (MasterProcess& master : cluster->masters_) {
      if (!master.process->Running()) {
        return absl::UnavailableError(absl::StrCat("master ", master.address(),
                                                   " exited at start-up; see ", master.log_path));
      }
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("no master became ready within ", absl::FormatDuration(timeout),
                       "; see the logs under ", cluster->options_.work_dir));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

BenchCluster::~BenchCluster() {
  for (int i = 0; i < masters(); ++i) Kill(i);
  election_.reset();
}

absl::Status BenchCluster::Launch(int index) {
  MasterProcess& master = masters_.at(index);
  std::vector<std::string> argv = {
      options_.master_binary, absl::StrCat("--work_dir=", master.work_dir),
      absl::StrCat("--port=", master.port), absl::StrCat("--http_port=", master.http_port),
      "--logtostderr=1"};
  if (options_.mode == ClusterMode::kFailover) {
    argv.push_back(absl::StrCat("--zk=", MasterSpec()));
    argv.push_back("--registry=zk");
    argv.push_back(absl::StrCat("--zk_session_timeout=", options_.zk_session_timeout_seconds));
  }
  argv.insert(argv.end(), options_.master_flags.begin(), options_.master_flags.end());
  auto process = testing::Subprocess::Spawn(argv, master.log_path);
  if (!process.ok()) return process.status();
  master.process = std::move(*process);
  return absl::OkStatus();
}

std::string BenchCluster::MasterSpec() const {
  if (zookeeper_ != nullptr) return absl::StrCat("zk://", zookeeper_->address(), "/agora");
  return masters_.empty() ? "" : masters_[0].address();
}

absl::StatusOr<int> BenchCluster::Leader() {
  if (election_ == nullptr) return 0;
  auto members = election_->Members();
  if (!members.ok()) return members.status();
  if (members->empty()) return absl::UnavailableError("no master in the election");
  // Every master listens on loopback; its advertised host may be any name
  // for it, so the port identifies it.
  const std::string& address = members->front().info.address();
  for (int i = 0; i < masters(); ++i)
    if (absl::EndsWith(address, absl::StrCat(":", masters_[i].port))) return i;
  return absl::UnavailableError(absl::StrCat("the leader's address ",
                                             members->front().info.address(),
                                             " is none of this cluster's masters"));
}

absl::StatusOr<std::string> BenchCluster::LeaderZnode() {
  if (election_ == nullptr) return std::string();
  auto members = election_->Members();
  if (!members.ok()) return members.status();
  if (members->empty()) return absl::UnavailableError("no master in the election");
  return members->front().znode;
}

absl::StatusOr<bool> BenchCluster::ZnodeExists(const std::string& znode) {
  if (election_ == nullptr) return false;
  auto members = election_->Members();
  if (!members.ok()) return members.status();
  for (const ElectionMember& member : *members)
    if (member.znode == znode) return true;
  return false;
}

void BenchCluster::Kill(int index) {
  MasterProcess& master = masters_.at(index);
  if (master.process == nullptr) return;
  master.process->Signal(SIGKILL);
  (void)master.process->Wait(absl::Seconds(10));
  master.process.reset();
}

absl::Status BenchCluster::Restart(int index) {
  Kill(index);
  return Launch(index);
}

}  // namespace agora::bench
