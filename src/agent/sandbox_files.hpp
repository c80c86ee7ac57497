// Sandbox files: reading and listing files inside one executor sandbox for
// the operator API (ReadFile, ListFiles; `agora logs`).
//
// Every path is relative to the sandbox and is refused (INVALID_ARGUMENT
// naming `path`) when it is absolute, has a ".." component, or resolves --
// through symlinks, with realpath -- outside the sandbox. Blocking (file
// I/O): call off the event loop. Stateless and thread-safe.
#ifndef AGORA_AGENT_SANDBOX_FILES_HPP_
#define AGORA_AGENT_SANDBOX_FILES_HPP_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agora/v1/agent.pb.h"

namespace agora::agent {

// Largest ReadFile answer, and the length of one without `length`.
inline constexpr uint64_t kMaxReadLength = 1 << 20;

// Checks `path` lexically (before touching the disk): INVALID_ARGUMENT
// naming `path` if it is absolute, contains a NUL byte or a ".."
// component. An empty path is the sandbox itself.
absl::Status ValidateSandboxPath(const std::string& path);

// The real path of `path` inside `sandbox`. NOT_FOUND if the sandbox or the
// file does not exist; INVALID_ARGUMENT naming `path` if it is not a valid
// relative path or resolves outside the sandbox.
absl::StatusOr<std::string> ResolveInSandbox(const std::string& sandbox, const std::string& path);

// Reads at most `length` bytes (0: kMaxReadLength; capped at it) of regular
// file `path` from `offset`; a negative offset counts from the end (-100:
// the last 100 bytes). An offset past the end returns no data. Sets
// data, offset (of the first byte returned) and size (the file's size now).
absl::StatusOr<v1::ReadFileResponse> ReadSandboxFile(const std::string& sandbox,
                                                     const std::string& path, int64_t offset,
                                                     uint64_t length);

// The entries of directory `path` (relative to the sandbox, "" for the
// sandbox itself), sorted by name; each entry's path is relative to the
// sandbox. Listing a regular file returns that file alone.
absl::StatusOr<v1::ListFilesResponse> ListSandboxDirectory(const std::string& sandbox,
                                                           const std::string& path);

}  // namespace agora::agent

#endif  // AGORA_AGENT_SANDBOX_FILES_HPP_
