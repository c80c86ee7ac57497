// The files of LocalRegistry (registry.hpp) under <work_dir>/registry/:
//
//   snapshot.pb  RegistrySnapshot: the registry as of log record `sequence`,
//                replaced atomically (AtomicWriteFile).
//   log          Records appended one per group-commit batch, each framed as
//                fixed32 length | fixed32 CRC-32C of the payload |
//                fixed32 CRC-32C of the 8 bytes before it | payload (a
//                RegistryLogRecord), little-endian.
//   registry.pb  Written by masters before the log existed: the whole
//                Registry. Loaded as a snapshot of sequence 0 when there is
//                no snapshot.pb; deleted by the first compaction.
//
// Recovery = the snapshot, then every log record above its sequence. A
// compaction writes a new snapshot, then truncates the log: a crash between
// the two leaves records the snapshot already holds, which replay skips by
// sequence, so nothing is applied twice.
//
// A crash during an append leaves a torn last record (cut short, or a bad
// payload checksum running to the end of the file, or zeros): its batch was
// never acknowledged, so recovery drops it with a WARNING naming the byte
// offset. Anything else that does not check out is DATA_LOSS naming the file
// and the byte offset: the master refuses to start rather than run on a
// registry that lost acknowledged changes.
//
// Blocking file I/O: RegistryLogWriter lives on LocalRegistry's writer
// thread; LoadRegistryDir runs in Recover, before the loop serves.
#ifndef AGORA_MASTER_REGISTRY_LOG_HPP_
#define AGORA_MASTER_REGISTRY_LOG_HPP_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agora/internal/registry_log.pb.h"
#include "master/registry.hpp"

namespace agora::master {

// CRC-32C (Castagnoli) of `data`.
uint32_t Crc32c(absl::string_view data);

// `record` framed as above, appended to `out`.
void AppendLogRecord(const internal::RegistryLogRecord& record, std::string* out);

// A log as found on disk.
struct RegistryLog {
  std::vector<internal::RegistryLogRecord> records;
  // Offset of each record in the file.
  std::vector<size_t> offsets;
  // Bytes of `records` (the file's length unless the tail is torn).
  size_t valid_bytes = 0;
  // The file continues past `valid_bytes` with a torn last record.
  bool torn_tail = false;
};

// Parses the content `data` of the log at `path` (named in errors) as above:
// DATA_LOSS for a bad record that is not the last, a payload that is not a
// RegistryLogRecord, or sequences that do not increase by one.
absl::StatusOr<RegistryLog> ParseRegistryLog(const std::string& path, absl::string_view data);

// What LoadRegistryDir found.
struct LoadedRegistry {
  IndexedRegistry state;
  uint64_t sequence = 0;        // Of the last record applied.
  uint64_t snapshot_bytes = 0;  // Size of the snapshot loaded.
  uint64_t log_bytes = 0;       // Valid bytes of the log (torn tail cut off).
  uint64_t log_records = 0;
  bool legacy = false;  // Loaded from registry.pb.
};

// Creates `dir` if needed and loads it: the snapshot (or registry.pb), then
// the log, whose torn tail (if any) is truncated away. Errors: INTERNAL
// (I/O) or DATA_LOSS, each naming the file, the offset and the remedy.
absl::StatusOr<LoadedRegistry> LoadRegistryDir(const std::string& dir);

// Paths within a registry directory.
std::string SnapshotPath(const std::string& dir);
std::string LogPath(const std::string& dir);
std::string LegacyRegistryPath(const std::string& dir);

// Appends batches to the log and compacts it. Owned by LocalRegistry and
// used only on its writer thread; stats() may be read from any thread.
class RegistryLogWriter {
 public:
  struct Options {
    // Compact once the log holds at least this many records AND at least
    // `compact_ratio` times the snapshot's bytes, so a compaction (O(size
    // of the registry)) is paid for by as many bytes of appends.
    uint64_t compact_min_records = 1000;
    double compact_ratio = 2.0;
  };
  struct Stats {
    std::atomic<uint64_t> batches{0};      // Records appended.
    std::atomic<uint64_t> operations{0};   // Operations in them.
    std::atomic<uint64_t> fsyncs{0};       // fsync + fdatasync calls.
    std::atomic<uint64_t> bytes{0};        // Bytes written (log and snapshots).
    std::atomic<uint64_t> compactions{0};  // Snapshots written.
  };

  RegistryLogWriter(std::string dir, LoadedRegistry loaded, Options options);
  ~RegistryLogWriter();
  RegistryLogWriter(const RegistryLogWriter&) = delete;
  RegistryLogWriter& operator=(const RegistryLogWriter&) = delete;

  // Appends one record holding `operations` with one write and one
  // fdatasync; on success applies them to the writer's replica. On error
  // (naming the file) the log is cut back to its last good record before
  // the next append.
  absl::Status Append(const std::vector<internal::Operation>& operations);

  // Whether the log has outgrown the snapshot (see Options).
  bool CompactionDue() const;
  // Writes snapshot.pb from the replica, removes registry.pb, truncates the
  // log. A failure loses nothing (the log still holds every record).
  absl::Status Compact();

  const Stats& stats() const { return stats_; }

 private:
  absl::Status OpenLog();

  const std::string dir_;
  const std::string path_;
  const Options options_;
  IndexedRegistry replica_;  // The registry as of `sequence_`.
  uint64_t sequence_;
  uint64_t snapshot_bytes_;
  uint64_t log_records_;
  uint64_t good_bytes_;  // Length of the log's good records.
  bool legacy_;          // registry.pb may still exist.
  bool cut_back_ = false;
  int fd_ = -1;
  dev_t dev_ = 0;  // Identity of the open log, checked before each append.
  ino_t ino_ = 0;
  Stats stats_;
};

}  // namespace agora::master

#endif  // AGORA_MASTER_REGISTRY_LOG_HPP_
