// Session kills and the launcher's descriptor hygiene, on real processes.
#include "agent/process_tree.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/launcher.hpp"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

class ProcessTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-process-tree-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  pid_t Launch(const std::string& script) {
    LaunchSpec spec;
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", script};
    spec.working_dir = dir_;
    spec.stdout_path = dir_ + "/stdout";
    spec.stderr_path = dir_ + "/stderr";
    auto pid = launcher_.Launch(spec);
    EXPECT_TRUE(pid.ok()) << pid.status();
    return pid.ok() ? *pid : -1;
  }
  // Waits (bounded) for `file` in dir_ to hold a pid.
  pid_t PidFrom(const std::string& file) {
    for (int i = 0; i < 2000; ++i) {
      std::ifstream in(dir_ + "/" + file);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (text.find('\n') != std::string::npos) return std::atoi(text.c_str());
      usleep(1000);
    }
    return 0;
  }
  static bool Alive(pid_t pid) {
    ProcessStat stat;
    return ReadProcessStat(pid, &stat) && stat.state != 'Z';
  }

  std::string dir_;
  PosixLauncher launcher_;
};

TEST_F(ProcessTreeTest, KillSessionKillsEveryProcessTheLeaderStartedEvenAfterItDied) {
  pid_t leader =
      Launch("setsid -w true; (sleep 100 & echo $! > grandchild; wait) & exec sleep 100");
  ASSERT_GT(leader, 0);
  pid_t grandchild = PidFrom("grandchild");
  ASSERT_GT(grandchild, 0);
  ProcessStat stat;
  ASSERT_TRUE(ReadProcessStat(leader, &stat));
  ASSERT_EQ(kill(leader, SIGKILL), 0);
  ASSERT_EQ(waitpid(leader, nullptr, 0), leader);
  EXPECT_TRUE(Alive(grandchild)) << "orphaned, still in the leader's session";
  EXPECT_GE(KillSession(leader, stat.start_ticks), 1);
  EXPECT_FALSE(Alive(grandchild));
  EXPECT_TRUE(SessionMembers(leader, 0).empty());
}

TEST_F(ProcessTreeTest, StartTimeGuardSparesProcessesOlderThanTheExecutor) {
  pid_t leader = Launch("exec sleep 100");
  ASSERT_GT(leader, 0);
  ProcessStat stat;
  ASSERT_TRUE(ReadProcessStat(leader, &stat));
  // A guard later than every member: nothing qualifies.
  EXPECT_TRUE(SessionMembers(leader, stat.start_ticks + 1000000).empty());
  EXPECT_EQ(SessionMembers(leader, stat.start_ticks), std::vector<pid_t>{leader});
  launcher_.KillTree(leader, SIGKILL);
  waitpid(leader, nullptr, 0);
}

TEST_F(ProcessTreeTest, LaunchedProcessesInheritOnlyStdinStdoutAndStderr) {
  int leaked = open("/dev/null", O_RDONLY);  // Not close-on-exec.
  ASSERT_GE(leaked, 3);
  pid_t pid = Launch("exec sleep 100");
  ASSERT_GT(pid, 0);
  // The shell execs sleep; the kernel renames the process before it closes
  // the shell's own close-on-exec descriptors, so wait (with a deadline)
  // for the exec to settle rather than reading once.
  auto open_fds = [pid] {
    std::set<std::string> fds;
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec))
      fds.insert(entry.path().filename().string());
    return fds;
  };
  std::set<std::string> fds;
  for (int i = 0; i < 5000; ++i) {
    std::string comm;
    std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/comm"), comm);
    fds = open_fds();
    if (comm == "sleep" && fds == std::set<std::string>{"0", "1", "2"}) break;
    usleep(1000);
  }
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
  close(leaked);
  launcher_.KillTree(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace
}  // namespace agora::agent
