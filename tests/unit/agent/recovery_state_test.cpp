// LoadCheckpointedState: strict reading of an agent's checkpoints, with the
// two crash leftovers it repairs and every other damage refused by name.
#include "agent/recovery_state.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/checkpoint.hpp"
#include "agent/process_tree.hpp"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

class RecoveryStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-recovery-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    internal::AgentCheckpoint agent;
    agent.mutable_info()->mutable_id()->set_value("agent-1");
    agent.set_boot_id(BootId());
    ASSERT_TRUE(WriteAgentCheckpoint(dir_, agent).ok());
    internal::FrameworkCheckpoint framework;
    framework.mutable_info()->mutable_id()->set_value("fw");
    ASSERT_TRUE(WriteMessage(FrameworkCheckpointPath(dir_, "fw"), framework).ok());
    internal::ExecutorCheckpoint executor;
    executor.mutable_info()->mutable_executor_id()->set_value("ex");
    executor.mutable_info()->mutable_framework_id()->set_value("fw");
    executor.set_pid(12345);
    executor.set_pid_start_ticks(678);
    ASSERT_TRUE(WriteMessage(ExecutorCheckpointPath(dir_, "fw", "ex"), executor).ok());
    internal::TaskCheckpoint task;
    task.mutable_task()->mutable_task_id()->set_value("t1");
    task.mutable_task()->mutable_framework_id()->set_value("fw");
    task.mutable_task()->mutable_executor_id()->set_value("ex");
    ASSERT_TRUE(WriteMessage(TaskCheckpointPath(dir_, "fw", "ex", "t1"), task).ok());
    AppendUpdate("u1", v1::TASK_STARTING);
    AppendUpdate("u2", v1::TASK_RUNNING);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AppendUpdate(const std::string& uuid, v1::TaskState state) {
    internal::StatusUpdateRecord record;
    record.set_type(internal::StatusUpdateRecord::UPDATE);
    record.mutable_framework_id()->set_value("fw");
    record.set_uuid(uuid);
    record.mutable_status()->set_uuid(uuid);
    record.mutable_status()->mutable_task_id()->set_value("t1");
    record.mutable_status()->set_state(state);
    ASSERT_TRUE(AppendRecord(LogPath(), record).ok());
  }
  std::string LogPath() const { return TaskUpdatesPath(dir_, "fw", "ex", "t1"); }
  static void Overwrite(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  }
  // Recovery fails with DATA_LOSS naming `path` and the way out.
  void ExpectRefusedNaming(const std::string& path) {
    auto state = LoadCheckpointedState(dir_);
    ASSERT_FALSE(state.ok());
    EXPECT_TRUE(absl::IsDataLoss(state.status())) << state.status();
    EXPECT_NE(state.status().message().find(path), absl::string_view::npos) << state.status();
    EXPECT_NE(state.status().message().find("--recover=cleanup"), absl::string_view::npos)
        << state.status();
  }

  std::string dir_;
};

TEST_F(RecoveryStateTest, IntactCheckpointsAreRecovered) {
  auto state = LoadCheckpointedState(dir_);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->agent.has_value());
  EXPECT_EQ(state->agent->info().id().value(), "agent-1");
  EXPECT_EQ(state->frameworks.count("fw"), 1u);
  ASSERT_EQ(state->executors.size(), 1u);
  EXPECT_EQ(state->executors[0].checkpoint.pid(), 12345);
  ASSERT_EQ(state->executors[0].tasks.size(), 1u);
  EXPECT_EQ(state->executors[0].tasks[0].log.size(), 2u);
}

TEST_F(RecoveryStateTest, TornLastUpdateRecordIsTruncatedAndRecoveryProceeds) {
  size_t intact = std::filesystem::file_size(LogPath());
  {
    std::ofstream out(LogPath(), std::ios::app | std::ios::binary);
    out << '\x40' << "cut short";  // Says 64 bytes, has 9.
  }
  auto state = LoadCheckpointedState(dir_);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->executors[0].tasks[0].log.size(), 2u);
  EXPECT_EQ(state->executors[0].tasks[0].log[1].status().state(), v1::TASK_RUNNING);
  EXPECT_EQ(std::filesystem::file_size(LogPath()), intact) << "the torn tail is cut off";
}

