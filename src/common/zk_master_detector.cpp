#include "common/zk_master_detector.hpp"

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/master_info_json.hpp"
#include "common/zk_layout.hpp"
#include "glog/logging.h"

namespace agora {
namespace {

// Election members, lowest (the leader) first; other children are logged.
std::vector<std::string> SortedMembers(const std::vector<std::string>& children) {
  std::vector<std::string> members = zk_layout::ElectionMembers(children);
  if (members.size() != children.size()) {
    VLOG(1) << "Ignoring " << children.size() - members.size()
            << " election children that are not member_<sequence> nodes";
  }
  return members;
}

bool SameLeader(const std::optional<v1::MasterInfo>& a, const std::optional<v1::MasterInfo>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || (a->address() == b->address() && a->id() == b->id());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ZkMasterDetector>> ZkMasterDetector::Create(const std::string& url,
                                                                           Options options) {
  auto parsed = ParseZkUrl("master", url);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<ZkMasterDetector> detector(
      new ZkMasterDetector(url, parsed->first, parsed->second, options));
  detector->loop_.Start();
  detector->loop_.Post([raw = detector.get()] { raw->StartSession(); });
  return detector;
}

ZkMasterDetector::ZkMasterDetector(std::string url, std::string servers, std::string root,
                                   Options options)
    : url_(std::move(url)),
      servers_(std::move(servers)),
      election_path_(zk_layout::ElectionPath(root)),
      options_(options),
      loop_("zk-detector"),
      why_none_(absl::StrCat("no leading master known yet in ", url_)) {}

ZkMasterDetector::~ZkMasterDetector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    on_change_ = nullptr;
  }
  // The ZkClient belongs to the loop: close it there. Closing does not wait
  // for an unreachable server.
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> done = closed->get_future();
  loop_.Post([this, closed] {
    ++session_;
    zk_.reset();
    closed->set_value();
  });
  done.wait_for(std::chrono::seconds(5));
  loop_.Stop();
}

absl::StatusOr<std::string> ZkMasterDetector::CurrentLeader() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leader_.has_value()) return absl::UnavailableError(why_none_);
  return leader_->address();
}

