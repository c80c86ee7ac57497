// LocalRegistry on real files with real fsyncs (registry.hpp,
// registry_log.hpp): restarts, group commit under a storm of admissions,
// torn tails, corruption, crashes between the steps of a compaction, and the
// registry.pb written by older masters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "absl/strings/match.h"
#include "master/registry.hpp"
#include "master/registry_log.hpp"
#include "tests/support/manual_event_loop.hpp"

namespace agora::master {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

internal::Operation PutAgent(int i) {
  internal::Operation op;
  op.set_type(internal::Operation::PUT_AGENT);
  op.mutable_agent()->mutable_info()->mutable_id()->set_value("S" + std::to_string(i));
  op.mutable_agent()->mutable_info()->set_hostname("agent-" + std::to_string(i));
  op.mutable_agent()->set_status(internal::AgentRecord::ADMITTED);
  return op;
}

internal::Operation Bump() {
  internal::Operation op;
  op.set_type(internal::Operation::BUMP_EPOCH);
  return op;
}

// A mix that is not idempotent (BUMP_EPOCH, REMOVE_FRAMEWORK): applying a
// record twice shows.
std::vector<internal::Operation> Step(int i) {
  std::vector<internal::Operation> ops = {PutAgent(i % 50)};
  if (i % 7 == 0) ops.push_back(Bump());
  internal::Operation framework;
  framework.set_type(i % 5 == 4 ? internal::Operation::REMOVE_FRAMEWORK
                                : internal::Operation::PUT_FRAMEWORK);
  framework.mutable_framework()->mutable_info()->mutable_id()->set_value("F" +
                                                                         std::to_string(i % 9));
  framework.mutable_framework_id()->set_value("F" + std::to_string(i % 9));
  ops.push_back(framework);
  if (i % 11 == 0) {
    internal::Operation remove;
    remove.set_type(internal::Operation::REMOVE_AGENT);
    remove.mutable_agent_id()->set_value("S" + std::to_string(i % 13));
    ops.push_back(remove);
  }
  return ops;
}

class RegistryFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("agora-registry-files-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string work() const { return (dir_ / "work").string(); }
  fs::path registry_dir() const { return dir_ / "work" / "registry"; }

  // Applies steps [from, to), one Apply each, to `registry` and `expected`.
  // `one_by_one`: each waits for the one before (one log record each);
  // otherwise they are issued together and batched.
  void Run(LocalRegistry* registry, int from, int to, internal::Registry* expected,
           bool one_by_one = false) {
    int committed = 0;
    for (int i = from; i < to; ++i) {
      auto ops = Step(i);
      for (const auto& op : ops) ApplyOperation(op, expected);
      registry->Apply(std::move(ops), [&](absl::Status status) {
        EXPECT_TRUE(status.ok()) << status;
        ++committed;
      });
      if (one_by_one) registry->Flush();
    }
    registry->Flush();
    loop_.RunUntilIdle();
    EXPECT_EQ(committed, to - from);
  }

  absl::StatusOr<internal::Registry> Reload() {
    LocalRegistry registry(&loop_, work());
    return registry.Recover();
  }

  static void ExpectSame(const internal::Registry& actual, const internal::Registry& expected) {
    EXPECT_EQ(actual.SerializeAsString(), expected.SerializeAsString())
        << "actual: " << actual.ShortDebugString().substr(0, 2000)
        << "\nexpected: " << expected.ShortDebugString().substr(0, 2000);
  }

  fs::path dir_;
  agora::testing::ManualEventLoop loop_;
};

TEST_F(RegistryFilesTest, ManyAppliesAcrossCompactionsSurviveRestarts) {
  LocalRegistry::Options options;
  options.compact_min_records = 20;
  options.compact_ratio = 0.5;
  internal::Registry expected;
  for (int round = 0; round < 3; ++round) {
    LocalRegistry registry(&loop_, work(), options);
    auto recovered = registry.Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    ExpectSame(*recovered, expected);
    const bool one_by_one = round % 2 == 0;
    Run(&registry, round * 300, (round + 1) * 300, &expected, one_by_one);
    ExpectSame(registry.state(), expected);
    if (one_by_one) {
      EXPECT_GT(registry.stats().compactions, 0u);
    }
  }
  auto recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
  EXPECT_TRUE(fs::exists(registry_dir() / "snapshot.pb"));
}

TEST_F(RegistryFilesTest, StormOfTenThousandAdmissionsIsOneGroupCommitBehindAWrite) {
  constexpr int kAgents = 10000;
  // The first write is held until the whole storm is queued behind it, as
  // when admissions arrive faster than an fsync completes (on any host and
  // under sanitizers alike): everything queued must go out as one batch.
  std::mutex mutex;
  std::condition_variable changed;
  bool writing = false;
  bool release = false;
  LocalRegistry::Options options;
  options.before_write = [&] {
    std::unique_lock<std::mutex> lock(mutex);
    writing = true;
    changed.notify_all();
    changed.wait(lock, [&] { return release; });
  };
  LocalRegistry registry(&loop_, work(), options);
  ASSERT_TRUE(registry.Recover().ok());
  int committed = 0;
  auto count = [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    ++committed;
  };
  const auto start = Clock::now();
  registry.Apply({PutAgent(0)}, count);
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return writing; }));
  }
  for (int i = 1; i < kAgents; ++i) registry.Apply({PutAgent(i)}, count);
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  changed.notify_all();
  registry.Flush();
  loop_.RunUntilIdle();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(committed, kAgents);
  const LocalRegistry::Stats stats = registry.stats();
  std::cout << kAgents << " admissions in " << seconds << " s: " << stats.batches << " batches, "
            << stats.fsyncs << " fsyncs, " << stats.bytes << " bytes" << std::endl;
  EXPECT_EQ(stats.applies, static_cast<uint64_t>(kAgents));
  EXPECT_EQ(stats.batches, 2u) << "the held write, then everything queued behind it";
  EXPECT_LE(stats.fsyncs, 4u);
  EXPECT_LT(seconds, 30);
  auto recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->agents_size(), kAgents);
}

