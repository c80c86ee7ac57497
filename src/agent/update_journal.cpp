#include "agent/update_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/durable_file.hpp"
#include "glog/logging.h"

namespace agora::agent {
namespace {

constexpr absl::string_view kSegmentPrefix = "segment-";

// The sequence of a segment's file name, or 0 if `name` is not one.
uint64_t SegmentSequence(const std::string& name) {
  if (!absl::StartsWith(name, kSegmentPrefix)) return 0;
  absl::string_view digits = absl::string_view(name).substr(kSegmentPrefix.size());
  if (digits.empty()) return 0;
  for (char c : digits)
    if (!absl::ascii_isdigit(c)) return 0;
  uint64_t sequence = 0;
  if (!absl::SimpleAtoi(digits, &sequence)) return 0;
  return sequence;
}

UpdateJournal::TaskKey KeyOf(const internal::StatusUpdateRecord& record) {
  return {record.framework_id().value(), record.executor_id().value(), record.task_id().value()};
}

}  // namespace

std::string JournalDir(const std::string& work_dir) {
  return absl::StrCat(work_dir, "/meta/journal");
}

absl::StatusOr<std::vector<JournalSegment>> ReadJournal(const std::string& dir) {
  std::map<uint64_t, std::string> names;
  for (const std::string& name : ListDirectory(dir)) {
    if (uint64_t sequence = SegmentSequence(name); sequence != 0) names[sequence] = name;
  }
  std::vector<JournalSegment> segments;
  for (const auto& [sequence, name] : names) {
    JournalSegment segment;
    segment.path = absl::StrCat(dir, "/", name);
    segment.sequence = sequence;
    auto data = ReadFile(segment.path);
    if (!data.ok()) return data.status();
    auto log = ParseRecordLog(segment.path, *data, RecordLogKind::kJournal);
    if (!log.ok()) return log.status();
    segment.log = std::move(*log);
    segments.push_back(std::move(segment));
  }
  // Only the last segment can have been cut short by a crash: the writer
  // starts a segment after the previous one's last complete batch.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i].log.torn_tail) {
      return absl::DataLossError(absl::StrCat(segments[i].path, ": an incomplete record at byte ",
                                              segments[i].log.valid_bytes,
                                              " although a later segment exists"));
    }
  }
  return segments;
}

UpdateJournal::UpdateJournal(Options options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<UpdateJournal>> UpdateJournal::Open(
    Options options, const std::set<TaskKey>& live_tasks) {
  if (auto status = MakeDirs(options.dir); !status.ok()) return status;
  auto found = ReadJournal(options.dir);
  if (!found.ok()) return found.status();
  std::unique_ptr<UpdateJournal> journal(new UpdateJournal(std::move(options)));
  uint64_t last = 0;
  for (const JournalSegment& on_disk : *found) {
    Segment& segment = journal->segments_[on_disk.sequence];
    for (const auto& record : on_disk.log.records) {
      TaskKey key = KeyOf(record);
      segment.seen.insert(key);
      if (record.type() == internal::StatusUpdateRecord::FORGET) {
        segment.forgets.push_back(key);
      } else if (live_tasks.count(key) != 0) {
        segment.live.insert(key);
      }
    }
    last = on_disk.sequence;
  }
  journal->current_ = last + 1;
  journal->segments_[journal->current_];
  {
    std::lock_guard<std::mutex> lock(journal->mu_);
    journal->RollAndCollect(/*collect=*/true);
  }
  journal->writer_ = std::thread([raw = journal.get()] { raw->Run(); });
  return journal;
}

UpdateJournal::~UpdateJournal() {
  Stop();
  if (fd_ >= 0) ::close(fd_);
}

void UpdateJournal::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void UpdateJournal::Enqueue(Entry entry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      queue_.push_back(std::move(entry));
      cv_.notify_one();
      return;
    }
  }
  if (entry.done) entry.done(absl::UnavailableError("update journal stopped"));
}

void UpdateJournal::Append(internal::StatusUpdateRecord record, bool sync, DoneFn done) {
  Enqueue({std::move(record), sync, /*retry=*/false, std::move(done)});
}

absl::Status UpdateJournal::AppendAndWait(internal::StatusUpdateRecord record, bool sync) {
  auto result = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = result->get_future();
  Enqueue({std::move(record), sync, /*retry=*/true,
           [result](const absl::Status& status) { result->set_value(status); }});
  return future.get();
}

