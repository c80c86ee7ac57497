// ZkRegistry::Load and the znode name escaping of the registry layout.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/zk_layout.hpp"
#include "glog/logging.h"
#include "master/zk_registry.hpp"

namespace agora::master {
namespace {

namespace layout = zk_registry_layout;

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// One Load() in progress: every read is in flight at once; the last answer
// builds the registry. Lives on the ZkClient's loop.
struct Loader {
  ZkClient* zk;
  std::string dir;
  ZkRegistry::LoadDone done;
  bool finished = false;
  size_t pending = 0;
  // (znode name, bytes) per directory of the layout.
  std::map<absl::string_view, std::vector<std::pair<std::string, std::string>>> records;
  std::string epoch;
  std::string removed;

  void Finish(absl::StatusOr<internal::Registry> result) {
    if (finished) return;
    finished = true;
    done(std::move(result));
  }
};

// Parses each record of `dir_name` into `out`; DATA_LOSS names the znode.
template <typename Record, typename IdOf>
absl::Status ParseRecords(ZkRegistryRaw& raw, absl::string_view dir_name,
                          google::protobuf::RepeatedPtrField<Record>* out, IdOf id_of) {
  auto it = raw.records.find(dir_name);
  if (it == raw.records.end()) return absl::OkStatus();
  std::vector<std::pair<std::string, std::string>>& sorted = it->second;  // Sorted in place.
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, bytes] : sorted) {
    const std::string path = absl::StrCat(raw.dir, "/", dir_name, "/", name);
    Record record;
    if (!record.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("registry znode ", path, " (", bytes.size(),
                                              " bytes) is not a valid ",
                                              Record::descriptor()->full_name()));
    }
    absl::StatusOr<std::string> id = UnescapeZnodeName(name);
    if (!id.ok() || *id != id_of(record)) {
      return absl::DataLossError(absl::StrCat("registry znode ", path, " holds the record of '",
                                              id_of(record), "', not of its name"));
    }
    *out->Add() = std::move(record);
  }
  return absl::OkStatus();
}

void Build(Loader* loader) {
  ZkRegistryRaw raw;
  raw.dir = loader->dir;
  raw.records = std::move(loader->records);
  raw.epoch = std::move(loader->epoch);
  raw.removed = std::move(loader->removed);
  loader->Finish(ParseZkRegistry(std::move(raw)));
}

// Reads `path` into `*into`; the last answer builds the registry.
void Read(const std::shared_ptr<Loader>& loader, const std::string& path, std::string* into) {
  ++loader->pending;
  loader->zk->Get(path, nullptr, [loader, into](absl::StatusOr<std::string> data) {
    if (!data.ok()) {
      loader->Finish(data.status());
      return;
    }
    *into = std::move(*data);
    if (--loader->pending == 0 && !loader->finished) Build(loader.get());
  });
}

void ReadAll(const std::shared_ptr<Loader>& loader) {
  loader->pending = 1;  // Held until every read is issued.
  Read(loader, absl::StrCat(loader->dir, "/", layout::kEpoch), &loader->epoch);
  Read(loader, absl::StrCat(loader->dir, "/", layout::kRemovedFrameworks), &loader->removed);
  for (absl::string_view dir_name :
       {layout::kAgents, layout::kFrameworks, layout::kQuotas, layout::kWeights}) {
    ++loader->pending;
    const std::string dir = absl::StrCat(loader->dir, "/", dir_name);
    loader->zk->GetChildren(
        dir, nullptr, [loader, dir, dir_name](absl::StatusOr<std::vector<std::string>> names) {
          if (!names.ok()) {
            loader->Finish(names.status());
            return;
          }
          auto& records = loader->records[dir_name];
          records.resize(names->size());
          for (size_t i = 0; i < names->size(); ++i) {
            records[i].first = (*names)[i];
            Read(loader, absl::StrCat(dir, "/", (*names)[i]), &records[i].second);
          }
          if (--loader->pending == 0 && !loader->finished) Build(loader.get());
        });
  }
  if (--loader->pending == 0 && !loader->finished) Build(loader.get());
}

}  // namespace

absl::StatusOr<internal::Registry> ParseZkRegistry(ZkRegistryRaw raw) {
  internal::Registry registry;
  absl::Status status = ParseRecords(raw, layout::kAgents, registry.mutable_agents(),
                                     [](const auto& r) { return r.info().id().value(); });
  if (status.ok()) {
    status = ParseRecords(raw, layout::kFrameworks, registry.mutable_frameworks(),
                          [](const auto& r) { return r.info().id().value(); });
  }
  if (status.ok()) {
    status = ParseRecords(raw, layout::kQuotas, registry.mutable_quotas(),
                          [](const auto& r) { return r.role(); });
  }
  if (status.ok()) {
    status = ParseRecords(raw, layout::kWeights, registry.mutable_weights(),
                          [](const auto& r) { return r.role(); });
  }
  if (!status.ok()) return status;
  internal::Registry epoch;
  if (!epoch.ParseFromString(raw.epoch)) {
    return absl::DataLossError(
        absl::StrCat("registry znode ", raw.dir, "/", layout::kEpoch, " is not valid"));
  }
  internal::Registry removed;
  if (!removed.ParseFromString(raw.removed)) {
    return absl::DataLossError(
        absl::StrCat("registry znode ", raw.dir, "/", layout::kRemovedFrameworks, " is not valid"));
  }
  registry.set_epoch(epoch.epoch());
  *registry.mutable_removed_frameworks() = removed.removed_frameworks();
  LOG(INFO) << "Loaded the registry from " << raw.dir << ": agents=" << registry.agents_size()
            << " frameworks=" << registry.frameworks_size() << " epoch=" << registry.epoch();
  return registry;
}

std::string EscapeZnodeName(absl::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  escaped.reserve(name.size());
  for (char c : name) {
    if (Unreserved(c)) {
      escaped.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      escaped.push_back('%');
      escaped.push_back(kHex[byte >> 4]);
      escaped.push_back(kHex[byte & 0xF]);
    }
  }
  return escaped;
}

absl::StatusOr<std::string> UnescapeZnodeName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '%') {
      out.push_back(name[i]);
      continue;
    }
    int high = i + 2 < name.size() ? HexValue(name[i + 1]) : -1;
    int low = i + 2 < name.size() ? HexValue(name[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("znode name '", name, "': bad escape at offset ", i));
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

void ZkRegistry::Load(ZkClient* zk, std::string root, LoadDone done) {
  auto loader = std::make_shared<Loader>();
  loader->zk = zk;
  loader->dir = zk_layout::RegistryPath(root);
  loader->done = std::move(done);
  // The directories and the two singletons, created if missing.
  std::vector<std::string> paths;
  for (absl::string_view name : {layout::kAgents, layout::kFrameworks, layout::kQuotas,
                                 layout::kWeights, layout::kEpoch, layout::kRemovedFrameworks}) {
    paths.push_back(absl::StrCat(loader->dir, "/", name));
  }
  loader->pending = paths.size();
  for (const std::string& path : paths) {
    zk->CreatePath(path, [loader](absl::Status status) {
      if (!status.ok()) {
        loader->Finish(status);
        return;
      }
      if (--loader->pending == 0 && !loader->finished) ReadAll(loader);
    });
  }
}

}  // namespace agora::master
