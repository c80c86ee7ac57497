// Helpers of the fault-injection system tests: a real framework process
// (recording_framework) whose every scheduler callback is a line in its log,
// and a small tmpfs to fill.
#ifndef AGORA_TESTS_SYSTEM_FAULT_FAULT_SUPPORT_HPP_
#define AGORA_TESTS_SYSTEM_FAULT_FAULT_SUPPORT_HPP_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/process_scan.hpp"
#include "tests/system/e2e/process_cluster.hpp"

namespace agora::testing {

// One UPDATE line of recording_framework's output.
struct SeenUpdate {
  std::string task_id;
  std::string state;   // "TASK_RUNNING", ...
  std::string reason;  // "REASON_...".
  std::string uuid;    // Hex, "-" for master-generated updates.
  std::string message;
};

// A recording_framework process against `cluster`'s master.
class FrameworkProcess {
 public:
  // Starts recording_framework with `flags` ("--tasks=20", ...); the log is
  // `<test dir>/<log_name>`.
  static std::unique_ptr<FrameworkProcess> Start(ProcessCluster* cluster,
                                                 const std::vector<std::string>& flags,
                                                 const std::string& log_name = "framework.log");

  std::vector<SeenUpdate> Updates() const;
  // Updates of `task_id` (all tasks if empty) in `state`.
  int Count(const std::string& state, const std::string& task_id = "") const;
  // Distinct tasks whose updates include `state`.
  int TasksSeenIn(const std::string& state) const;
  // Waits until TasksSeenIn(state) >= n.
  bool WaitTasksIn(const std::string& state, int n, absl::Duration timeout = absl::Seconds(60));
  std::string framework_id() const;
  std::string Log() const { return process_->Log(); }
  Subprocess* process() { return process_.get(); }

 private:
  std::unique_ptr<Subprocess> process_;
};

// Fixture of the fault tests: a ProcessCluster in a temp dir and the
// framework process a test starts, with every log for failure messages.
class FaultTest : public ::testing::Test {
 protected:
  static constexpr char kAgentResources[] = "cpus:4;mem:4096;disk:1024;ports:[31000-31100]";

  std::string AllLogs() {
    return cluster_.Logs() + (framework_ ? "--- framework ---\n" + framework_->Log() : "");
  }

  TempDir dir_;
  ProcessCluster cluster_{dir_.path()};
  std::unique_ptr<FrameworkProcess> framework_;
};

// Mounts a tmpfs of `bytes` on `dir`; false (with `why`) where mounting is
// not allowed. UnmountTmpfs undoes it (lazy, so open files do not block).
bool MountTmpfs(const std::string& dir, size_t bytes, std::string* why);
void UnmountTmpfs(const std::string& dir);
// Writes zeros to `path` until the file system is full.
void FillFileSystem(const std::string& path);

}  // namespace agora::testing

#endif  // AGORA_TESTS_SYSTEM_FAULT_FAULT_SUPPORT_HPP_
