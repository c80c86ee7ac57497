// UpdateJournal: the agent's append-only journal of status update records
// (internal::StatusUpdateRecord: UPDATE, ACK, FORGET), written with group
// commit.
//
// Layout: <work_dir>/meta/journal/segment-<20-digit sequence>, each a run of
// length-delimited records (checkpoint.hpp's AppendDelimited). Every record
// names its framework, executor and task.
//
// Group commit: one writer thread owns the files. Append() queues a record;
// everything queued while the previous batch is being written and synced
// forms the next batch, written with ONE write and, if any of its records
// asked for it, ONE fdatasync. Then each record's `done` is called, in
// append order, on the writer thread (the agent's callback posts to its
// loop). So under load the number of syncs follows the disk, not the
// number of updates. Append, AppendAndWait, Release, stats and Stop may be
// called from any thread; the files belong to the writer thread.
//
// Failure: a batch that cannot be written or synced fails every record in
// it, and every record appended after it, with the same status ("sticky"),
// until AppendAndWait (the agent's replay of its held writes) succeeds. The
// segment is cut back to its last good batch before the next write, so a
// failed batch never leaves half a record in the middle of a segment.
//
// Segments roll once they exceed `segment_bytes`. A segment other than the
// current one is deleted once every task with records in it has been
// released (Release: the agent forgot the task) -- and, where it holds the
// FORGET record of a task, once no older segment with records of that task
// is left (so a reused task id never inherits a finished task's records).
//
// Recovery reads the journal with ReadJournal (recovery_state.cpp) before
// the journal is opened; Open then starts a new segment.
#ifndef AGORA_AGENT_UPDATE_JOURNAL_HPP_
#define AGORA_AGENT_UPDATE_JOURNAL_HPP_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/checkpoint.hpp"
#include "agora/internal/checkpoint.pb.h"

namespace agora::agent {

// <work_dir>/meta/journal
std::string JournalDir(const std::string& work_dir);

// One segment as found on disk.
struct JournalSegment {
  std::string path;
  uint64_t sequence = 0;
  RecordLog log;
};

// The segments of `dir`, oldest first, parsed strictly (ParseRecordLog,
// kJournal). A torn tail (a crash during a write) is reported in the LAST
// segment's `log.torn_tail` for the caller to truncate; a torn tail in any
// other segment, or a record that does not parse anywhere, is DATA_LOSS
// naming the file and the byte offset. Names other than segment-<digits>
// are ignored. Empty if `dir` does not exist.
absl::StatusOr<std::vector<JournalSegment>> ReadJournal(const std::string& dir);

class UpdateJournal {
 public:
  // (framework id, executor id, task id): one incarnation of a task (a
  // task id used again later may run under another executor).
  using TaskKey = std::tuple<std::string, std::string, std::string>;
  using DoneFn = std::function<void(const absl::Status&)>;

  struct Options {
    std::string dir;                      // <work_dir>/meta/journal
    uint64_t segment_bytes = 8ull << 20;  // A segment rolls past this size.
  };

  struct Stats {
    uint64_t batches = 0;   // Batches written (one write each).
    uint64_t records = 0;   // Records written.
    uint64_t syncs = 0;     // fdatasyncs, and one fsync of `dir` per new segment.
    uint64_t segments = 0;  // Segments kept, the current one included.
  };

  // Opens `options.dir` (created if missing) and starts the writer thread.
  // Existing segments (already recovered by the caller) are kept while
  // they hold records of a task in `live_tasks`, deleted otherwise; new
  // records go to a new segment. Errors: INTERNAL naming the path (I/O),
  // DATA_LOSS as in ReadJournal.
  static absl::StatusOr<std::unique_ptr<UpdateJournal>> Open(Options options,
                                                             const std::set<TaskKey>& live_tasks);
  ~UpdateJournal();

  UpdateJournal(const UpdateJournal&) = delete;
  UpdateJournal& operator=(const UpdateJournal&) = delete;

  // Thread-safe. Queues `record` (UPDATE or ACK naming its framework,
  // executor and task) for the next batch. `done` is called exactly once:
  // on the writer thread, after the record is written (and on disk, if
  // `sync`) or with the batch's error; or at once with UNAVAILABLE after
  // Stop(). `done` may be empty.
  void Append(internal::StatusUpdateRecord record, bool sync, DoneFn done);

  // Blocking Append that first lifts a previous failure (the disk may be
  // back): for replaying writes held while the journal failed. Do not call
  // from the writer thread (i.e. from a `done`).
  absl::Status AppendAndWait(internal::StatusUpdateRecord record, bool sync);

  // Thread-safe. The agent forgot the task: appends its FORGET record
  // (synced) and lets segments whose tasks are all released be deleted.
  void Release(const std::string& framework_id, const std::string& executor_id,
               const std::string& task_id);

  // Thread-safe.
  Stats stats() const;

  // Writes what is queued, then joins the writer. Idempotent.
  void Stop();

 private:
  struct Entry {
    internal::StatusUpdateRecord record;
    bool sync = false;
    bool retry = false;  // From AppendAndWait: lift the failure first.
    DoneFn done;
  };
  struct Segment {
    std::set<TaskKey> live;        // Tasks with records here, not yet released.
    std::set<TaskKey> seen;        // Every task with records here.
    std::vector<TaskKey> forgets;  // FORGET records here.
  };

  explicit UpdateJournal(Options options);
  void Enqueue(Entry entry);
  void Run();
  // Writes `batch` into the current segment; OK or the error naming the
  // file. Writer thread.
  absl::Status WriteBatch(const std::deque<Entry>& batch);
  absl::Status OpenSegment();
  // Rolls a full segment; then, if it rolled or `collect` (a task was
  // released), deletes the segments nothing needs. Writer thread, mu_ held.
  void RollAndCollect(bool collect);
  std::string SegmentPath(uint64_t sequence) const;

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  bool stop_ = false;
  // Segments on disk by sequence, with the current one (mu_).
  std::map<uint64_t, Segment> segments_;
  uint64_t current_ = 0;
  Stats stats_;
  // Writer thread only.
  int fd_ = -1;
  uint64_t good_bytes_ = 0;  // Length of the current segment's good batches.
  bool cut_back_ = false;    // A failed batch may have left bytes past good_bytes_.
  absl::Status failed_;      // Sticky failure (see the class comment).
  std::thread writer_;
};

}  // namespace agora::agent

#endif  // AGORA_AGENT_UPDATE_JOURNAL_HPP_
