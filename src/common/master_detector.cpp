#include "common/master_detector.hpp"

#include <atomic>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/validation.hpp"
#include "common/zk_client.hpp"
#include "common/zk_master_detector.hpp"

namespace agora {
namespace {

constexpr absl::string_view kField = "master";

class FixedMasterDetector : public MasterDetector {
 public:
  explicit FixedMasterDetector(std::string address) : address_(std::move(address)) {}
  absl::StatusOr<std::string> CurrentLeader() override { return address_; }
  std::string Describe() const override { return absl::StrCat("master at ", address_); }

 private:
  const std::string address_;
};

// Names the masters in turn: the first call gives the first entry, each
// later call the next (wrapping), so every retry of a client tries another.
class ListMasterDetector : public MasterDetector {
 public:
  explicit ListMasterDetector(std::vector<std::string> addresses)
      : addresses_(std::move(addresses)) {}
  absl::StatusOr<std::string> CurrentLeader() override {
    return addresses_[next_.fetch_add(1) % addresses_.size()];
  }
  std::string Describe() const override {
    return absl::StrCat("masters ", absl::StrJoin(addresses_, ","));
  }

 private:
  const std::vector<std::string> addresses_;
  std::atomic<uint64_t> next_{0};
};

// The entries of a comma-separated list, each a valid host:port.
absl::StatusOr<std::vector<std::string>> ParseList(absl::string_view field,
                                                   absl::string_view spec) {
  if (spec.empty()) {
    return InvalidField(field,
                        "must not be empty; expected host:port, host:port,host:port or "
                        "zk://host:port/path");
  }
  std::vector<std::string> entries = absl::StrSplit(spec, ',');
  if (entries.size() == 1) {
    if (absl::Status status = ValidateHostPort(field, spec); !status.ok()) return status;
    return entries;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string entry_field = absl::StrCat(field, "[", i, "]");
    if (entries[i].empty()) {
      return InvalidField(entry_field,
                          absl::StrCat("empty entry in the list '", spec, "'; expected host:port"));
    }
    if (absl::Status status = ValidateHostPort(entry_field, entries[i]); !status.ok())
      return status;
  }
  return entries;
}

}  // namespace

absl::Status ValidateHostPort(absl::string_view field, absl::string_view address) {
  size_t colon = address.rfind(':');
  if (address.empty()) return InvalidField(field, "must not be empty; expected host:port");
  if (colon == absl::string_view::npos || colon == 0) {
    return InvalidField(field, absl::StrCat("'", address, "' is not of the form host:port"));
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return InvalidField(field, absl::StrCat("'", address, "' has no valid port (1-65535)"));
  }
  return absl::OkStatus();
}

absl::Status MasterDetector::Validate(absl::string_view field, absl::string_view spec) {
  if (absl::StartsWith(spec, "zk://")) {
    auto parsed = ParseZkUrl(std::string(field), std::string(spec));
    if (!parsed.ok())
      return InvalidField(field, parsed.status().message().substr(field.size() + 2));
    return absl::OkStatus();
  }
  return ParseList(field, spec).status();
}

absl::StatusOr<std::unique_ptr<MasterDetector>> MasterDetector::Create(absl::string_view spec) {
  if (absl::Status status = Validate(kField, spec); !status.ok()) return status;
  if (absl::StartsWith(spec, "zk://")) {
    auto detector = ZkMasterDetector::Create(std::string(spec), ZkMasterDetector::Options());
    if (!detector.ok()) return detector.status();
    return std::unique_ptr<MasterDetector>(std::move(*detector));
  }
  absl::StatusOr<std::vector<std::string>> entries = ParseList(kField, spec);
  if (entries->size() == 1) {
    return std::unique_ptr<MasterDetector>(new FixedMasterDetector(std::move(entries->front())));
  }
  return std::unique_ptr<MasterDetector>(new ListMasterDetector(std::move(*entries)));
}

}  // namespace agora
