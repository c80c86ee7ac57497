// The open file descriptor limit of a daemon.
//
// Daemons hold a descriptor per gRPC connection, per watched process (pidfd)
// and per open sandbox or checkpoint file; at the usual soft limit of 1,024 a
// burst of tasks runs them out, and gRPC's acceptor does not recover from
// EMFILE. `agora-master` and `agora-agent` therefore raise their soft
// RLIMIT_NOFILE to the hard limit at start-up, before they open sockets.
// Thread-safe (setrlimit is process-wide: call it from main).
#ifndef AGORA_COMMON_FD_LIMIT_HPP_
#define AGORA_COMMON_FD_LIMIT_HPP_

#include <sys/resource.h>

#include <string_view>

#include "absl/status/status.h"

namespace agora {

// Below this soft limit a daemon warns at start-up.
inline constexpr rlim_t kMinRecommendedFdLimit = 4096;

struct FdLimit {
  rlim_t soft = 0;  // In effect after RaiseFdLimit (RLIM_INFINITY: none).
  rlim_t hard = 0;
  // Why the soft limit could not be raised to the hard one (OK if it was, or
  // already was there).
  absl::Status raise_status;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the
// hard limit is unlimited, which Linux refuses as a soft NOFILE value).
FdLimit RaiseFdLimit();

// Logs `limit` at INFO, and a WARNING naming what runs out first (`uses`,
// e.g. "gRPC connections, pidfds, sandbox files") when the soft limit stays
// below kMinRecommendedFdLimit or raising it failed.
void LogFdLimit(std::string_view daemon, const FdLimit& limit, std::string_view uses);

}  // namespace agora

#endif  // AGORA_COMMON_FD_LIMIT_HPP_