TEST_F(RegistryFilesTest, TornLastRecordAtEveryByteRecoversTheStateBeforeIt) {
  internal::Registry before;
  {
    LocalRegistry registry(&loop_, work());
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 0, 5, &before, /*one_by_one=*/true);
    internal::Registry unused = before;
    Run(&registry, 5, 6, &unused);
  }
  const fs::path log = registry_dir() / "log";
  std::string data;
  {
    std::ifstream in(log, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto parsed = ParseRegistryLog(log.string(), data);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->records.size(), 6u);
  const size_t last = parsed->offsets.back();
  for (size_t cut = last + 1; cut < data.size(); ++cut) {
    std::ofstream(log, std::ios::binary | std::ios::trunc) << data.substr(0, cut);
    auto recovered = Reload();
    ASSERT_TRUE(recovered.ok()) << "cut at " << cut << ": " << recovered.status();
    ExpectSame(*recovered, before);
    ASSERT_EQ(fs::file_size(log), last) << "the torn tail is cut off";
  }
  // After a recovery the log takes new records after the good ones.
  internal::Registry expected = before;
  {
    LocalRegistry registry(&loop_, work());
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 100, 103, &expected);
  }
  auto recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
}

TEST_F(RegistryFilesTest, CorruptMiddleRecordRefusesToStartNamingFileAndOffset) {
  internal::Registry expected;
  {
    LocalRegistry registry(&loop_, work());
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 0, 4, &expected, /*one_by_one=*/true);
  }
  const fs::path log = registry_dir() / "log";
  std::string data;
  {
    std::ifstream in(log, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto parsed = ParseRegistryLog(log.string(), data);
  ASSERT_TRUE(parsed.ok());
  const size_t second = parsed->offsets[1];
  data[parsed->offsets[2] - 1] ^= 0x20;  // The second record's last byte.
  std::ofstream(log, std::ios::binary | std::ios::trunc) << data;
  auto recovered = Reload();
  ASSERT_FALSE(recovered.ok());
  EXPECT_TRUE(absl::IsDataLoss(recovered.status())) << recovered.status();
  const std::string message(recovered.status().message());
  EXPECT_TRUE(absl::StrContains(message, log.string())) << message;
  EXPECT_TRUE(absl::StrContains(message, "byte " + std::to_string(second))) << message;
  EXPECT_TRUE(absl::StrContains(message, "backup")) << message;
}

// Compaction = write snapshot.pb.tmp, rename it to snapshot.pb, truncate the
// log. Each state a crash can leave recovers the same registry.
TEST_F(RegistryFilesTest, CrashBetweenCompactionStepsLosesAndRepeatsNothing) {
  LocalRegistry::Options never;
  never.compact_min_records = 1u << 30;
  internal::Registry expected;
  {
    LocalRegistry registry(&loop_, work(), never);
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 0, 10, &expected);
  }
  {
    LocalRegistry registry(&loop_, work(), never);
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 10, 40, &expected);
  }
  auto loaded = LoadRegistryDir(registry_dir().string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSame(loaded->state.registry(), expected);
  internal::RegistrySnapshot snapshot;
  snapshot.set_sequence(loaded->sequence);
  *snapshot.mutable_registry() = expected;
  const fs::path snapshot_path = registry_dir() / "snapshot.pb";

  // 1. Crashed while writing the new snapshot: a partial temp file.
  std::ofstream(snapshot_path.string() + ".tmp", std::ios::binary)
      << snapshot.SerializeAsString().substr(0, 100);
  auto recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);

  // 2. Renamed, the log not truncated yet: its records are in the snapshot.
  ASSERT_TRUE(AtomicWriteFile(snapshot_path.string(), snapshot.SerializeAsString()).ok());
  recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);

  // 3. The log truncated.
  fs::resize_file(registry_dir() / "log", 0);
  recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);

  // And it goes on from there: new records follow the snapshot's sequence.
  {
    LocalRegistry registry(&loop_, work(), never);
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 40, 45, &expected);
  }
  recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
}

