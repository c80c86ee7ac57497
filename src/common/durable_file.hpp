// Small blocking file primitives for state that must survive a crash: the
// agent's checkpoints and update journal, the master's registry. Each error
// names the operation and the path ("write /x/log: No space left on device").
// Thread-safe (no shared state); blocking: call them off an event loop.
#ifndef AGORA_COMMON_DURABLE_FILE_HPP_
#define AGORA_COMMON_DURABLE_FILE_HPP_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace agora {

// INTERNAL "<what> <path>: <strerror(errno)>". Call right after the failing
// system call, before anything else can change errno.
absl::Status ErrnoError(absl::string_view what, const std::string& path);

// Writes all of `data` to `fd` (at its offset), retrying short writes and
// EINTR. `path` is only for the error message.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path);

// Writes all of `data` to `fd` at `offset` with pwrite, retrying short
// writes and EINTR.
absl::Status PwriteAll(int fd, absl::string_view data, uint64_t offset, const std::string& path);

// fsync of the directory itself, so entries created or renamed in it are
// durable.
absl::Status FsyncDir(const std::string& dir);

// Replaces `path` with `bytes` so that a crash at any instant leaves either
// the old or the new content: `path`.tmp, fsync, rename, fsync of the
// directory. The directory must exist. A failed attempt removes the
// temporary file.
absl::Status AtomicWriteFile(const std::string& path, absl::string_view bytes);

}  // namespace agora

#endif  // AGORA_COMMON_DURABLE_FILE_HPP_
