#include "cli/master_candidates.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/master_detector.hpp"

namespace agora::cli {

absl::StatusOr<std::vector<std::string>> MasterCandidates(const std::string& spec,
                                                          absl::Duration timeout) {
  if (absl::Status valid = MasterDetector::Validate("--master", spec); !valid.ok()) return valid;
  if (!absl::StartsWith(spec, "zk://")) {
    return std::vector<std::string>(absl::StrSplit(spec, ','));
  }
  // Declared before the detector: its callback may use them until it is gone.
  std::mutex mu;
  std::condition_variable changed;
  auto detector = MasterDetector::Create(spec);
  if (!detector.ok()) return detector.status();
  (*detector)->SetOnChange([&] {
    std::lock_guard<std::mutex> lock(mu);
    changed.notify_all();
  });
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
  absl::StatusOr<std::string> leader = (*detector)->CurrentLeader();
  {
    std::unique_lock<std::mutex> lock(mu);
    while (!leader.ok() && std::chrono::steady_clock::now() < deadline) {
      // The callback takes `mu` after the detector updated its leader, so
      // a change after the check above still wakes this wait.
      changed.wait_until(lock, deadline);
      leader = (*detector)->CurrentLeader();
    }
  }
  if (!leader.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot find the leading master in ", spec,
                                               " within ", absl::FormatDuration(timeout), ": ",
                                               leader.status().message()));
  }
  return std::vector<std::string>{*leader};
}

}  // namespace agora::cli
