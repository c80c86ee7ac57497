// ZooKeeperServer: a real standalone ZooKeeper (Debian's `zookeeper`
// package, run with the JRE) on a probed loopback port, with its own data
// dir, for system tests. Session timeouts are allowed down to 200 ms
// (tickTime 100) so tests can expire sessions quickly.
#ifndef AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_
#define AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
  ZooKeeperServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  absl::Status Launch();

  std::string dir_;
  int port_;
  int starts_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// The first line of the server's answer to a four-letter word ("srvr",
// "ruok"), or "" if nothing answers.
std::string FourLetterWord(int port, const std::string& word);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SUPPORT_ZOOKEEPER_SERVER_HPP_