void UpdateJournal::Release(const std::string& framework_id, const std::string& executor_id,
                            const std::string& task_id) {
  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::FORGET);
  record.mutable_framework_id()->set_value(framework_id);
  record.mutable_executor_id()->set_value(executor_id);
  record.mutable_task_id()->set_value(task_id);
  Append(std::move(record), /*sync=*/true, [task_id](const absl::Status& status) {
    // Harmless: the task's segments stay until the agent restarts.
    if (!status.ok()) VLOG(1) << "FORGET record of task_id=" << task_id << " lost: " << status;
  });
}

UpdateJournal::Stats UpdateJournal::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::string UpdateJournal::SegmentPath(uint64_t sequence) const {
  return absl::StrFormat("%s/%s%020u", options_.dir, kSegmentPrefix, sequence);
}

void UpdateJournal::Run() {
  while (true) {
    std::deque<Entry> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch.swap(queue_);
    }
    for (const Entry& entry : batch)
      if (entry.retry) failed_ = absl::OkStatus();
    absl::Status status = failed_.ok() ? WriteBatch(batch) : failed_;
    if (!status.ok()) {
      if (failed_.ok()) LOG(ERROR) << "Update journal: " << status;
      failed_ = status;
    }
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.batches++;
      stats_.records += batch.size();
      Segment& current = segments_[current_];
      bool released = false;
      for (const Entry& entry : batch) {
        TaskKey key = KeyOf(entry.record);
        current.seen.insert(key);
        if (entry.record.type() != internal::StatusUpdateRecord::FORGET) {
          current.live.insert(key);
          continue;
        }
        current.forgets.push_back(key);
        for (auto& [sequence, segment] : segments_) segment.live.erase(key);
        released = true;
      }
      RollAndCollect(released);
    }
    for (Entry& entry : batch)
      if (entry.done) entry.done(status);
  }
}

absl::Status UpdateJournal::OpenSegment() {
  std::string path = SegmentPath(current_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("open", path);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoError("fstat", path);
  good_bytes_ = static_cast<uint64_t>(st.st_size);
  // The new name must be durable before any record in it counts as such.
  if (auto status = FsyncDir(options_.dir); !status.ok()) return status;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.syncs++;
  return absl::OkStatus();
}

absl::Status UpdateJournal::WriteBatch(const std::deque<Entry>& batch) {
  if (fd_ < 0) {
    if (auto status = OpenSegment(); !status.ok()) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return status;
    }
  }
  const std::string path = SegmentPath(current_);
  if (cut_back_) {
    if (::ftruncate(fd_, static_cast<off_t>(good_bytes_)) != 0)
      return ErrnoError("ftruncate", path);
    cut_back_ = false;
  }
  std::string data;
  bool sync = false;
  for (const Entry& entry : batch) {
    AppendDelimited(entry.record, &data);
    sync = sync || entry.sync;
  }
  if (auto status = PwriteAll(fd_, data, good_bytes_, path); !status.ok()) {
    cut_back_ = true;
    return status;
  }
  if (sync) {
    if (::fdatasync(fd_) != 0) {
      cut_back_ = true;
      return ErrnoError("fdatasync", path);
    }
    std::lock_guard<std::mutex> lock(mu_);
    stats_.syncs++;
  }
  good_bytes_ += data.size();
  return absl::OkStatus();
}

void UpdateJournal::RollAndCollect(bool collect) {
  if (fd_ >= 0 && good_bytes_ >= options_.segment_bytes) {
    ::close(fd_);
    fd_ = -1;
    good_bytes_ = 0;
    segments_[++current_];
    collect = true;
  }
  // Only a release or a roll can make a segment deletable.
  for (auto it = segments_.begin(); collect && it != segments_.end();) {
    bool needed = it->first == current_ || !it->second.live.empty();
    // A FORGET must outlive the older records it voids.
    for (const TaskKey& key : it->second.forgets) {
      for (auto older = segments_.begin(); older != it && !needed; ++older)
        needed = older->second.seen.count(key) != 0;
    }
    if (needed) {
      ++it;
      continue;
    }
    std::string path = SegmentPath(it->first);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      LOG(WARNING) << "Cannot delete journal segment " << path << ": " << std::strerror(errno);
      ++it;
      continue;
    }
    VLOG(1) << "Deleted journal segment " << path;
    it = segments_.erase(it);
  }
  stats_.segments = segments_.size();
}

}  // namespace agora::agent
