#include "common/master_detector.hpp"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/validation.hpp"

namespace agora {
namespace {

class FixedMasterDetector : public MasterDetector {
 public:
  explicit FixedMasterDetector(std::string address) : address_(std::move(address)) {}
  absl::StatusOr<std::string> CurrentLeader() override { return address_; }
  std::string Describe() const override { return absl::StrCat("master at ", address_); }

 private:
  const std::string address_;
};

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

absl::StatusOr<std::unique_ptr<MasterDetector>> MasterDetector::Create(absl::string_view spec) {
  if (absl::StartsWith(spec, "zk://")) {
    return absl::UnimplementedError(
        absl::StrCat("master '", spec, "': ZooKeeper detection is not available in this build"));
  }
  if (absl::Status status = ValidateHostPort("master", spec); !status.ok()) return status;
  return std::unique_ptr<MasterDetector>(new FixedMasterDetector(std::string(spec)));
}

}  // namespace agora
