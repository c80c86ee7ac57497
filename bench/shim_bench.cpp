// agora-shim-bench: the cost of starting tasks through agora-shim, for issue
// 9's budget of 4 ms CPU per task (agent + master + everything they start).
//
//   agora-shim-bench [--tasks=1000] [--dir=DIR] [--shim=PATH]
//
// Runs N processes one after another, four ways: /bin/true (the cost of any
// exec), agora-shim alone with a bad command line (its start-up and exit),
// `/bin/sh -c true` spawned directly (a task without a shim), and `true` through agora-shim (one
// sandbox each, both status records fsynced). Prints wall time and CPU (user + sys of the children,
// i.e. the shim and the task) per task, and p50/p99 wall per task.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "shim/shim_status.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Spawns argv with stdout/stderr to /dev/null and waits; returns the wait status.
int RunToEnd(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "cannot spawn %s: %s\n", argv[0], std::strerror(rc));
    std::exit(1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

// Runs `make_args(i)` for i in [0, tasks) and prints the figures.
template <typename MakeArgs, typename Check>
void Measure(const char* name, int tasks, MakeArgs make_args, Check check) {
  std::vector<double> walls;
  double cpu_before = ChildrenCpuSeconds();
  Clock::time_point start = Clock::now();
  for (int i = 0; i < tasks; ++i) {
    std::vector<std::string> args = make_args(i);
    Clock::time_point one = Clock::now();
    int status = RunToEnd(args);
    walls.push_back(std::chrono::duration<double, std::milli>(Clock::now() - one).count());
    check(i, status);
  }
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = ChildrenCpuSeconds() - cpu_before;
  std::sort(walls.begin(), walls.end());
  std::printf(
      "%-28s %5d tasks  wall %6.2f s (%5.0f tasks/s)  CPU %.3f ms/task  "
      "p50 %.2f ms  p99 %.2f ms\n",
      name, tasks, wall, tasks / wall, cpu * 1000 / tasks, walls[walls.size() / 2],
      walls[walls.size() * 99 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 1000;
  std::string shim = AGORA_SHIM_PATH;
  std::string base = std::filesystem::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--tasks=", 0) == 0) {
      tasks = std::atoi(arg.c_str() + 8);
    } else if (arg.rfind("--shim=", 0) == 0) {
      shim = arg.substr(7);
    } else if (arg.rfind("--dir=", 0) == 0) {
      base = arg.substr(6);
    } else {
      std::fprintf(stderr, "usage: agora-shim-bench [--tasks=N] [--dir=DIR] [--shim=PATH]\n");
      return 2;
    }
  }
  std::string pattern = base + "/agora-shim-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp %s: %s\n", pattern.c_str(), std::strerror(errno));
    return 1;
  }
  const std::string dir = pattern;
  auto expect_exit = [](int code) {
    return [code](int i, int status) {
      if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
        std::fprintf(stderr, "run %d: unexpected wait status %d\n", i, status);
        std::exit(1);
      }
    };
  };

  Measure(
      "/bin/true (exec floor)", tasks, [](int) { return std::vector<std::string>{"/bin/true"}; },
      expect_exit(0));
  Measure(
      "agora-shim start+exit", tasks, [&](int) { return std::vector<std::string>{shim}; },
      expect_exit(2));
  Measure(
      "/bin/sh -c true (no shim)", tasks,
      [](int) {
        return std::vector<std::string>{"/bin/sh", "-c", "true"};
      },
      expect_exit(0));
  Measure(
      "agora-shim -> sh -c true", tasks,
      [&](int i) {
        std::string sandbox = dir + "/" + std::to_string(i);
        mkdir(sandbox.c_str(), 0755);
        return std::vector<std::string>{shim, "--sandbox=" + sandbox, "--command=true"};
      },
      [&](int i, int status) {
        std::string path = dir + "/" + std::to_string(i) + "/.agora-status";
        agora::shim::ShimStatusRead read = agora::shim::ReadShimStatusFile(path);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            read.outcome != agora::shim::ShimStatusRead::kOk ||
            agora::shim::DescribeShimStatus(read.status) != "exited 0") {
          std::fprintf(stderr, "task %d: shim wait status %d, record: %s\n", i, status,
                       read.outcome == agora::shim::ShimStatusRead::kOk
                           ? agora::shim::DescribeShimStatus(read.status).c_str()
                           : read.error.c_str());
          std::exit(1);
        }
      });
  std::filesystem::remove_all(dir);
  return 0;
}
