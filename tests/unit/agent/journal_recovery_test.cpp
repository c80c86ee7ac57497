// LoadCheckpointedState with the update journal: a task's log is its legacy
// per-task records, then its journal records in order; records of unknown
// tasks and records voided by a FORGET are left out; a torn journal tail is
// truncated, other damage refused by name.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/checkpoint.hpp"
#include "agent/recovery_state.hpp"
#include "agent/update_journal.hpp"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

internal::StatusUpdateRecord Record(const std::string& task_id, const std::string& uuid,
                                    const std::string& executor_id = "ex") {
  internal::StatusUpdateRecord record;
  record.set_type(internal::StatusUpdateRecord::UPDATE);
  record.mutable_framework_id()->set_value("fw");
  record.mutable_executor_id()->set_value(executor_id);
  record.set_uuid(uuid);
  record.mutable_status()->set_uuid(uuid);
  record.mutable_status()->mutable_task_id()->set_value(task_id);
  record.mutable_status()->set_state(v1::TASK_RUNNING);
  return record;
}

class JournalRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-journal-recovery-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    internal::AgentCheckpoint agent;
    agent.mutable_info()->mutable_id()->set_value("agent-1");
    ASSERT_TRUE(WriteAgentCheckpoint(dir_, agent).ok());
    internal::ExecutorCheckpoint executor;
    executor.mutable_info()->mutable_executor_id()->set_value("ex");
    executor.mutable_info()->mutable_framework_id()->set_value("fw");
    ASSERT_TRUE(WriteMessage(ExecutorCheckpointPath(dir_, "fw", "ex"), executor).ok());
    internal::TaskCheckpoint task;
    task.mutable_task()->mutable_task_id()->set_value("t1");
    task.mutable_task()->mutable_framework_id()->set_value("fw");
    task.mutable_task()->mutable_executor_id()->set_value("ex");
    ASSERT_TRUE(WriteMessage(TaskCheckpointPath(dir_, "fw", "ex", "t1"), task).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `records` to the journal, one batch (and segment) each.
  void Journal(const std::vector<internal::StatusUpdateRecord>& records) {
    UpdateJournal::Options options;
    options.dir = JournalDir(dir_);
    options.segment_bytes = 1;
    auto journal = UpdateJournal::Open(options, {{"fw", "ex", "t1"}, {"fw", "ex", "t9"}});
    ASSERT_TRUE(journal.ok()) << journal.status();
    for (internal::StatusUpdateRecord record : records) {
      if (record.executor_id().value().empty()) record.mutable_executor_id()->set_value("ex");
      record.mutable_task_id()->set_value(record.status().task_id().value());
      ASSERT_TRUE((*journal)->AppendAndWait(record, true).ok());
    }
  }
  std::vector<std::string> RecoveredUuids() {
    auto state = LoadCheckpointedState(dir_);
    EXPECT_TRUE(state.ok()) << state.status();
    std::vector<std::string> uuids;
    if (!state.ok() || state->executors.size() != 1 || state->executors[0].tasks.size() != 1)
      return uuids;
    for (const auto& record : state->executors[0].tasks[0].log) uuids.push_back(record.uuid());
    return uuids;
  }
  std::vector<std::string> SegmentPaths() const {
    std::vector<std::string> paths;
    for (const std::string& name : ListDirectory(JournalDir(dir_)))
      paths.push_back(JournalDir(dir_) + "/" + name);
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  std::string dir_;
};

TEST_F(JournalRecoveryTest, JournalRecordsFollowTheLegacyLogInOrder) {
  const std::string legacy = TaskUpdatesPath(dir_, "fw", "ex", "t1");
  for (const char* uuid : {"legacy-1", "legacy-2"}) {
    internal::StatusUpdateRecord record = Record("t1", uuid);
    record.clear_executor_id();  // Legacy records do not name their task.
    ASSERT_TRUE(AppendRecord(legacy, record).ok());
  }
  Journal({Record("t1", "j-1"), Record("t9", "unknown-task"), Record("t1", "j-2")});
  EXPECT_EQ(RecoveredUuids(), (std::vector<std::string>{"legacy-1", "legacy-2", "j-1", "j-2"}));
}

TEST_F(JournalRecoveryTest, RecordsBeforeAForgetOfTheTaskAreVoid) {
  internal::StatusUpdateRecord forget;
  forget.set_type(internal::StatusUpdateRecord::FORGET);
  forget.mutable_framework_id()->set_value("fw");
  forget.mutable_status()->mutable_task_id()->set_value("t1");  // Names the task (see Journal).
  internal::StatusUpdateRecord other_executor = Record("t1", "other-executor", "ex-old");
  Journal({Record("t1", "first-life"), forget, other_executor, Record("t1", "second-life")});
  EXPECT_EQ(RecoveredUuids(), (std::vector<std::string>{"second-life"}));
}

TEST_F(JournalRecoveryTest, AForgetOfTheTaskUnderAnotherExecutorVoidsNothingOfThisOne) {
  internal::StatusUpdateRecord forget_old;
  forget_old.set_type(internal::StatusUpdateRecord::FORGET);
  forget_old.mutable_framework_id()->set_value("fw");
  forget_old.mutable_executor_id()->set_value("ex-old");
  forget_old.mutable_status()->mutable_task_id()->set_value("t1");
  // The task id was launched again (executor "ex") before the FORGET of its
  // first life (executor "ex-old") reached the journal.
  Journal({Record("t1", "first-life", "ex-old"), Record("t1", "second-life"), forget_old});
  EXPECT_EQ(RecoveredUuids(), (std::vector<std::string>{"second-life"}));
}

TEST_F(JournalRecoveryTest, TornTailOfTheLastSegmentIsTruncated) {
  Journal({Record("t1", "j-1"), Record("t1", "j-2")});
  const std::string last = SegmentPaths().back();
  size_t intact = std::filesystem::file_size(last);
  std::ofstream(last, std::ios::app | std::ios::binary) << '\x40' << "cut short";
  EXPECT_EQ(RecoveredUuids(), (std::vector<std::string>{"j-1", "j-2"}));
  EXPECT_EQ(std::filesystem::file_size(last), intact);
}

TEST_F(JournalRecoveryTest, DamageInAnEarlierSegmentRefusesNamingTheFile) {
  Journal({Record("t1", "j-1"), Record("t1", "j-2")});
  const std::string first = SegmentPaths().front();
  std::ofstream(first, std::ios::app | std::ios::binary) << '\x40' << "cut short";
  auto state = LoadCheckpointedState(dir_);
  ASSERT_FALSE(state.ok());
  EXPECT_TRUE(absl::IsDataLoss(state.status())) << state.status();
  EXPECT_NE(state.status().message().find(first), absl::string_view::npos) << state.status();
  EXPECT_NE(state.status().message().find("--recover=cleanup"), absl::string_view::npos);
  // The way out works.
  ASSERT_TRUE(CleanupWorkDir(dir_).ok());
  auto fresh = LoadCheckpointedState(dir_);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(fresh->executors.empty());
}

}  // namespace
}  // namespace agora::agent