TEST_F(RecoveryStateTest, GarbageInTheMiddleOfAnUpdateLogRefusesNamingTheFile) {
  auto data = ReadFile(LogPath());
  ASSERT_TRUE(data.ok());
  std::string garbled = *data;
  garbled[1] = '\x07';  // The first record's type field becomes garbage.
  garbled[2] = '\x07';
  Overwrite(LogPath(), garbled);
  ExpectRefusedNaming(LogPath());
}

TEST_F(RecoveryStateTest, GarbledExecutorFileRefusesNamingTheFile) {
  Overwrite(ExecutorCheckpointPath(dir_, "fw", "ex"), "\xff\xfe garbage");
  ExpectRefusedNaming(ExecutorCheckpointPath(dir_, "fw", "ex"));
}

TEST_F(RecoveryStateTest, ExecutorFileOfAnotherExecutorRefusesNamingTheFile) {
  internal::ExecutorCheckpoint other;
  other.mutable_info()->mutable_executor_id()->set_value("someone-else");
  other.mutable_info()->mutable_framework_id()->set_value("fw");
  ASSERT_TRUE(WriteMessage(ExecutorCheckpointPath(dir_, "fw", "ex"), other).ok());
  ExpectRefusedNaming(ExecutorCheckpointPath(dir_, "fw", "ex"));
}

TEST_F(RecoveryStateTest, GarbledTaskFileRefusesNamingTheFile) {
  Overwrite(TaskCheckpointPath(dir_, "fw", "ex", "t1"), "\x0a\xff\xff");
  ExpectRefusedNaming(TaskCheckpointPath(dir_, "fw", "ex", "t1"));
}

TEST_F(RecoveryStateTest, TaskDirectoryWithoutItsTaskFileRefusesNamingTheFile) {
  std::filesystem::remove(TaskCheckpointPath(dir_, "fw", "ex", "t1"));
  ExpectRefusedNaming(TaskCheckpointPath(dir_, "fw", "ex", "t1"));
}

TEST_F(RecoveryStateTest, GarbledFrameworkFileRefusesNamingTheFile) {
  Overwrite(FrameworkCheckpointPath(dir_, "fw"), "\x0a\x05garb");
  ExpectRefusedNaming(FrameworkCheckpointPath(dir_, "fw"));
}

TEST_F(RecoveryStateTest, GarbledOrEmptyAgentIdFileRefusesNamingTheFile) {
  Overwrite(AgentCheckpointPath(dir_), "\x0a\x03\xff");
  ExpectRefusedNaming(AgentCheckpointPath(dir_));
  Overwrite(AgentCheckpointPath(dir_), "");
  ExpectRefusedNaming(AgentCheckpointPath(dir_));
  std::filesystem::remove(AgentCheckpointPath(dir_));
  ExpectRefusedNaming(AgentCheckpointPath(dir_));  // Tasks without an identity.
}

TEST_F(RecoveryStateTest, HalfWrittenLaunchCheckpointIsRemovedWithTheTaskNeverStarted) {
  std::string dir = TaskCheckpointPath(dir_, "fw", "ex", "t2");
  dir = dir.substr(0, dir.rfind('/'));
  std::filesystem::create_directories(dir);
  Overwrite(dir + "/task.tmp", "half");
  auto state = LoadCheckpointedState(dir_);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->executors[0].tasks.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(RecoveryStateTest, CleanupKillsTheWorkDirsProcessesAndMovesMetaAsideKeepingTheId) {
  // A "task" of this work dir, found by its AGORA_SANDBOX.
  std::string sandbox = "AGORA_SANDBOX=" + dir_ + "/sandboxes/fw/ex";
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
  char* envp[] = {sandbox.data(), nullptr};
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sleep", nullptr, &attr, argv, envp), 0);
  posix_spawnattr_destroy(&attr);
  ProcessStat stat;
  ASSERT_TRUE(ReadProcessStat(pid, &stat));
  ASSERT_EQ(SessionMembers(pid, 0), std::vector<pid_t>{pid});

  Overwrite(ExecutorCheckpointPath(dir_, "fw", "ex"), "\xff damaged");
  auto killed = CleanupWorkDir(dir_);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_GE(*killed, 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto state = LoadCheckpointedState(dir_);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->executors.empty());
  ASSERT_TRUE(state->agent.has_value());
  EXPECT_EQ(state->agent->info().id().value(), "agent-1");
  bool discarded = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    discarded |= entry.path().filename().string().rfind("meta.discarded.", 0) == 0;
  EXPECT_TRUE(discarded);
}

}  // namespace
}  // namespace agora::agent
