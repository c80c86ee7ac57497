// UpdateJournal: group commit (few syncs for many records, every `done`
// after its record is on disk), strict reading (torn tail, damage), the
// sticky failure and its replay, and segment deletion once tasks are
// released. Real files in a temp dir on the test machine's disk.
#include "agent/update_journal.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

internal::StatusUpdateRecord Update(const std::string& task_id, const std::string& uuid) {
  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::UPDATE);
  record.mutable_framework_id()->set_value("fw");
  record.mutable_executor_id()->set_value("ex-" + task_id);
  record.mutable_task_id()->set_value(task_id);
  record.set_uuid(uuid);
  record.mutable_status()->set_uuid(uuid);
  record.mutable_status()->mutable_task_id()->set_value(task_id);
  record.mutable_status()->set_state(v1::TASK_RUNNING);
  return record;
}

class UpdateJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-journal-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = std::string(pattern) + "/journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_.substr(0, dir_.rfind('/'))); }

  std::unique_ptr<UpdateJournal> Open(uint64_t segment_bytes = 8u << 20,
                                      const std::set<UpdateJournal::TaskKey>& live = {}) {
    UpdateJournal::Options options;
    options.dir = dir_;
    options.segment_bytes = segment_bytes;
    auto journal = UpdateJournal::Open(options, live);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? std::move(*journal) : nullptr;
  }
  // Uuids of every record on disk, in order.
  std::vector<std::string> UuidsOnDisk() const {
    std::vector<std::string> uuids;
    auto segments = ReadJournal(dir_);
    EXPECT_TRUE(segments.ok()) << segments.status();
    if (!segments.ok()) return uuids;
    for (const auto& segment : *segments)
      for (const auto& record : segment.log.records)
        if (record.type() != internal::StatusUpdateRecord::FORGET) uuids.push_back(record.uuid());
    return uuids;
  }
  std::vector<std::string> Segments() const {
    std::vector<std::string> names = ListDirectory(dir_);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

TEST_F(UpdateJournalTest, AppendsMadeWhileABatchIsWrittenFormOneBatchWithOneSync) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  constexpr int kRecords = 50;
  std::mutex mu;
  std::condition_variable cv;
  bool all_queued = false;
  std::vector<std::string> done_order;
  std::promise<void> writer_busy;
  // The first record's `done` runs on the writer: it holds the writer until
  // every other record is queued, as a slow disk would.
  journal->Append(Update("t0", "u0"), true, [&](const absl::Status& status) {
    EXPECT_TRUE(status.ok()) << status;
    writer_busy.set_value();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return all_queued; });
    done_order.push_back("u0");
  });
  writer_busy.get_future().get();
  for (int i = 1; i < kRecords; ++i) {
    std::string uuid = absl::StrCat("u", i);
    journal->Append(Update(absl::StrCat("t", i), uuid), true, [&, uuid](const absl::Status& s) {
      EXPECT_TRUE(s.ok()) << s;
      std::lock_guard<std::mutex> lock(mu);
      done_order.push_back(uuid);
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    all_queued = true;
  }
  cv.notify_all();
  journal->Stop();
  UpdateJournal::Stats stats = journal->stats();
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.syncs, 3u) << "one per batch, and one of the directory for the new segment";
  ASSERT_EQ(done_order.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(done_order[i], absl::StrCat("u", i));
  EXPECT_EQ(UuidsOnDisk(), done_order);
}

TEST_F(UpdateJournalTest, ConcurrentAppendersGetFewerSyncsThanRecordsAndDoneOnlyOnceOnDisk) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::mutex mu;
  std::map<std::string, int> done_calls;
  std::vector<std::string> missing_at_done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string uuid = absl::StrCat("u", t, "-", i);
        std::atomic<bool> finished{false};
        journal->Append(Update(absl::StrCat("t", t), uuid), true,
                        [&, uuid](const absl::Status& status) {
                          EXPECT_TRUE(status.ok()) << status;
                          // Re-read the files: the record must be there.
                          std::vector<std::string> on_disk = UuidsOnDisk();
                          std::lock_guard<std::mutex> lock(mu);
                          if (std::find(on_disk.begin(), on_disk.end(), uuid) == on_disk.end())
                            missing_at_done.push_back(uuid);
                          done_calls[uuid]++;
                        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  journal->Stop();
  UpdateJournal::Stats stats = journal->stats();
  const uint64_t records = kThreads * kPerThread;
  EXPECT_EQ(stats.records, records);
  EXPECT_LT(stats.syncs, records / 2) << "batches=" << stats.batches;
  EXPECT_TRUE(missing_at_done.empty()) << missing_at_done.size() << " done before on disk";
  ASSERT_EQ(done_calls.size(), records);
  for (const auto& [uuid, calls] : done_calls) EXPECT_EQ(calls, 1) << uuid;
  EXPECT_EQ(UuidsOnDisk().size(), records);
}

TEST_F(UpdateJournalTest, TornTailOfTheLastSegmentIsReportedNotAnError) {
  auto journal = Open();
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u1"), true).ok());
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u2"), true).ok());
  journal.reset();
  std::string last = dir_ + "/" + Segments().back();
  size_t intact = std::filesystem::file_size(last);
  std::ofstream(last, std::ios::app | std::ios::binary) << '\x40' << "cut short";
  auto segments = ReadJournal(dir_);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_TRUE(segments->back().log.torn_tail);
  EXPECT_EQ(segments->back().log.valid_bytes, intact);
  EXPECT_EQ(segments->back().log.records.size(), 2u);
}

TEST_F(UpdateJournalTest, DamageBeforeTheTailIsDataLossNamingFileAndOffset) {
  auto journal = Open(/*segment_bytes=*/1);  // Every batch its own segment.
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u1"), true).ok());
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u2"), true).ok());
  journal.reset();
  std::vector<std::string> names = Segments();
  ASSERT_EQ(names.size(), 2u);
  const std::string first = dir_ + "/" + names[0];
  // A torn tail in a segment that is not the last one.
  std::ofstream(first, std::ios::app | std::ios::binary) << '\x40' << "cut short";
  auto segments = ReadJournal(dir_);
  ASSERT_FALSE(segments.ok());
  EXPECT_TRUE(absl::IsDataLoss(segments.status())) << segments.status();
  EXPECT_NE(segments.status().message().find(first), absl::string_view::npos);
  // A record that does not parse.
  auto data = ReadFile(first);
  std::string garbled = data->substr(0, data->size() - 10);
  garbled[1] = '\x07';
  garbled[2] = '\x07';
  std::ofstream(first, std::ios::binary | std::ios::trunc) << garbled;
  segments = ReadJournal(dir_);
  ASSERT_FALSE(segments.ok());
  EXPECT_TRUE(absl::IsDataLoss(segments.status())) << segments.status();
  EXPECT_NE(segments.status().message().find(first + ": "), absl::string_view::npos);
  EXPECT_NE(segments.status().message().find("at byte 0"), absl::string_view::npos)
      << segments.status();
}

TEST_F(UpdateJournalTest, AFailedBatchFailsLaterRecordsUntilAReplaySucceeds) {
  auto journal = Open(/*segment_bytes=*/1);
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u1"), true).ok());
  // The next segment cannot be created.
  std::vector<std::string> names = Segments();
  std::string next = dir_ + "/" + names.back();
  next.back() = static_cast<char>(next.back() + 1);
  ASSERT_TRUE(std::filesystem::create_directory(next));
  std::promise<absl::Status> first, second;
  journal->Append(Update("t1", "u2"), true, [&](const absl::Status& s) { first.set_value(s); });
  absl::Status failed = first.get_future().get();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find(next), absl::string_view::npos) << failed;
  std::filesystem::remove(next);
  // Sticky: the disk is back, but records that followed the failure fail too.
  journal->Append(Update("t1", "u3"), true, [&](const absl::Status& s) { second.set_value(s); });
  EXPECT_EQ(second.get_future().get(), failed);
  // The agent's replay of its held writes, in order, lifts it.
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u2"), true).ok());
  ASSERT_TRUE(journal->AppendAndWait(Update("t1", "u3"), true).ok());
  EXPECT_EQ(UuidsOnDisk(), (std::vector<std::string>{"u1", "u2", "u3"}));
}

TEST_F(UpdateJournalTest, SegmentIsDeletedOnceEveryTaskInItIsReleased) {
  auto journal = Open(/*segment_bytes=*/1);
  ASSERT_TRUE(journal->AppendAndWait(Update("a", "ua"), true).ok());
  ASSERT_TRUE(journal->AppendAndWait(Update("b", "ub"), true).ok());
  std::vector<std::string> before = Segments();
  ASSERT_EQ(before.size(), 2u);
  journal->Release("fw", "ex-a", "a");
  // A later batch (here: AppendAndWait) runs after the FORGET's.
  ASSERT_TRUE(journal->AppendAndWait(Update("b", "ub2"), true).ok());
  std::vector<std::string> after = Segments();
  EXPECT_EQ(std::count(after.begin(), after.end(), before[0]), 0) << "a's segment deleted";
  EXPECT_EQ(std::count(after.begin(), after.end(), before[1]), 1) << "b's segment kept";
  journal->Release("fw", "ex-b", "b");
  ASSERT_TRUE(journal->AppendAndWait(Update("c", "uc"), true).ok());
  // Left: only c's segment (and the new, current, empty one).
  std::vector<std::string> uuids = UuidsOnDisk();
  EXPECT_EQ(uuids, (std::vector<std::string>{"uc"}));
  EXPECT_LE(journal->stats().segments, 2u);
}

TEST_F(UpdateJournalTest, ForgetOutlivesOlderRecordsOfItsTask) {
  auto journal = Open(/*segment_bytes=*/1);
  // a and b share one segment (queued while the writer is held in the
  // gate's `done`); b stays live.
  std::promise<void> writer_busy, open_gate, both;
  std::shared_future<void> gate = open_gate.get_future().share();
  journal->Append(Update("gate", "ug"), true, [&, gate](const absl::Status&) {
    writer_busy.set_value();
    gate.wait();
  });
  writer_busy.get_future().get();
  journal->Append(Update("b", "ub"), true, nullptr);
  journal->Append(Update("a", "ua"), true, [&](const absl::Status&) { both.set_value(); });
  open_gate.set_value();
  both.get_future().get();
  journal->Release("fw", "ex-a", "a");
  ASSERT_TRUE(journal->AppendAndWait(Update("c", "uc"), true).ok());
  journal.reset();
  // a's old record is still there (b pins its segment), so its FORGET is too.
  auto segments = ReadJournal(dir_);
  ASSERT_TRUE(segments.ok());
  bool forget_found = false;
  for (const auto& segment : *segments)
    for (const auto& record : segment.log.records)
      forget_found |= record.type() == internal::StatusUpdateRecord::FORGET;
  EXPECT_TRUE(forget_found);
}

TEST_F(UpdateJournalTest, ReleasingATaskKeepsTheSegmentOfItsIdUnderAnotherExecutor) {
  auto journal = Open(/*segment_bytes=*/1);
  internal::StatusUpdateRecord again = Update("a", "ua-again");
  again.mutable_executor_id()->set_value("ex-other");
  ASSERT_TRUE(journal->AppendAndWait(Update("a", "ua"), true).ok());
  ASSERT_TRUE(journal->AppendAndWait(again, true).ok());
  journal->Release("fw", "ex-a", "a");
  ASSERT_TRUE(journal->AppendAndWait(Update("c", "uc"), true).ok());
  EXPECT_EQ(UuidsOnDisk(), (std::vector<std::string>{"ua-again", "uc"}));
}

TEST_F(UpdateJournalTest, OpenKeepsOnlySegmentsOfLiveTasks) {
  {
    auto journal = Open(/*segment_bytes=*/1);
    ASSERT_TRUE(journal->AppendAndWait(Update("gone", "u1"), true).ok());
    ASSERT_TRUE(journal->AppendAndWait(Update("live", "u2"), true).ok());
  }
  auto journal = Open(/*segment_bytes=*/1, {{"fw", "ex-live", "live"}});
  ASSERT_NE(journal, nullptr);
  EXPECT_EQ(UuidsOnDisk(), (std::vector<std::string>{"u2"}));
  ASSERT_TRUE(journal->AppendAndWait(Update("live", "u3"), true).ok());
  EXPECT_EQ(UuidsOnDisk(), (std::vector<std::string>{"u2", "u3"}));
}

}  // namespace
}  // namespace agora::agent
