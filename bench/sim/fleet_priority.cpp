#include "sim/fleet_priority.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace agora::sim {

absl::Status LowerThisProcessPriority(int nice) {
  if (nice < 0 || nice > 19) {
    return absl::InvalidArgumentError(
        absl::StrCat("niceness: must be 0..19 (a lower priority), got ", nice));
  }
  std::error_code error;
  std::filesystem::directory_iterator tasks("/proc/self/task", error);
  if (error) return absl::InternalError(absl::StrCat("/proc/self/task: ", error.message()));
  for (const auto& entry : tasks) {
    int tid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &tid)) continue;
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0 && errno != ESRCH) {
      return absl::InternalError(
          absl::StrCat("setpriority of thread ", tid, " to ", nice, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace agora::sim
