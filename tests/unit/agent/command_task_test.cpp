// The built-in command executor's pure helpers: the shell text of a command
// and what a shim's record amounts to.
#include "agent/command_task.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace agora::agent {
namespace {

using ::testing::HasSubstr;

shim::ShimStatusRead Recorded(shim::ShimState state, int code = 0, std::string message = "") {
  shim::ShimStatusRead read;
  read.outcome = shim::ShimStatusRead::kOk;
  read.status.shim = {100, 1};
  read.status.state = state;
  if (state != shim::ShimState::kError) read.status.task = shim::ProcessStamp{101, 2};
  read.status.code = code;
  read.status.message = std::move(message);
  return read;
}

TEST(CommandTaskTest, ShellCommandOfAShellCommandIsItsValue) {
  v1::CommandInfo command;
  command.set_shell(true);
  command.set_value("echo $HOME | wc -c");
  EXPECT_EQ(ShellCommandOf(command), "echo $HOME | wc -c");
}

TEST(CommandTaskTest, ArgvCommandIsQuotedSoEveryArgumentArrivesVerbatim) {
  v1::CommandInfo command;
  command.set_shell(false);
  command.set_value("/usr/bin/printf");
  command.add_arguments("printf");  // argv[0]: not passed by exec
  command.add_arguments("it's");
  command.add_arguments("$HOME `id` \"x\"");
  EXPECT_EQ(ShellCommandOf(command), "exec '/usr/bin/printf' 'it'\\''s' '$HOME `id` \"x\"'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(CommandTaskTest, ExitZeroFinishesAndAnyOtherCodeFailsWithTheStderrTail) {
  ShimEnd end;
  end.record = Recorded(shim::ShimState::kExited, 0);
  CommandEnd finished = DescribeCommandEnd(end);
  EXPECT_EQ(finished.state, v1::TASK_FINISHED);
  EXPECT_EQ(finished.message, "Command exited with status 0");
  ASSERT_TRUE(finished.wait_status.has_value());
  EXPECT_TRUE(WIFEXITED(*finished.wait_status) && WEXITSTATUS(*finished.wait_status) == 0);

  end.record = Recorded(shim::ShimState::kExited, 127);
  end.stderr_tail = "sh: 1: nosuch: not found";
  CommandEnd failed = DescribeCommandEnd(end);
  EXPECT_EQ(failed.state, v1::TASK_FAILED);
  EXPECT_EQ(failed.reason, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_EQ(failed.message, "Command exited with status 127: sh: 1: nosuch: not found");
  EXPECT_EQ(WEXITSTATUS(*failed.wait_status), 127);
}

TEST(CommandTaskTest, AnyEndAfterAKillRequestIsKilled) {
  ShimEnd end;
  end.kill_requested = true;
  for (auto record :
       {Recorded(shim::ShimState::kExited, 0), Recorded(shim::ShimState::kSignaled, 9),
        Recorded(shim::ShimState::kError, 0, "cannot run /bin/sh")}) {
    end.record = record;
    EXPECT_EQ(DescribeCommandEnd(end).state, v1::TASK_KILLED);
  }
  end.record.outcome = shim::ShimStatusRead::kMissing;
  EXPECT_EQ(DescribeCommandEnd(end).state, v1::TASK_KILLED);
}

TEST(CommandTaskTest, SignalAndLaunchErrorFailWithTheirReasons) {
  ShimEnd end;
  end.record = Recorded(shim::ShimState::kSignaled, 9);
  CommandEnd signaled = DescribeCommandEnd(end);
  EXPECT_EQ(signaled.state, v1::TASK_FAILED);
  EXPECT_THAT(signaled.message, HasSubstr("Command terminated by signal"));
  EXPECT_TRUE(WIFSIGNALED(*signaled.wait_status) && WTERMSIG(*signaled.wait_status) == 9);

  end.record = Recorded(shim::ShimState::kError, 0, "cannot enter sandbox /x: No such file");
  CommandEnd error = DescribeCommandEnd(end);
  EXPECT_EQ(error.state, v1::TASK_FAILED);
  EXPECT_EQ(error.reason, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_EQ(error.message, "Command could not be started: cannot enter sandbox /x: No such file");
  EXPECT_FALSE(error.wait_status.has_value());
}

TEST(CommandTaskTest, AShimThatEndedWithoutRecordingTheEndSaysWhatIsKnown) {
  ShimEnd end;
  end.record = Recorded(shim::ShimState::kStarted);
  end.shim_wait_status = SIGKILL;  // killed by SIGKILL (a wait status)
  CommandEnd lost = DescribeCommandEnd(end);
  EXPECT_EQ(lost.state, v1::TASK_FAILED);
  EXPECT_EQ(lost.reason, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_THAT(lost.message, HasSubstr("agora-shim was killed by signal"));
  EXPECT_THAT(lost.message, HasSubstr("started but not how it ended"));

  end.record = shim::ShimStatusRead{};
  end.record.outcome = shim::ShimStatusRead::kFailed;
  end.record.error = "/s/.agora-status: line 2: unknown record 'x'";
  end.shim_wait_status.reset();  // adopted after a restart: no wait status
  CommandEnd damaged = DescribeCommandEnd(end);
  EXPECT_THAT(damaged.message, HasSubstr("agora-shim ended"));
  EXPECT_THAT(damaged.message, HasSubstr("unknown record"));
}

TEST(CommandTaskTest, AShimThatCouldNotRecordSaysSo) {
  ShimEnd end;
  end.record.outcome = shim::ShimStatusRead::kFailed;
  end.record.error = "/s/.agora-status: empty status file";
  end.shim_wait_status = 1 << 8;  // exited with kShimCannotRecord
  CommandEnd failed = DescribeCommandEnd(end);
  EXPECT_EQ(failed.state, v1::TASK_FAILED);
  EXPECT_THAT(failed.message, HasSubstr("could not write the task's status file"));
  EXPECT_THAT(failed.message, HasSubstr("empty status file"));
}

TEST(CommandTaskTest, NoShimAndNoStatusFileAfterARestartMeansTheTaskNeverRan) {
  ShimEnd end;
  end.record.outcome = shim::ShimStatusRead::kMissing;
  end.no_shim_found = true;
  CommandEnd dropped = DescribeCommandEnd(end);
  EXPECT_EQ(dropped.state, v1::TASK_DROPPED);
  EXPECT_EQ(dropped.reason, v1::TaskStatus::REASON_AGENT_RESTARTED);
  EXPECT_THAT(dropped.message, HasSubstr("never ran"));
  // A status file means a shim did run: never "never ran".
  end.record = Recorded(shim::ShimState::kStarted);
  EXPECT_EQ(DescribeCommandEnd(end).state, v1::TASK_FAILED);
}

TEST(CommandTaskTest, FileTailIsTheLastWholeLinesOnOneLine) {
  std::string path = ::testing::TempDir() + "/command_task_tail";
  {
    std::ofstream out(path);
    out << "first line that is long enough to be cut\nsecond\nthird\n\n";
  }
  EXPECT_EQ(ReadFileTail(path, 1000), "first line that is long enough to be cut second third");
  EXPECT_EQ(ReadFileTail(path, 15), "second third");  // the cut line is dropped
  EXPECT_EQ(ReadFileTail(path + ".missing", 100), "");
  std::remove(path.c_str());
}

TEST(CommandTaskTest, KillGraceIsThePolicysElseThreeSeconds) {
  v1::KillPolicy policy;
  EXPECT_EQ(KillGrace(policy), absl::Seconds(3));
  policy.set_grace_period_seconds(0.25);
  EXPECT_EQ(KillGrace(policy), absl::Milliseconds(250));
}

}  // namespace
}  // namespace agora::agent
