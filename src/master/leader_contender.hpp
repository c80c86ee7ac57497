// LeaderContender: one master's candidacy in the ZooKeeper election.
//
// It keeps an ephemeral sequential znode `<root>/election/member_<seq>`
// holding this master's MasterInfo (JSON) and watches its siblings: the
// lowest sequence leads (see common/zk_layout.hpp). It tells its owner when
// this master is elected and when it stops leading, and it knows the current
// leader (for redirects) and every contender (for `agora cluster`).
//
// Leading is more than "my znode is the lowest": a leader serves only while
// it can prove its session is alive. Every answered ZooKeeper request sent at
// time t proves the server cannot expire the session before t + the session
// timeout (it heard from us at t), so the contender pings its own znode a few
// times per timeout and serves only until that lease runs out. A leader that
// was frozen, partitioned or starved therefore stops accepting work before
// ZooKeeper can elect anyone else; no two masters serve at once.
//
// It stops leading (calls `deposed`) when the session expires, when the
// connection has been lost for a whole session timeout, when the lease has
// lapsed for half a timeout more, when its znode vanishes, or on Abdicate().
// It then closes that session and contends again with a new one, in-process.
//
// Loop thread only (construction included).
#ifndef AGORA_MASTER_LEADER_CONTENDER_HPP_
#define AGORA_MASTER_LEADER_CONTENDER_HPP_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agora/v1/master.pb.h"
#include "common/event_loop.hpp"
#include "common/zk_client.hpp"

namespace agora::master {

class LeaderContender {
 public:
  struct Options {
    std::string servers;  // "host:port,host:port"
    std::string root;     // "/agora"
    absl::Duration session_timeout = absl::Seconds(10);
    std::string credentials;  // "user:password" for digest auth; empty = none.
  };
  struct Callbacks {
    // This master now leads. `zk` is its session (valid until `deposed`
    // returns) and `member_path` its election znode: the registry's fence.
    std::function<void(ZkClient* zk, const std::string& member_path)> elected;
    // It no longer leads. Everything built on the session must be dropped
    // before this returns.
    std::function<void(const absl::Status& why)> deposed;
    // The session's connection came back (the zk registry retries writes).
    std::function<void()> reconnected;
    // The session connected (first time or again) while this master does
    // not lead: `zk` is valid until the session ends (session() changes).
    // Runs before the contender's own calls on the connection.
    std::function<void(ZkClient* zk)> standby;
    // A lease ping answered while leading (the first one after the election
    // makes CheckServing() OK).
    std::function<void()> lease_confirmed;
  };

  LeaderContender(EventLoop* loop, Options options, Callbacks callbacks);
  ~LeaderContender();

  // Contends with `self` (its gRPC address known) as the znode's data.
  void Start(v1::MasterInfo self);
  // Closes the session: the znode goes at once, so another master takes
  // over without waiting for a timeout. Calls `deposed` if leading.
  void Stop();
  // Stops leading (e.g. a registry write failed) and contends again with a
  // new session after `delay`.
  void Abdicate(const absl::Status& why, absl::Duration delay);

  bool leading() const { return leading_; }
  // OK while leading with a live lease; UNAVAILABLE saying why not.
  absl::Status CheckServing() const;
  // The leader last seen in ZooKeeper (this master included).
  std::optional<v1::MasterInfo> leader() const;
  // Every contender last seen, lowest sequence (the leader) first.
  std::vector<v1::MasterInfo> members() const;
  // Counters for /metrics.
  uint64_t elections_won() const { return elections_won_; }
  uint64_t sessions_started() const { return sessions_started_; }
  // Changes whenever the session is replaced (or closed).
  uint64_t session() const { return session_; }

 private:
  void NewSession();
  void OnSession(uint64_t session, ZkClient::Session state);
  void CreateMember(uint64_t session);
  void Refresh(uint64_t session);
  void OnMembers(uint64_t session, std::vector<std::string> names);
  void BecomeLeader();
  void Ping(uint64_t session);
  void Depose(const absl::Status& why);
  void Restart(const absl::Status& why, absl::Duration delay);
  absl::Duration Timeout() const;

  EventLoop* loop_;
  Options options_;
  v1::MasterInfo self_;
  std::string self_json_;
  Callbacks callbacks_;

  std::unique_ptr<ZkClient> zk_;
  uint64_t session_ = 0;  // Generation: callbacks of older sessions are ignored.
  bool connected_ = false;
  bool creating_ = false;
  std::string member_path_;  // Empty until created in this session.
  bool leading_ = false;
  bool stopped_ = false;
  absl::Time lease_until_ = absl::InfinitePast();
  TimerId ping_timer_ = 0;
  TimerId loss_timer_ = 0;
  TimerId restart_timer_ = 0;

  // Member znode name -> its MasterInfo (as far as read), and the leader's.
  std::map<std::string, v1::MasterInfo> members_;
  std::string leader_member_;
  uint64_t elections_won_ = 0;
  uint64_t sessions_started_ = 0;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_LEADER_CONTENDER_HPP_
