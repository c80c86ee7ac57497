#include "tests/support/zookeeper_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace agora::testing {
namespace {

int ProbePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

}  // namespace

std::string FourLetterWord(int port, const std::string& word) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::write(fd, word.data(), word.size()) == static_cast<ssize_t>(word.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

// The settings every server of these tests shares.
static std::string CommonConfig(const std::string& data_dir, int client_port) {
  return absl::StrCat("tickTime=100\n", "minSessionTimeout=200\n", "maxSessionTimeout=20000\n",
                      "initLimit=20\nsyncLimit=10\n", "dataDir=", data_dir, "\n",
                      "clientPort=", client_port, "\n", "clientPortAddress=127.0.0.1\n",
                      "admin.enableServer=false\n", "4lw.commands.whitelist=srvr,mntr,ruok,cons\n");
}

absl::StatusOr<std::unique_ptr<ZooKeeperServer>> ZooKeeperServer::Start(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  int port = ProbePort();
  std::ofstream(dir + "/zoo.cfg") << CommonConfig(dir + "/data", port);
  auto server = std::unique_ptr<ZooKeeperServer>(new ZooKeeperServer(dir, port, false));
  if (auto status = server->Launch(); !status.ok()) return status;
  return server;
}

absl::Status ZooKeeperServer::Launch() {
  if (auto status = Spawn(); !status.ok()) return status;
  return WaitServing();
}

absl::Status ZooKeeperServer::Spawn() {
  auto process =
      Subprocess::Spawn({"/usr/bin/java", "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC",
                         "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                         // Timestamps in the server's log, to place a stall against the test's.
                         "-Dorg.slf4j.simpleLogger.showDateTime=true",
                         "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS", "-cp",
                         "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                         "org.apache.zookeeper.server.quorum.QuorumPeerMain", dir_ + "/zoo.cfg"},
                        absl::StrCat(dir_, "/zookeeper.", starts_++, ".log"));
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  return absl::OkStatus();
}

absl::Status ZooKeeperServer::WaitServing() {
  auto serving = [this] {
    std::string answer = FourLetterWord(port_, "srvr");
    if (!quorum_) return answer.find("Mode: standalone") != std::string::npos;
    return answer.find("Mode: leader") != std::string::npos ||
           answer.find("Mode: follower") != std::string::npos;
  };
  bool up = WaitFor([&] { return !process_->Running() || serving(); }, absl::Seconds(60),
                    absl::Milliseconds(50));
  if (!up || !process_->Running()) {
    return absl::UnavailableError(
        absl::StrCat("ZooKeeper on port ", port_, " did not start:\n", process_->Log()));
  }
  return absl::OkStatus();
}

ZooKeeperServer::~ZooKeeperServer() { Kill(); }

std::string ZooKeeperServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

void ZooKeeperServer::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  (void)process_->Wait(absl::Seconds(10));
}

absl::Status ZooKeeperServer::Restart() {
  Kill();
  return Launch();
}

absl::StatusOr<std::unique_ptr<ZooKeeperEnsemble>> ZooKeeperEnsemble::Start(const std::string& dir,
                                                                            int size) {
  auto ensemble = std::unique_ptr<ZooKeeperEnsemble>(new ZooKeeperEnsemble());
  if (size == 1) {
    auto server = ZooKeeperServer::Start(dir + "/1");
    if (!server.ok()) return server.status();
    ensemble->members_.push_back(std::move(*server));
    return ensemble;
  }
  std::string servers;
  std::vector<int> client_ports;
  for (int id = 1; id <= size; ++id) {
    client_ports.push_back(ProbePort());
    absl::StrAppend(&servers, "server.", id, "=127.0.0.1:", ProbePort(), ":", ProbePort(), "\n");
  }
  for (int id = 1; id <= size; ++id) {
    const std::string member_dir = absl::StrCat(dir, "/", id);
    std::filesystem::create_directories(member_dir + "/data");
    std::ofstream(member_dir + "/data/myid") << id << "\n";
    std::ofstream(member_dir + "/zoo.cfg")
        << CommonConfig(member_dir + "/data", client_ports[id - 1]) << servers;
    ensemble->members_.push_back(std::unique_ptr<ZooKeeperServer>(
        new ZooKeeperServer(member_dir, client_ports[id - 1], true)));
  }
  // All at once: a member serves only once a quorum has formed.
  for (auto& member : ensemble->members_) {
    if (auto status = member->Spawn(); !status.ok()) return status;
  }
  for (auto& member : ensemble->members_) {
    if (auto status = member->WaitServing(); !status.ok()) return status;
  }
  return ensemble;
}

ZooKeeperEnsemble::~ZooKeeperEnsemble() = default;

std::string ZooKeeperEnsemble::address() const {
  std::string address;
  for (const auto& member : members_) {
    absl::StrAppend(&address, address.empty() ? "" : ",", member->address());
  }
  return address;
}

int ZooKeeperEnsemble::ClientConnections(int i) const {
  std::string answer = FourLetterWord(members_[i]->port(), "cons");
  if (answer.empty()) return -1;
  int lines = 0;
  for (size_t at = answer.find(" /"); at != std::string::npos; at = answer.find(" /", at + 2)) {
    ++lines;
  }
  return std::max(0, lines - 1);  // Without the `cons` connection itself.
}

void ZooKeeperTest::SetUp() {
  auto server = ZooKeeperServer::Start(dir_.path() + "/zk");
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
}

}  // namespace agora::testing
