// The few OS operations agora-shim needs beyond posix_spawn, on plain libc
// (the shim links no gRPC, protobuf, glog or abseil so that it starts in well
// under a millisecond). Errors come back as text naming the path and reason.
#ifndef AGORA_SHIM_SHIM_IO_HPP_
#define AGORA_SHIM_SHIM_IO_HPP_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "shim/shim_status.hpp"

namespace agora::shim {

// Reads `pid`'s start time (/proc/<pid>/stat field 22). Works for a zombie
// child that has not been reaped yet.
bool ReadProcessStamp(pid_t pid, ProcessStamp* stamp, std::string* error);

// Replaces `path` with `contents` so a reader sees the old or the new file,
// never a mix: writes `<path>.tmp` and renames it over `path`. Not fsynced on
// purpose: the file must survive the agent's crash or restart, which the page
// cache does; after a machine crash (a new boot id) the agent treats every
// task as gone and never reads it.
bool WriteFileAtomically(const std::string& path, const std::string& contents, std::string* error);

// Wall-clock time in milliseconds since the epoch.
int64_t NowUnixMs();

}  // namespace agora::shim

#endif  // AGORA_SHIM_SHIM_IO_HPP_
