#include "agent/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace agora::agent {
namespace {

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-checkpoint-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CheckpointTest, AtomicWriteReplacesContentAndLeavesNoTempFile) {
  std::string path = dir_ + "/meta/agent";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "second");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(CheckpointTest, ReadOfMissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadFile(dir_ + "/missing").status()));
  EXPECT_TRUE(absl::IsNotFound(ReadAgentCheckpoint(dir_).status()));
}

TEST_F(CheckpointTest, AgentCheckpointRoundTrips) {
  internal::AgentCheckpoint checkpoint;
  checkpoint.mutable_info()->mutable_id()->set_value("agent-7");
  checkpoint.set_boot_id(BootId());
  ASSERT_TRUE(WriteAgentCheckpoint(dir_, checkpoint).ok());
  auto read = ReadAgentCheckpoint(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->info().id().value(), "agent-7");
  EXPECT_EQ(read->boot_id(), checkpoint.boot_id());
}

TEST_F(CheckpointTest, CorruptAgentCheckpointIsDataLoss) {
  ASSERT_TRUE(WriteFileAtomically(AgentCheckpointPath(dir_), std::string("\xff\xff\xff", 3)).ok());
  EXPECT_TRUE(absl::IsDataLoss(ReadAgentCheckpoint(dir_).status()));
}

TEST_F(CheckpointTest, RecordsAppendInOrderAndTornTailIsIgnored) {
  std::string path = TaskUpdatesPath(dir_, "fw", "ex", "t1");
  for (int i = 0; i < 3; ++i) {
    internal::StatusUpdateRecord record;
    record.set_type(internal::StatusUpdateRecord::UPDATE);
    record.set_uuid(std::string(1, static_cast<char>('a' + i)));
    record.mutable_status()->set_uuid(record.uuid());
    ASSERT_TRUE(AppendRecord(path, record).ok());
  }
  // A crash in the middle of an append leaves a partial record.
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << '\x20' << "partial";
  }
  auto records = ReadRecords(path);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].uuid(), "a");
  EXPECT_EQ((*records)[2].uuid(), "c");
}

TEST_F(CheckpointTest, MakeDirsFailsOnAFileInTheWay) {
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/file", "x").ok());
  EXPECT_FALSE(MakeDirs(dir_ + "/file/sub").ok());
}

TEST(CheckpointPathsTest, FollowTheDocumentedLayout) {
  EXPECT_EQ(AgentCheckpointPath("/w"), "/w/meta/agent");
  EXPECT_EQ(TaskUpdatesPath("/w", "f", "e", "t"),
            "/w/meta/frameworks/f/executors/e/tasks/t/updates");
  EXPECT_EQ(SandboxPath("/w", "f", "e"), "/w/sandboxes/f/e");
}

}  // namespace
}  // namespace agora::agent
