// The agent with its update journal (meta/journal): segments of forgotten
// tasks are deleted, and an agent upgraded in place over per-task update
// logs of an older agent recovers its running task from them.
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"
#include "agent_cluster_fixture.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"
#include "tests/support/http_get.hpp"

namespace agora::agent {
namespace {
TEST_F(AgentClusterTest, JournalSegmentsOfForgottenTasksAreDeleted) {
  AgentOptions options = Options();
  options.http_port = 0;
  options.journal_segment_bytes = 1;  // Every batch starts a segment.
  StartAgent(options);
  for (const char* task : {"j-1", "j-2", "j-3"}) {
    ASSERT_TRUE(master_.Send(RunCommand(task, "true")));
    ASSERT_TRUE(WaitForState(task, v1::TASK_FINISHED));
  }
  const std::string work_dir = dir_ + "/work";
  // Finished, acknowledged, executors gone: the tasks are forgotten and no
  // segment with their records is left (the current one at most remains).
  EXPECT_TRUE(Eventually([&] {
    for (const char* task : {"j-1", "j-2", "j-3"}) {
      auto records = JournalRecords(work_dir, task);
      if (!records.ok() || !records->empty()) return false;
    }
    return ListDirectory(JournalDir(work_dir)).size() <= 1;
  })) << ListDirectory(JournalDir(work_dir)).size()
      << " segments left";
  std::string metrics = testing::HttpGet(agent_->http_port(), "/metrics");
  // 3 x (RUNNING, FINISHED, their acks, FORGET).
  EXPECT_GE(testing::MetricValue(metrics, "agora_agent_journal_records_total"), 15) << metrics;
  EXPECT_GT(testing::MetricValue(metrics, "agora_agent_journal_syncs_total"), 0) << metrics;
}

TEST_F(AgentClusterTest, AgentUpgradedInPlaceRecoversItsTaskFromALegacyPerTaskLog) {
  AgentOptions options = Options();
  options.port = FreePort();
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunCommand("legacy", "exec sleep 100")));
  ASSERT_TRUE(WaitForState("legacy", v1::TASK_RUNNING));
  const std::string work_dir = dir_ + "/work";
  ASSERT_TRUE(Eventually([&] {
    auto records = JournalRecords(work_dir, "legacy");
    return records.ok() && records->size() >= 2;  // RUNNING and its ack.
  }));
  agent_->Stop();
  agent_.reset();
  // What an agent before the journal left: the task's records in its own
  // log (records that do not name their task), and no journal.
  auto records = JournalRecords(work_dir, "legacy");
  ASSERT_TRUE(records.ok()) << records.status();
  const std::string legacy = TaskUpdatesPath(work_dir, "fw-1", "legacy", "legacy");
  for (internal::StatusUpdateRecord record : *records) {
    record.clear_executor_id();
    record.clear_task_id();
    ASSERT_TRUE(AppendRecord(legacy, record).ok());
  }
  std::filesystem::remove_all(JournalDir(work_dir));
  size_t registrations = 0;
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    registrations = master_.registrations().size();
  }

  StartAgent(options);
  ASSERT_TRUE(master_.WaitFor([&] { return master_.registrations().size() > registrations; }));
  {
    std::lock_guard<std::mutex> lock(master_.mu());
    const internal::AgentMessage& again = master_.registrations().back();
    ASSERT_EQ(again.reregister().tasks_size(), 1);
    EXPECT_EQ(again.reregister().tasks(0).state(), v1::TASK_RUNNING);
  }
  ASSERT_TRUE(master_.Send(KillMessage("legacy")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("legacy");
  // The acknowledged updates of the legacy log were not sent again.
  EXPECT_EQ(States(updates), (std::vector<v1::TaskState>{v1::TASK_RUNNING, v1::TASK_KILLED}));
  // The new update went to the journal; once forgotten, the task's legacy
  // directory is gone with it.
  EXPECT_TRUE(Eventually([&] {
    return !std::filesystem::exists(work_dir + "/meta/frameworks/fw-1/executors/legacy");
  }));
}

}  // namespace
}  // namespace agora::agent
