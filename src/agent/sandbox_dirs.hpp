// The agent's sandboxes on disk, as sandbox garbage collection needs them:
// the run layout, the finished marker, sizes, the start-up scan and removal.
//
// Layout: `<work_dir>/sandboxes/<framework>/<executor>/<run>/`, one run
// directory per launch of an executor id (the run id is the launch's
// container id), with `<executor>/latest` a symlink to the newest run. A
// sandbox below means one run. Work dirs of agents before runs hold
// `<framework>/<executor>/` as the sandbox itself (stdout, stderr, marker
// directly in it): such a directory is scanned and collected as one run. Blocking (file
// system, /proc): call off the event loop, on the executor's I/O key for
// anything that touches one sandbox (so it stays in order with its launch).
//
// The marker `<sandbox>/.agora-finished` holds the time (RFC 3339, UTC) the
// agent forgot the sandbox's executor: the executor and all its tasks ended
// and were acknowledged. It is what makes GC survive agent restarts. It is
// written without fsync: a torn or lost marker only makes the sandbox look
// unmarked, and an unmarked sandbox the agent does not know is marked anew
// at start-up (GC then waits --gc_delay from that start).
#ifndef AGORA_AGENT_SANDBOX_DIRS_HPP_
#define AGORA_AGENT_SANDBOX_DIRS_HPP_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/sandbox_gc.hpp"

namespace agora::agent {

inline constexpr char kFinishedMarker[] = "/.agora-finished";

// Writes the marker into `sandbox` with `finished`. NOT_FOUND if the
// sandbox does not exist (it is never created here); INTERNAL names the
// file and errno otherwise.
absl::Status WriteFinishedMarker(const std::string& sandbox, absl::Time finished);

// The time in `sandbox`'s marker; nullopt if there is none or it does not
// parse.
std::optional<absl::Time> ReadFinishedMarker(const std::string& sandbox);

// The run directory `<executor_dir>/<run_id>` of a new launch.
std::string RunSandboxPath(const std::string& executor_dir, const std::string& run_id);

// `<executor_dir>/latest`: the newest run (a symlink; absent in work dirs
// of agents before runs).
std::string LatestRunPath(const std::string& executor_dir);

// Creates `sandbox` (mkdir -p) for a new run and removes a marker left by
// an earlier run in the same directory, or by an old-layout sandbox in its
// parent (the executor directory: that old run must not be collected with
// the new run inside it). Points the parent's `latest` at it. Retries
// once: GC may remove the empty framework directory between two of mkdir
// -p's steps.
absl::Status PrepareSandbox(const std::string& sandbox);

// Bytes the files under `path` occupy on disk (st_blocks x 512); 0 if it
// cannot be read.
uint64_t DiskBytes(const std::string& path);

// statvfs of `path`: free (available to unprivileged users) and total bytes.
absl::StatusOr<DiskSpace> StatDisk(const std::string& path);

// One sandbox found by ScanSandboxes.
struct ScannedSandbox {
  std::string framework_id;
  std::string executor_id;
  std::string path;
  std::optional<absl::Time> finished;  // From its marker.
  uint64_t bytes = 0;
  // A live process runs with AGORA_SANDBOX = path.
  bool live = false;
};

// Every run `<sandboxes_dir>/<framework>/<executor>/<run>` directory, and
// every old-layout `<framework>/<executor>` directory (one holding stdout,
// stderr or a finished marker directly). `latest` symlinks are skipped.
std::vector<ScannedSandbox> ScanSandboxes(const std::string& sandboxes_dir);

// Removes `sandbox` only if its marker still says `finished` (a sandbox
// reused by a new run, or already gone, is left alone: FAILED_PRECONDITION /
// NOT_FOUND), then the `latest` symlink if it points at it, then the
// directories between it and `sandboxes_dir` (its executor's and
// framework's) that are now empty. INTERNAL names the path that could not
// be removed.
absl::Status RemoveFinishedSandbox(const std::string& sandboxes_dir, const std::string& sandbox,
                                   absl::Time finished);

}  // namespace agora::agent

#endif  // AGORA_AGENT_SANDBOX_DIRS_HPP_