std::optional<v1::MasterInfo> ZkMasterDetector::CurrentLeaderInfo() {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

void ZkMasterDetector::SetOnChange(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_change_ = std::move(fn);
}

std::string ZkMasterDetector::Describe() const { return absl::StrCat("leading master in ", url_); }

void ZkMasterDetector::StartSession() {
  DCHECK(loop_.IsInLoopThread());
  zk_.reset();
  uint64_t session = ++session_;
  connected_once_ = false;
  children_watched_ = false;
  listing_ = false;
  relist_ = false;
  data_watched_.clear();
  auto client =
      ZkClient::Connect(&loop_, servers_, options_.session_timeout,
                        [this, session](ZkClient::Session state) { OnSession(session, state); });
  if (!client.ok()) {
    // E.g. a server name that does not resolve (yet): retry, logging now
    // and then rather than twice a second.
    if (connect_failures_++ % 20 == 0)
      LOG(WARNING) << "Master detector: " << client.status() << "; retrying every "
                   << options_.retry_interval;
    SetLeader(std::nullopt,
              absl::StrCat("no leading master known in ", url_, ": ", client.status().message()));
    loop_.RunAfter(options_.retry_interval, [this, session] {
      if (session == session_) StartSession();
    });
    return;
  }
  connect_failures_ = 0;
  zk_ = std::move(*client);
}

void ZkMasterDetector::OnSession(uint64_t session, ZkClient::Session state) {
  if (session != session_) return;
  switch (state) {
    case ZkClient::Session::kConnected:
      if (!connected_once_) LOG(INFO) << "Master detector: connected to ZooKeeper at " << url_;
      if (connected_once_) LOG(INFO) << "Master detector: reconnected to ZooKeeper at " << url_;
      connected_once_ = true;
      List();
      break;
    case ZkClient::Session::kConnecting:
      // The session (and the leader's ephemeral znode) may well outlive the
      // connection: keep the leader until the session really expires.
      if (connected_once_)
        LOG(WARNING) << "Master detector: lost the connection to ZooKeeper at " << url_
                     << "; keeping the last known leader until the session expires";
      break;
    case ZkClient::Session::kExpired:
      LOG(WARNING) << "Master detector: ZooKeeper session expired at " << url_
                   << "; starting a new one";
      SetLeader(std::nullopt,
                absl::StrCat("the ZooKeeper session expired; no leading master known in ", url_));
      loop_.Post([this, session] {
        if (session == session_) StartSession();
      });
      break;
  }
}

void ZkMasterDetector::List() {
  DCHECK(loop_.IsInLoopThread());
  if (zk_ == nullptr) return;
  if (listing_) {
    relist_ = true;
    return;
  }
  listing_ = true;
  relist_ = false;
  uint64_t session = session_;
  // Only one children watch at a time (a fired one is gone). A missing
  // election node takes no watch: it is polled until it exists.
  bool watch = !children_watched_ && !election_missing_;
  ZkClient::WatchFn on_watch;
  if (watch) {
    on_watch = [this, session] {
      if (session != session_) return;
      children_watched_ = false;
      List();
    };
  }
  zk_->GetChildren(election_path_, std::move(on_watch),
                   [this, session, watch](absl::StatusOr<std::vector<std::string>> children) {
                     OnChildren(session, watch, std::move(children));
                   });
}

void ZkMasterDetector::OnChildren(uint64_t session, bool watched,
                                  absl::StatusOr<std::vector<std::string>> children) {
  if (session != session_) return;
  if (!children.ok()) {
    if (absl::IsNotFound(children.status())) {
      election_missing_ = true;
      SetLeader(std::nullopt, absl::StrCat("no master has joined the election in ", url_, " (",
                                           election_path_, " does not exist)"));
    } else {
      LOG(WARNING) << "Master detector: " << children.status() << "; listing again in "
                   << options_.retry_interval;
    }
    RetryListing(session);
    return;
  }
  if (watched) children_watched_ = true;
  if (election_missing_) {
    // It exists now: list once more, this time with a watch.
    election_missing_ = false;
    relist_ = true;
  }
  auto members = std::make_shared<std::vector<std::string>>(SortedMembers(*children));
  ReadMember(session, std::move(members), 0);
}

void ZkMasterDetector::ReadMember(uint64_t session,
                                  std::shared_ptr<std::vector<std::string>> members, size_t index) {
  if (index == members->size()) {
    SetLeader(std::nullopt,
              members->empty()
                  ? absl::StrCat("no master is in the election in ", url_)
                  : absl::StrCat("no election member in ", url_, " has a valid MasterInfo"));
    FinishListing(session);
    return;
  }
  std::string path = absl::StrCat(election_path_, "/", (*members)[index]);
  // One data watch on the member in use, so a rewrite of its MasterInfo
  // (e.g. its elected_time) is seen; its deletion also fires the children
  // watch.
  ZkClient::WatchFn on_watch;
  if (data_watched_ != path) {
    data_watched_ = path;
    on_watch = [this, session, path] {
      if (session != session_) return;
      if (data_watched_ == path) data_watched_.clear();
      List();
    };
  }
  zk_->Get(path, std::move(on_watch),
           [this, session, members, index, path](absl::StatusOr<std::string> data) {
             if (session != session_) return;
             if (absl::IsNotFound(data.status())) {
               // Gone between the listing and the read: list again.
               if (data_watched_ == path) data_watched_.clear();
               relist_ = true;
               FinishListing(session);
               return;
             }
             if (!data.ok()) {
               if (data_watched_ == path) data_watched_.clear();
               LOG(WARNING) << "Master detector: " << data.status() << "; listing again in "
                            << options_.retry_interval;
               RetryListing(session);
               return;
             }
             absl::StatusOr<v1::MasterInfo> info = MasterInfoFromJson(*data);
             if (!info.ok()) {
               LOG(WARNING) << "Master detector: skipping election member " << path << ": "
                            << info.status().message();
               ReadMember(session, members, index + 1);
               return;
             }
             SetLeader(std::move(*info), "");
             FinishListing(session);
           });
}

void ZkMasterDetector::RetryListing(uint64_t session) {
  listing_ = false;
  if (relist_) {
    List();  // E.g. reconnected meanwhile: at once.
    return;
  }
  loop_.RunAfter(options_.retry_interval, [this, session] {
    if (session == session_) List();
  });
}

void ZkMasterDetector::FinishListing(uint64_t session) {
  if (session != session_) return;
  listing_ = false;
  if (relist_) List();
}

void ZkMasterDetector::SetLeader(std::optional<v1::MasterInfo> leader, std::string why) {
  std::function<void()> on_change;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = !SameLeader(leader_, leader) || (!leader_.has_value() && why_none_ != why);
    bool leader_changed = !SameLeader(leader_, leader);
    leader_ = std::move(leader);
    if (!leader_.has_value()) why_none_ = std::move(why);
    if (leader_changed) on_change = on_change_;
    if (changed && leader_.has_value()) {
      LOG(INFO) << "Leading master: id=" << leader_->id() << " address=" << leader_->address()
                << " (from " << url_ << ")";
    } else if (changed) {
      LOG(WARNING) << "No leading master: " << why_none_;
    }
  }
  if (on_change) on_change();
}

}  // namespace agora
