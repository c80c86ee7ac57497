// AgentClusterTest: the fixture of the agent cluster tests -- a real Agent
// launching real agora-executor processes against FakeMaster over loopback
// gRPC, in a per-test temp dir -- and helpers shared by its test files.
#ifndef AGORA_TESTS_CLUSTER_AGENT_AGENT_CLUSTER_FIXTURE_HPP_
#define AGORA_TESTS_CLUSTER_AGENT_AGENT_CLUSTER_FIXTURE_HPP_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/isolator.hpp"
#include "agent/process_tree.hpp"
#include "agent/update_journal.hpp"
#include "common/task_state.hpp"
#include "fake_master.hpp"
#include "gtest/gtest.h"

namespace agora::agent {

inline std::string ExecutorPath() {
  const char* build = std::getenv("AGORA_BUILD_DIR");
  return std::string(build != nullptr ? build : ".") + "/bin/agora-executor";
}

// The UPDATE and ACK records of `task_id` in the agent's update journal, in
// order; an error if the journal does not read.
inline absl::StatusOr<std::vector<internal::StatusUpdateRecord>> JournalRecords(
    const std::string& work_dir, const std::string& task_id) {
  auto segments = ReadJournal(JournalDir(work_dir));
  if (!segments.ok()) return segments.status();
  std::vector<internal::StatusUpdateRecord> records;
  for (const JournalSegment& segment : *segments) {
    for (const auto& record : segment.log.records) {
      if (record.task_id().value() == task_id &&
          record.type() != internal::StatusUpdateRecord::FORGET)
        records.push_back(record);
    }
  }
  return records;
}

// The path of the newest journal segment on disk ("" if none).
inline std::string LastJournalSegment(const std::string& work_dir) {
  auto segments = ReadJournal(JournalDir(work_dir));
  if (!segments.ok() || segments->empty()) return "";
  return segments->back().path;
}

// The path of the segment after the newest one (where an agent with
// journal_segment_bytes = 1 writes its next batch).
inline std::string NextJournalSegment(const std::string& work_dir) {
  auto segments = ReadJournal(JournalDir(work_dir));
  uint64_t next = segments.ok() && !segments->empty() ? segments->back().sequence + 1 : 1;
  std::string digits = std::to_string(next);
  return JournalDir(work_dir) + "/segment-" + std::string(20 - digits.size(), '0') + digits;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Polls `predicate` until it holds or `timeout` passes.
inline bool Eventually(const std::function<bool()>& predicate,
                       absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (predicate()) return true;
    usleep(10 * 1000);
  }
  return predicate();
}

// True while `pid` exists and is not a zombie (PID 1 reaps orphans late
// here, so kill(pid, 0) is not enough).
inline bool Alive(pid_t pid) {
  ProcessStat stat;
  return ReadProcessStat(pid, &stat) && stat.state != 'Z';
}

class AgentClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agora-agent-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(access(ExecutorPath().c_str(), X_OK), 0)
        << ExecutorPath() << " missing: set AGORA_BUILD_DIR";
  }
  void TearDown() override {
    if (agent_) agent_->Shutdown();
    agent_.reset();
    std::filesystem::remove_all(dir_);
  }

  AgentOptions Options() {
    AgentOptions options;
    options.master = master_.address();
    options.work_dir = dir_ + "/work";
    options.port = 0;
    options.executor_path = ExecutorPath();
    options.resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31010]";
    options.attributes = "rack:r1;zone:a";
    options.registration_backoff_min = absl::Milliseconds(20);
    options.registration_backoff_max = absl::Milliseconds(200);
    options.status_update_retry_min = absl::Milliseconds(200);
    return options;
  }

  void StartAgent(AgentOptions options) {
    auto agent = Agent::Start(std::move(options));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    ASSERT_TRUE(master_.WaitFor([&] { return !master_.registrations().empty(); }));
    ASSERT_TRUE(Eventually([&] { return agent_->registered(); }));
  }

  static internal::MasterMessage RunCommand(const std::string& task_id,
                                            const std::string& command) {
    internal::MasterMessage message;
    message.set_type(internal::MasterMessage::RUN_TASKS);
    auto* run = message.mutable_run_tasks();
    run->mutable_framework_info()->mutable_id()->set_value("fw-1");
    run->mutable_framework_info()->set_name("test");
    run->mutable_framework_info()->set_user("root");
    v1::TaskInfo* task = run->add_tasks();
    task->set_name(task_id);
    task->mutable_task_id()->set_value(task_id);
    task->mutable_command()->set_shell(true);
    task->mutable_command()->set_value(command);
    task->mutable_kill_policy()->set_grace_period_seconds(1);
    return message;
  }

  // Waits for a terminal update of `task_id`; returns the deduplicated
  // update sequence.
  std::vector<v1::TaskStatus> WaitForTerminal(const std::string& task_id) {
    master_.WaitFor([&] {
      for (const auto& update : master_.UpdatesFor(task_id))
        if (IsTerminalState(update.state())) return true;
      return false;
    });
    std::lock_guard<std::mutex> lock(master_.mu());
    return master_.UpdatesFor(task_id);
  }

  static internal::MasterMessage KillMessage(const std::string& task_id) {
    internal::MasterMessage message;
    message.set_type(internal::MasterMessage::KILL_TASK);
    message.mutable_kill_task()->mutable_framework_id()->set_value("fw-1");
    message.mutable_kill_task()->mutable_task_id()->set_value(task_id);
    return message;
  }

  // Waits until the master saw `state` for `task_id`.
  bool WaitForState(const std::string& task_id, v1::TaskState state) {
    return master_.WaitFor([&] {
      for (const auto& update : master_.UpdatesFor(task_id))
        if (update.state() == state) return true;
      return false;
    });
  }

  // The run directory of the newest launch of a command task's executor
  // (`<executor>/<run>`, through its `latest` symlink; "" if none).
  std::string RunSandbox(const std::string& task_id) {
    std::string executor_dir = dir_ + "/work/sandboxes/fw-1/" + task_id;
    std::error_code error;
    std::filesystem::path run = std::filesystem::read_symlink(executor_dir + "/latest", error);
    return error ? std::string() : executor_dir + "/" + run.string();
  }

  // The pid a task wrote into `file` of its sandbox (0 if none yet).
  pid_t SandboxPid(const std::string& task_id, const std::string& file) {
    std::string path = dir_ + "/work/sandboxes/fw-1/" + task_id + "/latest/" + file;
    Eventually([&] { return ReadWholeFile(path).find('\n') != std::string::npos; });
    return static_cast<pid_t>(std::atoi(ReadWholeFile(path).c_str()));
  }

  static std::vector<v1::TaskState> States(const std::vector<v1::TaskStatus>& updates) {
    std::vector<v1::TaskState> states;
    for (const auto& update : updates) states.push_back(update.state());
    return states;
  }

  std::string dir_;
  testing::FakeMaster master_;
  std::unique_ptr<Agent> agent_;
};

// An AgentClusterTest that needs writable cgroups: SetUp skips the test,
// naming the reason, where the machine has none. The probe uses a subdir of
// its own, removed at once (it leaves nothing behind).
class CgroupsClusterTest : public AgentClusterTest {
 protected:
  void SetUp() override {
    AgentClusterTest::SetUp();
    IsolatorOptions probe;
    probe.subdir = std::string("agora-probe-") +
                   ::testing::UnitTest::GetInstance()->current_test_suite()->name();
    auto isolator = CgroupsIsolator::Create(probe);
    if (!isolator.ok()) GTEST_SKIP() << "cgroups not usable here: " << isolator.status();
    (*isolator)->RemoveEmpty();
  }

  AgentOptions CgroupsOptions() {
    AgentOptions options = Options();
    options.isolation = AgentOptions::Isolation::kCgroups;
    return options;
  }
};

// A port free right now, so a restarted agent can listen where its
// executors expect it.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace agora::agent

#endif  // AGORA_TESTS_CLUSTER_AGENT_AGENT_CLUSTER_FIXTURE_HPP_
