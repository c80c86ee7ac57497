// ZooKeeperServer: a real standalone ZooKeeper (Debian's `zookeeper`
// package, run with the JRE) on a probed loopback port, with its own data
// dir, for system tests. Session timeouts are allowed down to 200 ms
// (tickTime 100) so tests can expire sessions quickly.
//
// ZooKeeperEnsemble: N such servers forming one quorum (server.N lines with
// probed peer and election ports, myid files), for failover tests.
#ifndef AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_
#define AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora::testing {

class ZooKeeperServer {
 public:
  // Starts a server with its data and log under `dir` and waits until it
  // answers `srvr` as standalone. UNAVAILABLE (with the log) if it does not.
  static absl::StatusOr<std::unique_ptr<ZooKeeperServer>> Start(const std::string& dir);
  ~ZooKeeperServer();

  // "127.0.0.1:port".
  std::string address() const;
  int port() const { return port_; }
  // kill -9 (sessions stay alive until their timeout passes unseen).
  void Kill();
  // Starts it again on the same port and data dir and waits until it serves.
  absl::Status Restart();
  std::string Log() const { return process_ ? process_->Log() : ""; }

 private:
  friend class ZooKeeperEnsemble;
  ZooKeeperServer(std::string dir, int port, bool quorum)
      : dir_(std::move(dir)), port_(port), quorum_(quorum) {}
  absl::Status Launch();
  absl::Status Spawn();
  // Waits until the server serves clients (standalone, leader or follower).
  absl::Status WaitServing();

  std::string dir_;
  int port_;
  bool quorum_;
  int starts_ = 0;
  std::unique_ptr<Subprocess> process_;
};

class ZooKeeperEnsemble {
 public:
  // Starts `size` servers (1: a standalone server) with their data under
  // `dir`/<myid>, all on loopback, and waits until every one serves.
  static absl::StatusOr<std::unique_ptr<ZooKeeperEnsemble>> Start(const std::string& dir, int size);
  ~ZooKeeperEnsemble();

  // "127.0.0.1:p1,127.0.0.1:p2,...".
  std::string address() const;
  int size() const { return static_cast<int>(members_.size()); }
  // Member `i` (0-based).
  int client_port(int i) const { return members_[i]->port(); }
  void Kill(int i) { members_[i]->Kill(); }
  // Starts member `i` again and waits until it serves (rejoined the quorum).
  absl::Status Restart(int i) { return members_[i]->Restart(); }
  // The client connections member `i` reports (its `cons`, without the
  // asking connection itself); -1 if it does not answer.
  int ClientConnections(int i) const;
  std::string Log(int i) const { return members_[i]->Log(); }

 private:
  ZooKeeperEnsemble() = default;
  std::vector<std::unique_ptr<ZooKeeperServer>> members_;
};

// The first line of the server's answer to a four-letter word ("srvr",
// "ruok"), or "" if nothing answers.
std::string FourLetterWord(int port, const std::string& word);

// Fixture of tests that need one standalone ZooKeeper server: `server_`
// runs in `dir_` for the test's life.
class ZooKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override;
  TempDir dir_;
  std::unique_ptr<ZooKeeperServer> server_;
};

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_
