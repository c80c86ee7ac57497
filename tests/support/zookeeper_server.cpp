#include "tests/support/zookeeper_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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

absl::StatusOr<std::unique_ptr<ZooKeeperServer>> ZooKeeperServer::Start(const std::string& dir) {
  std::filesystem::create_directories(dir + "/data");
  int port = ProbePort();
  std::ofstream(dir + "/zoo.cfg") << "tickTime=100\n"
                                  << "minSessionTimeout=200\n"
                                  << "maxSessionTimeout=20000\n"
                                  << "initLimit=10\nsyncLimit=5\n"
                                  << "dataDir=" << dir << "/data\n"
                                  << "clientPort=" << port << "\n"
                                  << "clientPortAddress=127.0.0.1\n"
                                  << "admin.enableServer=false\n"
                                  << "4lw.commands.whitelist=srvr,mntr,ruok\n";
  auto server = std::unique_ptr<ZooKeeperServer>(new ZooKeeperServer(dir, port));
  if (auto status = server->Launch(); !status.ok()) return status;
  return server;
}

absl::Status ZooKeeperServer::Launch() {
  auto process = Subprocess::Spawn(
      {"/usr/bin/java", "-Xms32m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
       "-XX:-UsePerfData", "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
       "org.apache.zookeeper.server.quorum.QuorumPeerMain", dir_ + "/zoo.cfg"},
      absl::StrCat(dir_, "/zookeeper.", starts_++, ".log"));
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  bool up = WaitFor(
      [this] {
        return !process_->Running() ||
               FourLetterWord(port_, "srvr").find("Mode: standalone") != std::string::npos;
      },
      absl::Seconds(60), absl::Milliseconds(50));
  if (!up || !process_->Running()) {
    return absl::UnavailableError("ZooKeeper did not start:\n" + process_->Log());
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

}  // namespace agora::testing
