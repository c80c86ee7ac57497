#include "common/fd_limit.hpp"

#include <errno.h>
#include <string.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace agora {
namespace {

// Linux's ceiling for RLIMIT_NOFILE; 0 if unreadable.
rlim_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  unsigned long long value = 0;
  if (!(in >> value)) return 0;
  return static_cast<rlim_t>(value);
}

std::string LimitText(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

}  // namespace

FdLimit RaiseFdLimit() {
  FdLimit result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    result.raise_status =
        absl::InternalError(absl::StrCat("getrlimit(RLIMIT_NOFILE): ", strerror(errno)));
    return result;
  }
  result.soft = limit.rlim_cur;
  result.hard = limit.rlim_max;
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) {
    rlim_t nr_open = NrOpen();
    if (nr_open != 0) target = nr_open;
  }
  if (limit.rlim_cur == target || limit.rlim_cur == RLIM_INFINITY) return result;
  rlimit raised = limit;
  raised.rlim_cur = target;
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    result.raise_status = absl::PermissionDeniedError(
        absl::StrCat("setrlimit(RLIMIT_NOFILE) from ", LimitText(limit.rlim_cur), " to ",
                     LimitText(target), ": ", strerror(errno)));
    return result;
  }
  result.soft = target;
  return result;
}

void LogFdLimit(std::string_view daemon, const FdLimit& limit, std::string_view uses) {
  LOG(INFO) << daemon << " open file limit (RLIMIT_NOFILE) soft=" << LimitText(limit.soft)
            << " hard=" << LimitText(limit.hard);
  if (!limit.raise_status.ok()) {
    LOG(WARNING) << "Cannot raise the open file limit: " << limit.raise_status.message();
  }
  if (limit.soft != RLIM_INFINITY && limit.soft < kMinRecommendedFdLimit) {
    LOG(WARNING) << "The open file limit " << limit.soft << " is below " << kMinRecommendedFdLimit
                 << ": " << daemon << " runs out of descriptors (" << uses
                 << ") under load; raise the hard limit (ulimit -Hn, LimitNOFILE=)";
  }
}

}  // namespace agora
