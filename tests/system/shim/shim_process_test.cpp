// agora-shim as the agent will run it: a real binary starting real shell
// commands, checked through its status file and the processes left behind.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shim/shim.hpp"
#include "shim/shim_status.hpp"

extern char** environ;

namespace agora::shim {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(10);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `condition` every 2 ms until it holds or `kDeadline` passes.
bool WaitFor(const std::function<bool()>& condition) {
  Clock::time_point deadline = Clock::now() + kDeadline;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// True unless `stamp` names a live (non-zombie) process.
bool Gone(const ProcessStamp& stamp) {
  std::string stat = ReadFile("/proc/" + std::to_string(stamp.pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  if (stat[paren + 2] == 'Z') return true;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return field != std::to_string(stamp.start_time);
}

class ShimProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-shim-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    sandbox_ = dir_ + "/sandbox";
    std::filesystem::create_directory(sandbox_);
  }

  void TearDown() override {
    if (shim_pid_ > 0) {
      kill(shim_pid_, SIGKILL);
      waitpid(shim_pid_, nullptr, 0);
    }
    if (HasFailure()) {
      std::cerr << "[test] keeping " << dir_ << "\n";
    } else {
      std::filesystem::remove_all(dir_);
    }
  }

  // Starts agora-shim with `flags`; its own stderr goes to dir_/shim.stderr
  // (or it starts with descriptors 0-2 closed).
  void StartShim(const std::vector<std::string>& flags, bool closed_stdio = false) {
    std::vector<std::string> args = {AGORA_SHIM_PATH};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string log = dir_ + "/shim.stderr";
    if (closed_stdio) {
      for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        posix_spawn_file_actions_addclose(&actions, fd);
      }
    } else {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    ASSERT_EQ(posix_spawn(&shim_pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }

  // Waits for the shim to exit; returns its exit code (-1 if signaled).
  int WaitShim() {
    int status = 0;
    bool exited = WaitFor([&] { return waitpid(shim_pid_, &status, WNOHANG) == shim_pid_; });
    EXPECT_TRUE(exited) << "agora-shim did not exit";
    if (!exited) return -2;
    shim_pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Runs `command` through the shim in the sandbox to its end.
  ShimStatus Run(const std::string& command, std::vector<std::string> flags = {}) {
    flags.push_back("--sandbox=" + sandbox_);
    flags.push_back("--command=" + command);
    StartShim(flags);
    EXPECT_EQ(WaitShim(), 0) << ReadFile(dir_ + "/shim.stderr");
    return Status();
  }

  ShimStatus Status(const std::string& path = "") {
    ShimStatusRead read = ReadShimStatusFile(path.empty() ? sandbox_ + "/.agora-status" : path);
    EXPECT_EQ(read.outcome, ShimStatusRead::kOk) << read.error;
    return read.status;
  }

  // Waits until the status file says the task started; returns the task.
  ProcessStamp WaitStarted() {
    ProcessStamp task;
    EXPECT_TRUE(WaitFor([&] {
      ShimStatusRead read = ReadShimStatusFile(sandbox_ + "/.agora-status");
      if (read.outcome != ShimStatusRead::kOk || !read.status.task) return false;
      task = *read.status.task;
      return true;
    }));
    return task;
  }

  std::string dir_;
  std::string sandbox_;
  pid_t shim_pid_ = 0;
};

TEST_F(ShimProcessTest, RecordsExitCodes) {
  ShimStatus success = Run("true");
  EXPECT_EQ(success.state, ShimState::kExited);
  EXPECT_EQ(success.code, 0);
  ASSERT_TRUE(success.task.has_value());
  EXPECT_NE(success.task->pid, success.shim.pid);
  EXPECT_GT(success.task->start_time, 0u);
  EXPECT_GT(success.end_time_ms, 0);

  ShimStatus failure = Run("exit 3");
  EXPECT_EQ(DescribeShimStatus(failure), "exited 3");
}

TEST_F(ShimProcessTest, RecordsATaskKilledBySigkill) {
  StartShim({"--sandbox=" + sandbox_, "--command=sleep 30"});
  ProcessStamp task = WaitStarted();
  ASSERT_GT(task.pid, 0);
  ASSERT_EQ(kill(-task.pid, SIGKILL), 0);
  // If `sh` forked `sleep` rather than exec'ing it, the sleep (also killed)
  // may still be on its way out when the shim looks for leftovers.
  int code = WaitShim();
  EXPECT_TRUE(code == kShimRecorded || code == kShimRecordedLeftovers) << code;
  EXPECT_EQ(DescribeShimStatus(Status()), "signaled 9");
}

TEST_F(ShimProcessTest, SigtermReachesADaemonizedChildInTheSession) {
  // The subshell forks `sleep` into the background and exits: the sleep is
  // orphaned (double fork) but stays in the task's process group and in the
  // shim's session.
  StartShim({"--sandbox=" + sandbox_,
             "--command=(sleep 30 & echo $! > daemon.pid.tmp && mv daemon.pid.tmp daemon.pid); "
             "sleep 30"});
  ProcessStamp task = WaitStarted();
  std::string daemon_pid;
  ASSERT_TRUE(WaitFor([&] { return !(daemon_pid = ReadFile(sandbox_ + "/daemon.pid")).empty(); }));
  ProcessStamp daemon;
  daemon.pid = std::stoi(daemon_pid);
  std::string stat = ReadFile("/proc/" + daemon_pid.substr(0, daemon_pid.size() - 1) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  daemon.start_time = std::stoull(field);
  ASSERT_FALSE(Gone(daemon));
  EXPECT_EQ(getpgid(daemon.pid), task.pid) << "the daemon left the task's process group";
  EXPECT_EQ(getsid(daemon.pid), getsid(shim_pid_)) << "the daemon left the shim's session";

  ASSERT_EQ(kill(shim_pid_, SIGTERM), 0);
  // The daemon got the SIGTERM too; it may still be on its way out when the
  // shim looks for leftovers.
  int code = WaitShim();
  EXPECT_TRUE(code == kShimRecorded || code == kShimRecordedLeftovers) << code;
  EXPECT_EQ(DescribeShimStatus(Status()), "signaled 15");
  EXPECT_TRUE(WaitFor([&] { return Gone(daemon); })) << "daemonized child survived SIGTERM";
  EXPECT_TRUE(Gone(task));
}

TEST_F(ShimProcessTest, ReportsLeftoversOnlyWhenTheTaskLeftProcessesBehind) {
  StartShim({"--sandbox=" + sandbox_, "--command=true"});
  EXPECT_EQ(WaitShim(), kShimRecorded);

  // A double-forked sleep outlives the task: the shim, its subreaper, sees it.
  StartShim({"--sandbox=" + sandbox_, "--command=(sleep 30 &); exit 0"});
  EXPECT_EQ(WaitShim(), kShimRecordedLeftovers);
  EXPECT_EQ(DescribeShimStatus(Status()), "exited 0");
  ASSERT_TRUE(Status().task.has_value());
  kill(-Status().task->pid, SIGKILL);  // the sleep is still in the task's group
}

TEST_F(ShimProcessTest, OutputEnvironmentAndDirectory) {
  {
    std::ofstream earlier(sandbox_ + "/stdout");
    earlier << "earlier\n";
  }
  ShimStatus status =
      Run("echo out $AGORA_X; echo $PATH; echo err >&2; pwd; read line || echo no stdin",
          {"--env=AGORA_X=x=1", "--env=PATH=/usr/bin:/bin"});
  EXPECT_EQ(DescribeShimStatus(status), "exited 0");
  EXPECT_EQ(ReadFile(sandbox_ + "/stdout"),
            "earlier\nout x=1\n/usr/bin:/bin\n" + sandbox_ + "\nno stdin\n");
  EXPECT_EQ(ReadFile(sandbox_ + "/stderr"), "err\n");

  ShimStatus elsewhere =
      Run("echo moved; echo moved-err >&2",
          {"--stdout=" + dir_ + "/o", "--stderr=" + dir_ + "/e", "--status=" + dir_ + "/status"});
  (void)elsewhere;
  EXPECT_EQ(DescribeShimStatus(Status(dir_ + "/status")), "exited 0");
  EXPECT_EQ(ReadFile(dir_ + "/o"), "moved\n");
  EXPECT_EQ(ReadFile(dir_ + "/e"), "moved-err\n");
}

TEST_F(ShimProcessTest, WorksWhenStartedWithoutStandardDescriptors) {
  StartShim({"--sandbox=" + sandbox_, "--command=echo out; echo err >&2"}, true);
  ASSERT_EQ(WaitShim(), 0);
  EXPECT_EQ(DescribeShimStatus(Status()), "exited 0");
  EXPECT_EQ(ReadFile(sandbox_ + "/stdout"), "out\n");
  EXPECT_EQ(ReadFile(sandbox_ + "/stderr"), "err\n");
}

TEST_F(ShimProcessTest, CommandNotFoundIsTheShellsExitCodeAndMessage) {
  ShimStatus status = Run("no-such-command-agora");
  EXPECT_EQ(DescribeShimStatus(status), "exited 127");
  EXPECT_THAT(ReadFile(sandbox_ + "/stderr"), HasSubstr("no-such-command-agora"));
}

TEST_F(ShimProcessTest, SpawnErrorsAreErrorRecords) {
  std::string status_path = dir_ + "/status";
  StartShim({"--sandbox=" + dir_ + "/missing", "--command=true", "--status=" + status_path});
  EXPECT_EQ(WaitShim(), 0);
  ShimStatus missing_sandbox = Status(status_path);
  EXPECT_EQ(missing_sandbox.state, ShimState::kError);
  EXPECT_FALSE(missing_sandbox.task.has_value());
  EXPECT_EQ(missing_sandbox.message,
            "cannot enter sandbox " + dir_ + "/missing: No such file or directory");

  ShimStatus missing_shell = Run("true", {"--shell=" + dir_ + "/no-sh"});
  EXPECT_EQ(missing_shell.state, ShimState::kError);
  EXPECT_EQ(missing_shell.message, "cannot run " + dir_ + "/no-sh: No such file or directory");

  ShimStatus bad_stdout = Run("true", {"--stdout=" + dir_ + "/missing/stdout"});
  EXPECT_EQ(bad_stdout.state, ShimState::kError);
  EXPECT_THAT(bad_stdout.message, HasSubstr("cannot open stdout file " + dir_ + "/missing/stdout"));
}

// Plain directories stand in for cgroups: cgroup.procs is a file that
// records what was written into it.
TEST_F(ShimProcessTest, TheTaskJoinsTheCpuCgroupItselfAndTheShimTheOthers) {
  std::string cpu = dir_ + "/cpu", memory = dir_ + "/memory";
  std::filesystem::create_directories(cpu);
  std::filesystem::create_directories(memory);
  for (const std::string& file :
       {cpu + "/cpu.shares", cpu + "/cgroup.procs", memory + "/cgroup.procs"})
    std::ofstream(file).flush();
  ShimStatus status = Run("true", {"--cgroup=" + cpu, "--cgroup=" + memory});
  EXPECT_EQ(DescribeShimStatus(status), "exited 0") << status.message;
  // The task wrote "0" (itself) once; the shim never joined the cpu cgroup.
  EXPECT_EQ(ReadFile(cpu + "/cgroup.procs"), "0");
  EXPECT_EQ(ReadFile(memory + "/cgroup.procs"), std::to_string(status.shim.pid));

  ShimStatus missing_shell = Run("true", {"--cgroup=" + cpu, "--shell=" + dir_ + "/no-sh"});
  EXPECT_EQ(missing_shell.state, ShimState::kError);
  EXPECT_EQ(missing_shell.message, "cannot run " + dir_ + "/no-sh: No such file or directory");

  // The task cannot write itself into the cpu cgroup: nothing runs.
  std::filesystem::remove(cpu + "/cgroup.procs");
  std::filesystem::create_symlink("/dev/full", cpu + "/cgroup.procs");
  ShimStatus refused = Run("touch ran", {"--cgroup=" + cpu});
  EXPECT_EQ(refused.state, ShimState::kError);
  EXPECT_EQ(refused.message, "cannot join the task's cpu cgroup: No space left on device");
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/ran"));
}

TEST_F(ShimProcessTest, UnwritableStatusFileFailsTheShimAndStopsTheTask) {
  std::string status_path = dir_ + "/missing/status";
  StartShim({"--sandbox=" + sandbox_, "--command=echo $$ > task.pid; exec sleep 30",
             "--status=" + status_path});
  EXPECT_EQ(WaitShim(), 1);
  EXPECT_THAT(ReadFile(dir_ + "/shim.stderr"),
              HasSubstr("cannot record 'started' in status file " + status_path));
}

TEST_F(ShimProcessTest, ShimKilledMidTaskLeavesOnlyTheStartedRecord) {
  // Documented limit: without the shim nobody records the end. The agent
  // sees `started`, a dead shim and (later) a dead task: exit status lost.
  StartShim({"--sandbox=" + sandbox_, "--command=sleep 30"});
  ProcessStamp task = WaitStarted();
  ASSERT_EQ(kill(shim_pid_, SIGKILL), 0);
  EXPECT_EQ(WaitShim(), -1);
  ASSERT_EQ(kill(-task.pid, SIGKILL), 0);
  ShimStatus status = Status();
  EXPECT_EQ(status.state, ShimState::kStarted);
  EXPECT_EQ(*status.task, task);
}

// Bytes of `path` and its rotated files path.1, path.2, ...
uint64_t StreamBytesOnDisk(const std::string& path, int* files) {
  uint64_t total = 0;
  *files = 0;
  std::error_code error;
  for (int i = 0;; ++i) {
    std::string name = i == 0 ? path : path + "." + std::to_string(i);
    uintmax_t size = std::filesystem::file_size(name, error);
    if (error) break;
    total += size;
    ++*files;
  }
  return total;
}

TEST_F(ShimProcessTest, RotatedOutputStaysUnderTheCapAndKeepsTheLastLines) {
  // 200 MB through a 1 MiB x 3 cap (as good as 1 GB: the cap is what counts).
  ShimStatus status =
      Run("yes hello | head -n 34952533; echo THE-END; yes oops | head -c 5000000 >&2",
          {"--log_max_size=1048576", "--log_max_files=3"});
  EXPECT_EQ(DescribeShimStatus(status), "exited 0");
  int files = 0;
  EXPECT_LE(StreamBytesOnDisk(sandbox_ + "/stdout", &files), 3u << 20);
  EXPECT_EQ(files, 3);
  EXPECT_LE(StreamBytesOnDisk(sandbox_ + "/stderr", &files), 3u << 20);
  EXPECT_EQ(files, 3);
  std::string out = ReadFile(sandbox_ + "/stdout");
  ASSERT_GE(out.size(), 14u);
  EXPECT_EQ(out.substr(out.size() - 14), "hello\nTHE-END\n");
  // Rotation cuts after whole lines: every file starts with one.
  EXPECT_EQ(ReadFile(sandbox_ + "/stdout.2").substr(0, 6), "hello\n");
  EXPECT_EQ(ReadFile(sandbox_ + "/stderr").substr(0, 5), "oops\n");
}

TEST_F(ShimProcessTest, RotatedOutputIsCompleteWhenTheShimRecordsTheEnd) {
  ShimStatus status = Run("echo out $AGORA_X; echo err >&2; pwd; printf 'no newline'",
                          {"--env=AGORA_X=x", "--log_max_size=1048576", "--log_max_files=2"});
  EXPECT_EQ(DescribeShimStatus(status), "exited 0");
  EXPECT_EQ(ReadFile(sandbox_ + "/stdout"), "out x\n" + sandbox_ + "\nno newline");
  EXPECT_EQ(ReadFile(sandbox_ + "/stderr"), "err\n");
}

TEST_F(ShimProcessTest, ADescendantHoldingTheLogPipeDoesNotDelayTheEnd) {
  // The double-forked sleep keeps the pipe open: the shim records the end
  // with what the task wrote and reports the leftover.
  auto started = Clock::now();
  StartShim({"--sandbox=" + sandbox_, "--command=(sleep 30 &); echo last", "--log_max_size=4096",
             "--log_max_files=2"});
  EXPECT_EQ(WaitShim(), kShimRecordedLeftovers);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(DescribeShimStatus(Status()), "exited 0");
  EXPECT_EQ(ReadFile(sandbox_ + "/stdout"), "last\n");
  ASSERT_TRUE(Status().task.has_value());
  kill(-Status().task->pid, SIGKILL);
}

TEST_F(ShimProcessTest, SigtermStillReachesATaskWhoseOutputIsCopied) {
  StartShim({"--sandbox=" + sandbox_, "--command=echo up; exec sleep 30", "--log_max_size=4096"});
  WaitStarted();
  ASSERT_TRUE(WaitFor([&] { return ReadFile(sandbox_ + "/stdout") == "up\n"; }));
  ASSERT_EQ(kill(shim_pid_, SIGTERM), 0);
  EXPECT_EQ(WaitShim(), kShimRecorded);
  EXPECT_EQ(DescribeShimStatus(Status()), "signaled 15");
}

TEST_F(ShimProcessTest, RunsTheTaskAsAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  for (bool rotated : {false, true}) {
    std::vector<std::string> flags = {"--uid=65534", "--gid=65534", "--groups=65534",
                                      "--env=HOME=/nonexistent"};
    if (rotated) flags.push_back("--log_max_size=4096");
    std::filesystem::remove(sandbox_ + "/stdout");
    ShimStatus status = Run("id -u; id -g; id -G; echo $HOME; touch mine", flags);
    EXPECT_EQ(DescribeShimStatus(status), "exited 0");
    EXPECT_EQ(ReadFile(sandbox_ + "/stdout"), "65534\n65534\n65534\n/nonexistent\n");
    struct stat info {};
    ASSERT_EQ(stat((sandbox_ + "/mine").c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 65534u);
    ASSERT_EQ(stat((sandbox_ + "/stdout").c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 65534u) << "rotated=" << rotated;
    ASSERT_EQ(stat(sandbox_.c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 65534u);
    std::filesystem::remove(sandbox_ + "/mine");
  }
}

TEST_F(ShimProcessTest, BadCommandLineExitsTwoAndStartsNothing) {
  StartShim({"--command=true"});
  EXPECT_EQ(WaitShim(), 2);
  EXPECT_THAT(ReadFile(dir_ + "/shim.stderr"), HasSubstr("--sandbox is required"));
}

}  // namespace
}  // namespace agora::shim