TEST_F(RegistryFilesTest, RegistryPbOfAnOlderMasterLoadsAndIsReplacedByTheFirstCompaction) {
  internal::Registry expected;
  for (int i = 0; i < 30; ++i) {
    for (const auto& op : Step(i)) ApplyOperation(op, &expected);
  }
  fs::create_directories(registry_dir());
  ASSERT_TRUE(
      AtomicWriteFile((registry_dir() / "registry.pb").string(), expected.SerializeAsString())
          .ok());
  LocalRegistry::Options options;
  options.compact_min_records = 10;
  options.compact_ratio = 0;
  {
    LocalRegistry registry(&loop_, work(), options);
    auto recovered = registry.Recover();
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    ExpectSame(*recovered, expected);
    Run(&registry, 30, 35, &expected, /*one_by_one=*/true);
    EXPECT_TRUE(fs::exists(registry_dir() / "registry.pb")) << "no compaction yet";
  }
  auto recovered = Reload();  // registry.pb + log.
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
  {
    LocalRegistry registry(&loop_, work(), options);
    ASSERT_TRUE(registry.Recover().ok());
    Run(&registry, 35, 45, &expected, /*one_by_one=*/true);
    EXPECT_EQ(registry.stats().compactions, 1u);
  }
  EXPECT_FALSE(fs::exists(registry_dir() / "registry.pb"));
  recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
}

TEST_F(RegistryFilesTest, LogMovedAwayFailsThisAndEveryLaterWrite) {
  LocalRegistry registry(&loop_, work());
  ASSERT_TRUE(registry.Recover().ok());
  internal::Registry expected;
  Run(&registry, 0, 2, &expected);
  fs::rename(registry_dir(), dir_ / "moved");
  std::vector<absl::Status> results;
  registry.Apply(Step(2), [&](absl::Status status) { results.push_back(status); });
  registry.Flush();
  fs::rename(dir_ / "moved", registry_dir());  // Back, but too late.
  registry.Apply(Step(3), [&](absl::Status status) { results.push_back(status); });
  registry.Flush();
  loop_.RunUntilIdle();
  ASSERT_EQ(results.size(), 2u);
  for (const auto& status : results) {
    EXPECT_FALSE(status.ok());
    EXPECT_TRUE(absl::StrContains(status.message(), "registry/log")) << status;
  }
  auto recovered = Reload();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ExpectSame(*recovered, expected);
}

}  // namespace
}  // namespace agora::master
