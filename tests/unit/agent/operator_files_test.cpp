// The pure and file-level parts behind the agent's operator API: sandbox
// path resolution and reads (in a temp dir), the /proc stat parser, and the
// completed-task history's bounds.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/completed_tasks.hpp"
#include "agent/container_stats.hpp"
#include "agent/sandbox_files.hpp"
#include "common/validation.hpp"
#include "gtest/gtest.h"
#include "tests/support/subprocess.hpp"

namespace agora::agent {
namespace {

class SandboxFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_ = dir_.path() + "/sandbox";
    std::filesystem::create_directories(sandbox_ + "/sub");
    std::ofstream(sandbox_ + "/stdout") << "0123456789";
    std::ofstream(dir_.path() + "/secret") << "outside";
    std::filesystem::create_symlink(dir_.path() + "/secret", sandbox_ + "/leak");
    std::filesystem::create_symlink("..", sandbox_ + "/parent");
    std::filesystem::create_symlink("stdout", sandbox_ + "/sub/../same");
  }

  testing::TempDir dir_;
  std::string sandbox_;
};

TEST_F(SandboxFilesTest, ReadsRangesTailsAndPastTheEnd) {
  auto whole = ReadSandboxFile(sandbox_, "stdout", 0, 0);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->data(), "0123456789");
  EXPECT_EQ(whole->size(), 10u);
  auto tail = ReadSandboxFile(sandbox_, "stdout", -3, 0);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->data(), "789");
  EXPECT_EQ(tail->offset(), 7u);
  auto more_than_all = ReadSandboxFile(sandbox_, "stdout", -100, 2);
  ASSERT_TRUE(more_than_all.ok());
  EXPECT_EQ(more_than_all->data(), "01");
  auto past = ReadSandboxFile(sandbox_, "stdout", 50, 0);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(past->data(), "");
  EXPECT_EQ(past->offset(), 10u);
  auto via_link = ReadSandboxFile(sandbox_, "same", 0, 4);
  ASSERT_TRUE(via_link.ok()) << via_link.status();
  EXPECT_EQ(via_link->data(), "0123");
}

TEST_F(SandboxFilesTest, RefusesEscapesNamingPathWithoutRevealingWhatIsOutside) {
  for (const char* path : {"/etc/passwd", "../secret", "sub/../../secret", "leak", "parent/secret",
                           "parent/no-such-file", "sub/../../no-such-file"}) {
    SCOPED_TRACE(path);
    auto read = ReadSandboxFile(sandbox_, path, 0, 0);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << read.status();
    EXPECT_EQ(ViolatedField(read.status()), std::optional<std::string>("path"));
  }
  auto missing = ReadSandboxFile(sandbox_, "sub/none", 0, 0);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  auto directory = ReadSandboxFile(sandbox_, "sub", 0, 0);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument) << directory.status();
  auto gone = ReadSandboxFile(dir_.path() + "/no-sandbox", "stdout", 0, 0);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound) << gone.status();
}

TEST_F(SandboxFilesTest, ListsADirectoryWithoutFollowingLinks) {
  auto listed = ListSandboxDirectory(sandbox_, "");
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> paths;
  for (const auto& file : listed->files()) paths.push_back(file.path());
  EXPECT_EQ(paths, (std::vector<std::string>{"leak", "parent", "same", "stdout", "sub"}));
  EXPECT_TRUE(listed->files(4).is_directory());
  EXPECT_EQ(listed->files(3).size(), 10u);
  auto sub = ListSandboxDirectory(sandbox_, "sub");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->files_size(), 0);
  EXPECT_EQ(ListSandboxDirectory(sandbox_, "parent").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ContainerStatsTest, ParsesProcStatAfterTheLastParenthesis) {
  // Field 2 may hold spaces and ')'; state=3 session=6 utime=14 stime=15
  // cutime=16 cstime=17 starttime=22 rss=24 of proc(5).
  const std::string line =
      "42 (evil) name) S 1 42 41 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 1 0 9000 1000000 "
      "77 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
  ProcessUsage usage;
  ASSERT_TRUE(ParseProcessUsage(line, &usage));
  EXPECT_EQ(usage.state, 'S');
  EXPECT_EQ(usage.session, 41);
  EXPECT_EQ(usage.start_ticks, 9000u);
  EXPECT_EQ(usage.user_ticks, 11u + 33u);
  EXPECT_EQ(usage.system_ticks, 22u + 44u);
  EXPECT_EQ(usage.rss_pages, 77u);
  EXPECT_FALSE(ParseProcessUsage("42 (short) S 1 2 3", &usage));
  EXPECT_FALSE(ParseProcessUsage("no parenthesis", &usage));
}

