#include "master/leader_contender.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/master_info_json.hpp"
#include "common/zk_layout.hpp"
#include "glog/logging.h"

namespace agora::master {
namespace {

// Lease pings per session timeout.
constexpr int kPingsPerTimeout = 4;

}  // namespace

LeaderContender::LeaderContender(EventLoop* loop, Options options, Callbacks callbacks)
    : loop_(loop), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

LeaderContender::~LeaderContender() { Stop(); }

void LeaderContender::Start(v1::MasterInfo self) {
  self_ = std::move(self);
  self_json_ = MasterInfoToJson(self_);
  stopped_ = false;
  NewSession();
}

void LeaderContender::Stop() {
  if (stopped_) return;
  stopped_ = true;
  loop_->Cancel(restart_timer_);
  if (leading_) Depose(absl::UnavailableError("master stopping"));
  loop_->Cancel(ping_timer_);
  loop_->Cancel(loss_timer_);
  zk_.reset();
  ++session_;
}

void LeaderContender::Abdicate(const absl::Status& why, absl::Duration delay) {
  LOG(WARNING) << "Giving up the election: " << why;
  Restart(why, delay);
}

absl::Duration LeaderContender::Timeout() const {
  absl::Duration negotiated = zk_ ? zk_->negotiated_timeout() : absl::ZeroDuration();
  return negotiated > absl::ZeroDuration() ? negotiated : options_.session_timeout;
}

absl::Status LeaderContender::CheckServing() const {
  if (!leading_) return absl::UnavailableError("not the leader");
  if (!connected_) {
    return absl::UnavailableError(
        "the leader lost its ZooKeeper connection; it serves again when the connection returns "
        "within the session timeout");
  }
  if (loop_->Now() >= lease_until_) {
    return absl::UnavailableError(
        "the leader cannot confirm its ZooKeeper session is alive; not serving until it can");
  }
  return absl::OkStatus();
}

std::optional<v1::MasterInfo> LeaderContender::leader() const {
  auto it = members_.find(leader_member_);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

std::vector<v1::MasterInfo> LeaderContender::members() const {
  std::vector<v1::MasterInfo> result;
  for (const auto& [name, info] : members_) {
    if (name == leader_member_)
      result.insert(result.begin(), info);
    else
      result.push_back(info);
  }
  return result;
}

void LeaderContender::NewSession() {
  const uint64_t session = ++session_;
  connected_ = false;
  creating_ = false;
  member_path_.clear();
  members_.clear();
  leader_member_.clear();
  ++sessions_started_;
  auto zk = ZkClient::Connect(
      loop_, options_.servers, options_.session_timeout,
      [this, session](ZkClient::Session state) { OnSession(session, state); },
      options_.credentials);
  if (!zk.ok()) {
    LOG(ERROR) << "Cannot start a ZooKeeper session with " << options_.servers << ": "
               << zk.status() << "; retrying in 1s";
    restart_timer_ = loop_->RunAfter(absl::Seconds(1), [this] { NewSession(); });
    return;
  }
  zk_ = std::move(*zk);
}

void LeaderContender::OnSession(uint64_t session, ZkClient::Session state) {
  if (session != session_ || stopped_) return;
  switch (state) {
    case ZkClient::Session::kConnected:
      connected_ = true;
      loop_->Cancel(loss_timer_);
      loss_timer_ = 0;
      if (!leading_ && callbacks_.standby) callbacks_.standby(zk_.get());
      if (member_path_.empty()) {
        CreateMember(session);
      } else {
        Refresh(session);
        if (leading_) {
          Ping(session);
          if (callbacks_.reconnected) callbacks_.reconnected();
        }
      }
      return;
    case ZkClient::Session::kConnecting:
      connected_ = false;
      if (leading_ && loss_timer_ == 0) {
        const absl::Duration timeout = Timeout();
        LOG(WARNING) << "Lost the ZooKeeper connection while leading; not serving until it "
                        "returns; stepping down if it does not within "
                     << absl::FormatDuration(timeout);
        loss_timer_ = loop_->RunAfter(timeout, [this, session] {
          loss_timer_ = 0;
          if (session != session_) return;
          Restart(absl::UnavailableError(
                      "ZooKeeper connection lost for longer than the session timeout"),
                  absl::ZeroDuration());
        });
      }
      return;
    case ZkClient::Session::kExpired:
      Restart(absl::UnavailableError("ZooKeeper session expired (or authentication failed)"),
              absl::ZeroDuration());
      return;
  }
}

void LeaderContender::CreateMember(uint64_t session) {
  if (creating_) return;
  creating_ = true;
  const std::string dir = zk_layout::ElectionPath(options_.root);
  zk_->CreatePath(dir, [this, session, dir](absl::Status status) {
    if (session != session_) return;
    if (!status.ok()) {
      creating_ = false;
      LOG(WARNING) << "Cannot create " << dir << ": " << status << "; retrying";
      restart_timer_ = loop_->RunAfter(absl::Milliseconds(500), [this, session] {
        if (session == session_ && connected_) CreateMember(session);
      });
      return;
    }
    zk_->Create(absl::StrCat(dir, "/", zk_layout::kMemberPrefix), self_json_, /*ephemeral=*/true,
                /*sequential=*/true, [this, session](absl::StatusOr<std::string> path) {
                  if (session != session_) return;
                  creating_ = false;
                  if (!path.ok()) {
                    // A create lost with the connection may still have
                    // happened; a new session makes sure no orphan leads.
                    Restart(path.status(), absl::Milliseconds(500));
                    return;
                  }
                  member_path_ = *path;
                  LOG(INFO) << "Contending for leadership as " << member_path_;
                  Refresh(session);
                });
  });
}

void LeaderContender::Refresh(uint64_t session) {
  if (session != session_ || !zk_) return;
  zk_->GetChildren(
      zk_layout::ElectionPath(options_.root), [this, session] { Refresh(session); },
      [this, session](absl::StatusOr<std::vector<std::string>> names) {
        if (session != session_) return;
        if (!names.ok()) {
          // Connection loss: the session callback refreshes on reconnect.
          LOG(WARNING) << "Cannot list the election: " << names.status();
          return;
        }
        OnMembers(session, std::move(*names));
      });
}

void LeaderContender::OnMembers(uint64_t session, std::vector<std::string> names) {
  names = zk_layout::ElectionMembers(names);
  const std::string own = member_path_.substr(member_path_.rfind('/') + 1);
  if (!member_path_.empty() && std::find(names.begin(), names.end(), own) == names.end()) {
    Restart(absl::UnavailableError(absl::StrCat("election znode ", member_path_, " vanished")),
            absl::ZeroDuration());
    return;
  }
  std::map<std::string, v1::MasterInfo> kept;
  for (const std::string& name : names) {
    if (auto it = members_.find(name); it != members_.end()) kept.insert(*it);
  }
  members_ = std::move(kept);
  members_[own] = self_;
  leader_member_ = names.empty() ? "" : names.front();
  if (leader_member_ == own) {
    if (!leading_) BecomeLeader();
  } else if (leading_) {
    // Only a vanished own znode can put another first; handled above.
    Restart(absl::InternalError("another master leads"), absl::ZeroDuration());
    return;
  }
  const std::string dir = zk_layout::ElectionPath(options_.root);
  for (const std::string& name : names) {
    if (members_.count(name) > 0) continue;
    zk_->Get(absl::StrCat(dir, "/", name), nullptr,
             [this, session, name](absl::StatusOr<std::string> data) {
               if (session != session_ || !data.ok()) return;
               auto info = MasterInfoFromJson(*data);
               if (!info.ok()) {
                 LOG(WARNING) << "Election member " << name
                              << " holds no valid MasterInfo: " << info.status();
                 return;
               }
               members_[name] = std::move(*info);
             });
  }
}

void LeaderContender::BecomeLeader() {
  leading_ = true;
  ++elections_won_;
  // Not serving until the first ping answers; the lapse is counted from now.
  lease_until_ = loop_->Now();
  LOG(INFO) << "Elected leader (" << member_path_ << ")";
  Ping(session_);
  if (callbacks_.elected) callbacks_.elected(zk_.get(), member_path_);
}

void LeaderContender::Ping(uint64_t session) {
  if (session != session_ || !leading_) return;
  loop_->Cancel(ping_timer_);
  const absl::Duration timeout = Timeout();
  const absl::Time sent = loop_->Now();
  if (sent >= lease_until_ + timeout / 2) {
    // No answer confirmed the session for 1.5 timeouts: ZooKeeper may have
    // expired it and elected someone else.
    Restart(absl::UnavailableError("ZooKeeper lease lapsed (no answer within 1.5x the session "
                                   "timeout)"),
            absl::ZeroDuration());
    return;
  }
  zk_->Get(member_path_, nullptr, [this, session, sent, timeout](absl::StatusOr<std::string> data) {
    if (session != session_ || !leading_) return;
    if (data.ok()) {
      lease_until_ = std::max(lease_until_, sent + timeout);
      if (callbacks_.lease_confirmed) callbacks_.lease_confirmed();
    } else if (absl::IsNotFound(data.status())) {
      Restart(absl::UnavailableError(absl::StrCat("election znode ", member_path_, " vanished")),
              absl::ZeroDuration());
    }
  });
  ping_timer_ = loop_->RunAfter(timeout / kPingsPerTimeout, [this, session] { Ping(session); });
}

void LeaderContender::Depose(const absl::Status& why) {
  if (!leading_) return;
  leading_ = false;
  loop_->Cancel(ping_timer_);
  LOG(WARNING) << "No longer the leader: " << why.message();
  if (callbacks_.deposed) callbacks_.deposed(why);
}

void LeaderContender::Restart(const absl::Status& why, absl::Duration delay) {
  Depose(why);
  loop_->Cancel(loss_timer_);
  loss_timer_ = 0;
  loop_->Cancel(restart_timer_);
  zk_.reset();  // Closes the session: our znode goes now if ZooKeeper is reachable.
  ++session_;
  connected_ = false;
  if (stopped_) return;
  if (delay <= absl::ZeroDuration()) {
    NewSession();
  } else {
    restart_timer_ = loop_->RunAfter(delay, [this] { NewSession(); });
  }
}

}  // namespace agora::master
