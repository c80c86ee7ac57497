#include "master/zk_registry_mirror.hpp"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/zk_layout.hpp"
#include "glog/logging.h"

namespace agora::master {
namespace {

namespace layout = zk_registry_layout;

constexpr absl::string_view kDirs[] = {layout::kAgents, layout::kFrameworks, layout::kQuotas,
                                       layout::kWeights};
constexpr absl::string_view kSingletons[] = {layout::kEpoch, layout::kRemovedFrameworks};

}  // namespace

struct ZkRegistryMirror::State : std::enable_shared_from_this<State> {
  ZkClient* zk;
  std::string dir;  // RegistryPath(root).
  // Record bytes by directory name, then znode name; singletons by name.
  std::map<absl::string_view, std::map<std::string, std::string>> records;
  std::map<absl::string_view, std::string> singletons;
  // Znodes (full paths) with a read, and directories with a listing, in
  // flight.
  std::set<std::string> reading;
  std::set<absl::string_view> listing;
  std::optional<absl::Status> failed;
  std::vector<ZkRegistry::LoadDone> waiting;
  uint64_t reads = 0;

  size_t pending() const { return reading.size() + listing.size(); }

  void Fail(absl::Status status) {
    if (!failed) {
      // A fresh cluster has no registry yet: not worth a warning.
      LOG_IF(WARNING, !absl::IsNotFound(status))
          << "The standby's registry mirror failed (a full load follows if elected): " << status;
      failed = std::move(status);
    }
    Settle();
  }

  // `kind` is a directory name (a record) or a singleton's name (empty
  // `name`).
  void Read(absl::string_view kind, const std::string& name) {
    const std::string path =
        name.empty() ? absl::StrCat(dir, "/", kind) : absl::StrCat(dir, "/", kind, "/", name);
    if (failed || !reading.insert(path).second) return;
    ++reads;
    std::weak_ptr<State> weak = weak_from_this();
    zk->Get(
        path,
        [weak, kind, name] {
          if (auto self = weak.lock()) self->Read(kind, name);
        },
        [weak, kind, name, path](absl::StatusOr<std::string> data) {
          auto self = weak.lock();
          if (self == nullptr) return;
          self->reading.erase(path);
          if (data.ok()) {
            (name.empty() ? self->singletons[kind] : self->records[kind][name]) = std::move(*data);
          } else if (absl::IsNotFound(data.status()) && !name.empty()) {
            self->records[kind].erase(name);  // Deleted; a new one shows in the listing.
          } else {
            self->Fail(data.status());
            return;
          }
          self->Settle();
        });
  }

  void List(absl::string_view kind) {
    if (failed || !listing.insert(kind).second) return;
    std::weak_ptr<State> weak = weak_from_this();
    zk->GetChildren(
        absl::StrCat(dir, "/", kind),
        [weak, kind] {
          if (auto self = weak.lock()) self->List(kind);
        },
        [weak, kind](absl::StatusOr<std::vector<std::string>> names) {
          auto self = weak.lock();
          if (self == nullptr) return;
          self->listing.erase(kind);
          if (!names.ok()) {
            self->Fail(names.status());
            return;
          }
          // Names already mirrored are watched already.
          const auto& known = self->records[kind];
          for (const std::string& name : *names) {
            if (known.count(name) == 0) self->Read(kind, name);
          }
          self->Settle();
        });
  }

  // Answers the snapshots waiting once nothing is in flight (or failed).
  void Settle() {
    if (waiting.empty() || (!failed && pending() > 0)) return;
    auto self = shared_from_this();  // A callback may destroy the mirror.
    std::vector<ZkRegistry::LoadDone> done;
    done.swap(waiting);
    absl::StatusOr<internal::Registry> result = Build();
    for (auto& callback : done) callback(result);
  }

  absl::StatusOr<internal::Registry> Build() const {
    if (failed) return *failed;
    ZkRegistryRaw raw;
    raw.dir = dir;
    for (absl::string_view kind : kSingletons) {
      auto it = singletons.find(kind);
      if (it == singletons.end()) {
        return absl::NotFoundError(
            absl::StrCat("registry znode ", dir, "/", kind, " not mirrored"));
      }
    }
    raw.epoch = singletons.at(layout::kEpoch);
    raw.removed = singletons.at(layout::kRemovedFrameworks);
    for (const auto& [kind, named] : records) {
      auto& out = raw.records[kind];
      out.reserve(named.size());
      for (const auto& [name, bytes] : named) out.emplace_back(name, bytes);
    }
    return ParseZkRegistry(std::move(raw));
  }
};

ZkRegistryMirror::ZkRegistryMirror(ZkClient* zk, const std::string& root)
    : state_(std::make_shared<State>()) {
  state_->zk = zk;
  state_->dir = zk_layout::RegistryPath(root);
  for (absl::string_view kind : kSingletons) state_->Read(kind, "");
  for (absl::string_view kind : kDirs) state_->List(kind);
}

ZkRegistryMirror::~ZkRegistryMirror() = default;

void ZkRegistryMirror::Snapshot(ZkRegistry::LoadDone done) {
  state_->waiting.push_back(std::move(done));
  state_->Settle();
}

bool ZkRegistryMirror::failed() const { return state_->failed.has_value(); }

size_t ZkRegistryMirror::pending() const { return state_->pending(); }

size_t ZkRegistryMirror::records() const {
  size_t count = 0;
  for (const auto& [kind, named] : state_->records) count += named.size();
  return count;
}

uint64_t ZkRegistryMirror::reads() const { return state_->reads; }

}  // namespace agora::master
