// Command tasks' size-capped logs and --switch_user: a real Agent, real
// agora-shim and task processes, a fake master.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent_cluster_fixture.hpp"
#include "gmock/gmock.h"

namespace agora::agent {
namespace {

using internal::MasterMessage;
using ::testing::HasSubstr;

class TaskLogsTest : public AgentClusterTest {
 protected:
  std::string Sandbox(const std::string& task_id) {
    return dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest";  // The newest run.
  }

  // Bytes of `path` and its rotated files; `*files` counts them.
  static uint64_t StreamBytes(const std::string& path, int* files) {
    uint64_t total = 0;
    *files = 0;
    std::error_code error;
    for (int i = 0;; ++i) {
      std::string name = i == 0 ? path : path + "." + std::to_string(i);
      uintmax_t size = std::filesystem::file_size(name, error);
      if (error) return total;
      total += size;
      ++*files;
    }
  }
};

TEST_F(TaskLogsTest, ATaskPrinting200MegabytesKeepsAtMostMaxSizeTimesMaxFiles) {
  AgentOptions options = Options();
  options.container_log_max_size = 1 << 20;
  options.container_log_max_files = 3;
  StartAgent(options);
  // 200 MB of lines through a 1 MiB x 3 cap (the bound is what a 1 GB task
  // would meet too), then a last line on each stream.
  ASSERT_TRUE(master_.Send(RunCommand(
      "chatty",
      "yes hello | head -n 34952533; echo THE-END; yes oops | head -c 3000000 >&2; echo BYE >&2")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("chatty");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FINISHED) << updates.back().message();
  int files = 0;
  EXPECT_LE(StreamBytes(Sandbox("chatty") + "/stdout", &files), 3u << 20);
  EXPECT_EQ(files, 3);
  EXPECT_LE(StreamBytes(Sandbox("chatty") + "/stderr", &files), 3u << 20);
  EXPECT_EQ(files, 3);
  std::string out = ReadWholeFile(Sandbox("chatty") + "/stdout");
  ASSERT_GE(out.size(), 14u);
  EXPECT_EQ(out.substr(out.size() - 14), "hello\nTHE-END\n");
  std::string err = ReadWholeFile(Sandbox("chatty") + "/stderr");
  ASSERT_GE(err.size(), 9u);
  EXPECT_EQ(err.substr(err.size() - 9), "oops\nBYE\n");
}

TEST_F(TaskLogsTest, ZeroMaxSizeLetsTheTaskWriteItsFilesDirectly) {
  AgentOptions options = Options();
  options.container_log_max_size = 0;
  StartAgent(options);
  // Without the shim's pipe, the task's stdout is the file itself.
  ASSERT_TRUE(master_.Send(RunCommand("direct", "echo hi; readlink /proc/self/fd/1")));
  ASSERT_EQ(WaitForTerminal("direct").back().state(), v1::TASK_FINISHED);
  EXPECT_EQ(ReadWholeFile(Sandbox("direct") + "/stdout"),
            "hi\n" + RunSandbox("direct") + "/stdout\n");
}

TEST_F(TaskLogsTest, ByDefaultTheTaskWritesIntoTheShimsPipe) {
  StartAgent(Options());  // 10 MiB x 5
  ASSERT_TRUE(master_.Send(RunCommand("piped", "readlink /proc/self/fd/1 /proc/self/fd/2")));
  ASSERT_EQ(WaitForTerminal("piped").back().state(), v1::TASK_FINISHED);
  EXPECT_THAT(ReadWholeFile(Sandbox("piped") + "/stdout"),
              ::testing::MatchesRegex("pipe:\\[[0-9]+\\]\npipe:\\[[0-9]+\\]\n"));
}

class SwitchUserTest : public TaskLogsTest {
 protected:
  void SetUp() override {
    TaskLogsTest::SetUp();
    if (geteuid() != 0) GTEST_SKIP() << "--switch_user needs an agent running as root";
    if (getpwnam("nobody") == nullptr) GTEST_SKIP() << "no user 'nobody' here";
  }

  AgentOptions SwitchOptions() {
    AgentOptions options = Options();
    options.switch_user = true;
    return options;
  }

  static MasterMessage RunAs(const std::string& task_id, const std::string& framework_user,
                             const std::string& command_user, const std::string& command) {
    MasterMessage message = RunCommand(task_id, command);
    message.mutable_run_tasks()->mutable_framework_info()->set_user(framework_user);
    message.mutable_run_tasks()->mutable_tasks(0)->mutable_command()->set_user(command_user);
    return message;
  }
};

TEST_F(SwitchUserTest, RunsTheTaskAsTheFrameworksUserOrTheCommandsUser) {
  StartAgent(SwitchOptions());
  std::string home = getpwnam("nobody")->pw_dir;
  ASSERT_TRUE(master_.Send(RunAs("as-framework", "nobody", "", "id -un; echo $USER $HOME")));
  ASSERT_EQ(WaitForTerminal("as-framework").back().state(), v1::TASK_FINISHED);
  EXPECT_EQ(ReadWholeFile(Sandbox("as-framework") + "/stdout"), "nobody\nnobody " + home + "\n");
  struct stat info {};
  ASSERT_EQ(stat(Sandbox("as-framework").c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, getpwnam("nobody")->pw_uid);

  ASSERT_TRUE(master_.Send(RunAs("as-command", "root", "nobody", "id -un")));
  ASSERT_EQ(WaitForTerminal("as-command").back().state(), v1::TASK_FINISHED);
  EXPECT_EQ(ReadWholeFile(Sandbox("as-command") + "/stdout"), "nobody\n");
}

TEST_F(SwitchUserTest, AnUnknownUserIsRefusedNamingIt) {
  StartAgent(SwitchOptions());
  ASSERT_TRUE(master_.Send(RunAs("ghost", "no-such-user-agora", "", "touch ran")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("ghost");
  ASSERT_FALSE(updates.empty());
  const v1::TaskStatus& last = updates.back();
  EXPECT_EQ(last.state(), v1::TASK_FAILED);
  EXPECT_EQ(last.reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_THAT(last.message(), HasSubstr("user 'no-such-user-agora' does not exist on this agent"));
  EXPECT_FALSE(std::filesystem::exists(Sandbox("ghost") + "/ran"));
}

TEST_F(SwitchUserTest, RootIsRefusedWithoutAllowRootTasks) {
  StartAgent(SwitchOptions());
  ASSERT_TRUE(master_.Send(RunAs("rooted", "root", "", "touch ran")));
  std::vector<v1::TaskStatus> updates = WaitForTerminal("rooted");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().state(), v1::TASK_FAILED);
  EXPECT_EQ(updates.back().reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_THAT(updates.back().message(), HasSubstr("--allow_root_tasks"));
  EXPECT_FALSE(std::filesystem::exists(Sandbox("rooted") + "/ran"));
}

TEST_F(SwitchUserTest, RootRunsWithAllowRootTasks) {
  AgentOptions options = SwitchOptions();
  options.allow_root_tasks = true;
  StartAgent(options);
  ASSERT_TRUE(master_.Send(RunAs("rooted", "root", "", "id -un")));
  ASSERT_EQ(WaitForTerminal("rooted").back().state(), v1::TASK_FINISHED);
  EXPECT_EQ(ReadWholeFile(Sandbox("rooted") + "/stdout"), "root\n");
}

}  // namespace
}  // namespace agora::agent