TEST(ContainerStatsTest, CgroupFiguresReplaceUsageAndKeepTheResourcesLimitWhenNoneIsSet) {
  v1::ResourceStatistics statistics;
  statistics.set_cpus_limit(0.5);
  statistics.set_mem_limit_bytes(64u << 20);
  ContainerUsage usage;
  usage.cpu_seconds = 1.25;
  usage.memory_bytes = 5u << 20;
  usage.rss_bytes = 3u << 20;
  usage.memory_peak_bytes = 6u << 20;
  usage.pids = 4;
  usage.memory_limit_bytes = 0x7FFFFFFFFFFFF000;  // v1's "no limit".
  FillFromCgroup(usage, &statistics);
  EXPECT_DOUBLE_EQ(statistics.cpus_total_time_secs(), 1.25);
  EXPECT_EQ(statistics.cpus_user_time_secs(), 0);  // Not split by the cgroup.
  EXPECT_EQ(statistics.mem_current_bytes(), 5u << 20);
  EXPECT_EQ(statistics.mem_rss_bytes(), 3u << 20);
  EXPECT_EQ(statistics.mem_peak_bytes(), 6u << 20);
  EXPECT_EQ(statistics.processes(), 4u);
  EXPECT_EQ(statistics.mem_limit_bytes(), 64u << 20);
  EXPECT_DOUBLE_EQ(statistics.cpus_limit(), 0.5);
  EXPECT_GT(statistics.timestamp(), 0);

  usage.memory_limit_bytes = 32u << 20;
  FillFromCgroup(usage, &statistics);
  EXPECT_EQ(statistics.mem_limit_bytes(), 32u << 20);
}

TEST(ContainerStatsTest, SumsThisProcessSessionAndZerosAGoneOne) {
  const pid_t session = ::getsid(0);
  if (session <= 1) GTEST_SKIP() << "the test runs in session " << session;
  // A session id no process has (pid_max is below 2^22 by default).
  const pid_t gone = (1 << 22) + 7;
  std::map<pid_t, v1::ResourceStatistics> statistics = SessionStatistics({{session, 0}, {gone, 0}});
  EXPECT_GE(statistics[session].processes(), 1u);
  EXPECT_GT(statistics[session].mem_rss_bytes(), 0u);
  EXPECT_GT(statistics[session].timestamp(), 0);
  EXPECT_EQ(statistics[gone].processes(), 0u);
  EXPECT_EQ(statistics[gone].mem_rss_bytes(), 0u);
  // A start time after every member's: a recycled pid names none of them.
  EXPECT_EQ(SessionStatistics({{session, ~uint64_t{0}}})[session].processes(), 0u);
}

v1::Task Task(const std::string& framework, const std::string& executor, const std::string& id) {
  v1::Task task;
  task.mutable_framework_id()->set_value(framework);
  task.mutable_executor_id()->set_value(executor);
  task.mutable_task_id()->set_value(id);
  return task;
}

TEST(CompletedTasksTest, KeepsTheNewestExecutorsAndTasksWithinItsBounds) {
  CompletedTasks history(2, 2);
  history.Add(Task("fw", "e1", "t1"), "/s/e1");
  history.Add(Task("fw", "e2", "t2"), "/s/e2");
  history.Add(Task("fw", "e3", "t3"), "/s/e3");
  EXPECT_EQ(history.FindTask("", "t1"), nullptr);  // e1 dropped: oldest.
  ASSERT_NE(history.FindTask("fw", "t3"), nullptr);
  EXPECT_EQ(history.FindTask("fw", "t3")->sandbox, "/s/e3");
  history.Add(Task("fw", "e2", "a"), "/s/e2");
  history.Add(Task("fw", "e2", "b"), "/s/e2");
  const CompletedTasks::Executor* e2 = history.FindExecutor("fw", "e2");
  ASSERT_NE(e2, nullptr);
  ASSERT_EQ(e2->tasks.size(), 2u);  // t2 dropped: oldest of e2.
  EXPECT_EQ(e2->tasks.front().task_id().value(), "a");
  EXPECT_EQ(history.executors().back().executor_id, "e2");  // Newest after its adds.
}

TEST(CompletedTasksTest, CountsFrameworksSharingATaskId) {
  CompletedTasks history(10, 10);
  history.Add(Task("fw-a", "x", "same"), "/a");
  history.Add(Task("fw-b", "x", "same"), "/b");
  std::set<std::string> frameworks;
  const CompletedTasks::Executor* newest = history.FindTask("", "same", &frameworks);
  ASSERT_NE(newest, nullptr);
  EXPECT_EQ(newest->sandbox, "/b");
  EXPECT_EQ(frameworks.size(), 2u);
  EXPECT_EQ(history.FindTask("fw-a", "same")->sandbox, "/a");
}

}  // namespace
}  // namespace agora::agent
