// ZkMasterDetector: the MasterDetector for "zk://servers/root". It keeps its
// own ZooKeeper session (ZkClient) on its own thread (an AsioEventLoop) and
// follows the election under <root>/election (zk_layout.hpp): the leader is
// the member_<seq> child with the lowest sequence whose data parses as a
// v1::MasterInfo with a valid address (MasterInfoFromJson).
//
// Children that are not member_<digits> are ignored; a member whose data
// does not parse is skipped with a WARNING and the next member is used: a
// master that cannot be reached from its znode is no use to a client, and
// the next one either leads after a re-election or redirects to the leader.
//
// Session handling: on a connection loss (kConnecting) the last known leader
// is kept, since the session and its ephemeral nodes may still live; on
// reconnection the election is listed again. On kExpired the leader is
// cleared (the change is reported) and a new session is started.
//
// Thread-safety: CurrentLeader(), CurrentLeaderInfo(), SetOnChange() and
// Describe() may be called from any thread; everything else (the ZkClient,
// the listing state) lives on the detector's loop. The on-change callback
// runs on that loop, never under the detector's lock. The destructor closes
// the session and joins the loop without waiting for ZooKeeper.
#ifndef AGORA_COMMON_ZK_MASTER_DETECTOR_HPP_
#define AGORA_COMMON_ZK_MASTER_DETECTOR_HPP_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/asio_event_loop.hpp"
#include "common/master_detector.hpp"
#include "common/zk_client.hpp"

namespace agora {

class ZkMasterDetector : public MasterDetector {
 public:
  struct Options {
    // Requested ZooKeeper session timeout (the server may clamp it).
    absl::Duration session_timeout = absl::Seconds(10);
    // Pause before listing again while <root>/election does not exist yet,
    // and before retrying a session that could not be created.
    absl::Duration retry_interval = absl::Milliseconds(500);
  };

  // `url` is "zk://h1:p1,h2:p2/root"; INVALID_ARGUMENT naming `master` if
  // it is not. Starts the session in the background and returns at once.
  static absl::StatusOr<std::unique_ptr<ZkMasterDetector>> Create(const std::string& url,
                                                                  Options options);
  ~ZkMasterDetector() override;

  ZkMasterDetector(const ZkMasterDetector&) = delete;
  ZkMasterDetector& operator=(const ZkMasterDetector&) = delete;

  absl::StatusOr<std::string> CurrentLeader() override;
  std::optional<v1::MasterInfo> CurrentLeaderInfo() override;
  void SetOnChange(std::function<void()> fn) override;
  std::string Describe() const override;

 private:
  ZkMasterDetector(std::string url, std::string servers, std::string root, Options options);

  // Loop thread only.
  void StartSession();
  void OnSession(uint64_t session, ZkClient::Session state);
  void List();
  void OnChildren(uint64_t session, bool watched,
                  absl::StatusOr<std::vector<std::string>> children);
  void ReadMember(uint64_t session, std::shared_ptr<std::vector<std::string>> members,
                  size_t index);
  void FinishListing(uint64_t session);
  // A pass failed: list again at once if asked meanwhile, else after
  // retry_interval.
  void RetryListing(uint64_t session);
  // Records the outcome of a listing: a leader, or none with `why`.
  void SetLeader(std::optional<v1::MasterInfo> leader, std::string why);

  const std::string url_;
  const std::string servers_;
  const std::string election_path_;
  const Options options_;
  AsioEventLoop loop_;

  // Loop-owned.
  std::unique_ptr<ZkClient> zk_;
  uint64_t connect_failures_ = 0;  // In a row, for rate-limited logging.
  uint64_t session_ = 0;           // Bumped per ZkClient; stale results are dropped.
  bool connected_once_ = false;    // This session has been connected.
  bool children_watched_ = false;  // A children watch is armed in this session.
  bool listing_ = false;           // A GetChildren + Gets pass is in flight.
  bool relist_ = false;            // Something changed during that pass.
  bool election_missing_ = false;  // The last listing found no election node.
  std::string data_watched_;       // The member whose data watch is armed.

  // Guarded by mu_: what the public accessors read.
  mutable std::mutex mu_;
  std::optional<v1::MasterInfo> leader_;
  std::string why_none_;
  std::function<void()> on_change_;
};

}  // namespace agora

#endif  // AGORA_COMMON_ZK_MASTER_DETECTOR_HPP_
