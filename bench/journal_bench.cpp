// agora-journal-bench: what group commit buys. N threads each append M
// synced status update records as fast as their `done` comes back (one in
// flight per thread, like an executor waiting for its Update reply), first
// through the agent's UpdateJournal, then (--baseline) one AppendRecord with
// its own fdatasync per record into per-task logs, as agents did before the
// journal. Prints records/s, syncs/s and records per sync.
//
//   agora-journal-bench [--appenders=64] [--records=50] [--dir=DIR] [--baseline]
//
// DIR (default: a temp dir under /tmp) should be on the disk the agent's
// work_dir would use: the figures are the disk's.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "agent/checkpoint.hpp"
#include "agent/update_journal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using agora::agent::UpdateJournal;

agora::internal::StatusUpdateRecord Record(int appender, int index) {
  agora::internal::StatusUpdateRecord record;
  record.set_type(agora::internal::StatusUpdateRecord::UPDATE);
  std::string task = "task-" + std::to_string(appender);
  std::string uuid = task + "-" + std::to_string(index);
  record.mutable_framework_id()->set_value("bench-framework");
  record.mutable_executor_id()->set_value(task);
  record.mutable_task_id()->set_value(task);
  record.set_uuid(uuid);
  record.mutable_status()->set_uuid(uuid);
  record.mutable_status()->mutable_task_id()->set_value(task);
  record.mutable_status()->set_state(agora::v1::TASK_RUNNING);
  record.mutable_status()->set_message("a status update of a typical size, with a message");
  return record;
}

// Runs `appenders` threads of `records` appends each; returns seconds.
template <typename AppendFn>
double Run(int appenders, int records, AppendFn append) {
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int a = 0; a < appenders; ++a) {
    threads.emplace_back([&, a] {
      for (int i = 0; i < records; ++i) append(a, i);
    });
  }
  for (auto& thread : threads) thread.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Print(const char* what, int total, double seconds, double syncs) {
  std::printf("%-10s %7d records in %6.3f s: %9.0f records/s, %8.0f syncs/s, %6.1f records/sync\n",
              what, total, seconds, total / seconds, syncs / seconds, total / syncs);
}

}  // namespace

int main(int argc, char** argv) {
  int appenders = 64;
  int records = 50;
  bool baseline = false;
  std::string dir;
  bool own_dir = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--appenders=", 0) == 0) {
      appenders = std::atoi(arg.c_str() + 12);
    } else if (arg.rfind("--records=", 0) == 0) {
      records = std::atoi(arg.c_str() + 10);
    } else if (arg.rfind("--dir=", 0) == 0) {
      dir = arg.substr(6);
    } else if (arg == "--baseline") {
      baseline = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (appenders <= 0 || records <= 0) {
    std::fprintf(stderr, "--appenders and --records must be positive\n");
    return 2;
  }
  if (dir.empty()) {
    char pattern[] = "/tmp/agora-journal-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    own_dir = true;
  }
  const int total = appenders * records;
  std::printf("%d appenders x %d synced records, in %s\n", appenders, records, dir.c_str());

  UpdateJournal::Options options;
  options.dir = dir + "/journal";
  auto journal = UpdateJournal::Open(options, {});
  if (!journal.ok()) {
    std::fprintf(stderr, "%s\n", std::string(journal.status().message()).c_str());
    return 1;
  }
  double seconds = Run(appenders, records, [&](int a, int i) {
    std::promise<void> done;
    (*journal)->Append(Record(a, i), true, [&](const absl::Status&) { done.set_value(); });
    done.get_future().wait();
  });
  (*journal)->Stop();
  Print("journal", total, seconds, static_cast<double>((*journal)->stats().syncs));

  if (baseline) {
    seconds = Run(appenders, records, [&](int a, int i) {
      std::string task = "task-" + std::to_string(a);
      (void)agora::agent::AppendRecord(
          agora::agent::TaskUpdatesPath(dir, "bench-framework", task, task), Record(a, i));
    });
    Print("per-task", total, seconds, total);
  }
  // Only what the benchmark wrote.
  std::filesystem::remove_all(dir + "/journal");
  std::filesystem::remove_all(dir + "/meta");
  if (own_dir) std::filesystem::remove(dir);
  return 0;
}
